package local_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/render"
)

// TestBrowserEmailsInEveryLanguage opens every email template in every
// language in a real Chromium, as the console's preview serves it (the
// HTML part, in its CSP sandbox), checks what a reader sees (the
// language, no catalog key or printf error, no English sentence in
// another language, nothing wider than a phone's screen) and saves a
// full-page screenshot of each for a person to review: set
// AFTERCARE_SCREENSHOTS=<dir> to keep them (a temporary directory
// otherwise).
func TestBrowserEmailsInEveryLanguage(t *testing.T) {
	srv := startDev(t, t.TempDir())
	templates, locales := render.Templates(), i18n.Codes()
	b := newBrowserTabFor(t, time.Duration(len(templates)*len(locales))*3*time.Second+30*time.Second)
	dir := os.Getenv("AFTERCARE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A narrow window: most email is read on a phone; the layout must not
	// need sideways scrolling there.
	const width = 414
	b.do("phone-sized window", chromedp.EmulateViewport(width, 900))
	for _, tpl := range templates {
		for _, code := range locales {
			name := tpl + "." + code
			b.do("open "+name,
				chromedp.Navigate(srv.base+"/dev/preview/"+tpl+"/"+code),
				chromedp.WaitVisible(chromedp.CSS("body table")),
			)
			if lang := browserGet(b, "lang of "+name, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != code {
				t.Errorf("%s: <html lang=%q>", name, lang)
			}
			text := browserGet(b, "text of "+name, chromedp.Evaluate[string](`document.body.innerText`))
			if m := rawKeyRE.FindString(text); m != "" {
				t.Errorf("%s shows %q", name, m)
			}
			if code != "en" {
				if en := englishIn(t, code, text); len(en) > 0 {
					t.Errorf("%s shows English: %q", name, en)
				}
			}
			if w := browserGet(b, "width of "+name, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > width {
				t.Errorf("%s is %dpx wide in a %dpx window: the reader must scroll sideways", name, w, width)
			}
			// No rating button may need to break a word to fit: with
			// wrapping inside words switched off, each label fits its button.
			broken := browserGet(b, "labels of "+name, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[href*="/r/"]')).filter(a => {
				a.style.overflowWrap = 'normal'; a.style.wordWrap = 'normal';
				return a.scrollWidth > a.clientWidth + 1;
			}).map(a => a.textContent.trim())`))
			if len(broken) > 0 {
				t.Errorf("%s: rating buttons too narrow for their words: %q", name, broken)
			}
			shot := browserGet(b, "screenshot of "+name, chromedp.FullScreenshot(100))
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("%s: screenshot: %v", name, err)
			}
			if r := img.Bounds(); r.Dx() < width-20 || r.Dy() < 400 || blank(img) {
				t.Errorf("%s: screenshot %v looks empty", name, r)
			}
			if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.noProblems()
	t.Logf("%d screenshots in %s", len(templates)*len(locales), dir)
}

// blank reports whether an image is a single colour (sampled on a grid):
// a page that rendered nothing.
func blank(img image.Image) bool {
	r := img.Bounds()
	first := img.At(r.Min.X, r.Min.Y)
	for y := r.Min.Y; y < r.Max.Y; y += 7 {
		for x := r.Min.X; x < r.Max.X; x += 7 {
			if img.At(x, y) != first {
				return false
			}
		}
	}
	return true
}
