package local_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aftercare/aftercare/shared/i18n"
)

// TestBrowserPagesInEveryLanguage: a guest in each language opens the
// rating link of their thank-you email, sends the answer, and opens the
// unsubscribe link, in a real Chromium at phone width. Each page is in
// their language (lang attribute, no English sentence, nothing wider than
// the screen), and is screenshotted into AFTERCARE_SCREENSHOTS when set.
func TestBrowserPagesInEveryLanguage(t *testing.T) {
	srv := startLoop(t, nil)
	codes := i18n.Codes()
	ended := time.Now().Add(-2 * time.Hour).UTC()
	for i, code := range codes {
		srv.webhook(fmt.Sprintf("msg_page_%s", code), map[string]any{
			"type": "booking.completed", "occurred_at": ended.Format(time.RFC3339),
			"customer": map[string]any{"email": fmt.Sprintf("guest%d@example.com", i), "name": "Alex", "locale": code, "time_zone": "UTC"},
			"booking": map[string]any{
				"ref": "BK-" + code, "title": "Kayak", "starts_at": ended.Add(-time.Hour).Format(time.RFC3339),
				"ends_at": ended.Format(time.RFC3339),
			},
		})
	}
	srv.runDue(time.Now().Add(48 * time.Hour))

	b := newBrowserTabFor(t, time.Duration(len(codes))*15*time.Second+30*time.Second)
	dir := os.Getenv("AFTERCARE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const width = 414
	b.do("phone-sized window", chromedp.EmulateViewport(width, 900))
	ratingRE := regexp.MustCompile(regexp.QuoteMeta(srv.base) + `/r/[A-Za-z0-9_\-.]+`)
	files, _ := filepath.Glob(filepath.Join(srv.dataDir, "outbox", "*.eml"))
	if len(files) != len(codes) {
		t.Fatalf("%d emails, want %d", len(files), len(codes))
	}
	seen := map[string]bool{}
	for _, f := range files {
		m := readEML(t, f)
		code := m.lang
		if seen[code] {
			t.Fatalf("two emails in %q", code)
		}
		seen[code] = true
		links := ratingRE.FindAllString(m.text, -1)
		if len(links) != 5 || m.unsubscribe == "" {
			t.Fatalf("%s: %d rating links, unsubscribe %q", code, len(links), m.unsubscribe)
		}
		look := func(page string) {
			t.Helper()
			name := "page-" + page + "." + code
			if lang := browserGet(b, "lang of "+name, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != code {
				t.Errorf("%s: lang %q", name, lang)
			}
			text := browserGet(b, "text of "+name, chromedp.Evaluate[string](`document.body.innerText`))
			if code != "en" {
				if en := englishIn(t, code, text); len(en) > 0 {
					t.Errorf("%s shows English: %q", name, en)
				}
			}
			if m := rawKeyRE.FindString(text); m != "" {
				t.Errorf("%s shows %q", name, m)
			}
			if w := browserGet(b, "width of "+name, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > width {
				t.Errorf("%s is %dpx wide in a %dpx window", name, w, width)
			}
			shot := browserGet(b, "screenshot of "+name, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// The rating page records the 2 (its script confirms it), then
		// the guest adds a comment.
		b.do("open the rating page in "+code,
			chromedp.Navigate(links[1]),
			chromedp.WaitVisible(chromedp.ID("comment")),
		)
		look("rating")
		b.do("comment in "+code,
			chromedp.SendKeys(chromedp.ID("comment"), "…"),
			chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("comment-saved")),
		)
		look("thanks")
		b.do("open the unsubscribe page in "+code,
			chromedp.Navigate(m.unsubscribe),
			chromedp.WaitVisible(chromedp.ID("consent")),
		)
		look("unsubscribe")
	}
	b.noProblems()
}
