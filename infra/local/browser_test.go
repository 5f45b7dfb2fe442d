package local_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests drive a real headless Chromium through the DevTools
// protocol. `make test` installs one (infra/browser/install.sh); without
// one the tests skip on a laptop and fail in CI.

const (
	browserTestTimeout = 60 * time.Second // the whole browser session
	browserStepTimeout = 15 * time.Second // one step of it
)

// findChromium returns the path of a Chromium on PATH, or skips the test
// (fails it when CI is set: CI must run the browser tests).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Chromium on PATH (chromium, chromium-browser or google-chrome); run infra/browser/install.sh"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: the browser tests must run)")
	}
	t.Skip(msg)
	return ""
}

// browserTab is one tab of a headless Chromium started for one test, with
// a fresh profile. It records the page's console errors, uncaught
// exceptions and security messages (CSP violations) as they happen.
type browserTab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func newBrowserTab(t *testing.T) *browserTab {
	t.Helper()
	return newBrowserTabFor(t, browserTestTimeout)
}

// newBrowserTabFor is newBrowserTab for a session that needs longer than
// browserTestTimeout (many pages, such as every email in every language).
func newBrowserTabFor(t *testing.T, timeout time.Duration) *browserTab {
	t.Helper()
	bin := findChromium(t)
	profile := filepath.Join(t.TempDir(), "chromium-profile")

	if d, ok := t.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d) - time.Second
	}
	// The browser's whole life is bound to this deadline: a hang while it
	// starts fails the test instead of blocking it.
	deadline, cancelDeadline := context.WithTimeout(context.Background(), timeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		// Without these Chromium keeps calling home, which a closed
		// network answers only with timeouts.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	b := &browserTab{t: t}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.watch))
	b.ctx = ctx
	// Cleanups run last-in first-out: the browser is gone (and has stopped
	// writing its profile) before t.TempDir is removed, and before the dev
	// server registered earlier stops.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		cancelDeadline()
	})
	// The first action starts the browser and opens the tab.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return b
}

// watch runs in the tab's event loop: it must return fast.
func (b *browserTab) watch(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
		if d.Exception != nil && d.Exception.Description != "" {
			p += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				if a.Value != nil {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			p = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level == log.EntryLevelError || e.Source == log.EntrySourceSecurity {
			p = fmt.Sprintf("browser log (%s, %s) %s: %s", e.Source, e.Level, e.URL, e.Text)
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// noProblems fails the test if any page so far logged an error, threw, or
// violated its Content-Security-Policy.
func (b *browserTab) noProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("page problem: %s", p)
	}
	b.problems = nil
}

// do runs actions in order, each step bounded by browserStepTimeout, and
// fails the test with where the browser was if one fails.
func (b *browserTab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// browserGet runs one action that returns a value, as do does.
func browserGet[T any](b *browserTab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

func (b *browserTab) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if len(html) > 4000 {
		html = html[:4000] + "…"
	}
	b.t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, html)
}

func (b *browserTab) text(sel string) string {
	b.t.Helper()
	return browserGet(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// TestBrowserNewcomerJourney is "Try it in two minutes" from the README, in
// a real browser: a booking webhook comes in; in the dev console the
// newcomer sees the incident and its schedule, presses Run now, opens the
// email from the Outbox, clicks 4 in it (the page's script records it),
// leaves a comment on the thank-you page, and finds score and comment back
// on the console.
func TestBrowserNewcomerJourney(t *testing.T) {
	srv := startDev(t, t.TempDir())
	b := newBrowserTab(t) // after startDev: the browser closes before the server stops

	code, reply := srv.post("msg_browser_1", bookingCompleted(t, time.Now().Add(-time.Hour)))
	if code != http.StatusAccepted || reply["status"] != "accepted" {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	id := reply["results"].([]any)[0].(map[string]any)["incident_id"].(string)
	row := fmt.Sprintf(`#incidents tr[id=%q]`, id)

	// The console shows the incident and its pending follow-up.
	b.do("open the console",
		chromedp.Navigate(srv.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(row)),
	)
	if got := b.text(row); !strings.Contains(got, "Sunset sailing") || !strings.Contains(got, "BK-1042") || !strings.Contains(got, "maria@example.com") {
		t.Errorf("incident row = %q", got)
	}
	if got := b.text("#schedules"); !strings.Contains(got, "Pending schedules (1)") || !strings.Contains(got, "thanks-1") || !strings.Contains(got, id) {
		t.Errorf("schedules = %q", got)
	}
	if got := b.text("#outbox"); !strings.Contains(got, "No email yet") {
		t.Errorf("outbox before Run now = %q", got)
	}

	// Run now: back on the console with a flash, and the email in the Outbox.
	b.do("press Run now",
		chromedp.Click(chromedp.CSS(`#schedules form[action$="/run"] button`)),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if got := b.text("#flash"); !strings.HasPrefix(got, "Sent the thank-you (step thanks-1) to the customer.") || !strings.Contains(got, id) {
		t.Errorf("flash = %q, want what was sent in words, and the schedule's id", got)
	}
	// The survey went out; what is left is its reminder, should nobody answer.
	if got := b.text("#schedules"); !strings.Contains(got, "Pending schedules (1)") || !strings.Contains(got, "thanks-1-r") {
		t.Errorf("schedules after Run now = %q, want only the reminder thanks-1-r", got)
	}
	subjectLink := `#outbox a[href^="/dev/outbox/"]`
	subject := b.text(subjectLink)
	if subject == "" {
		t.Fatal("the email in the Outbox has no subject")
	}
	if got := b.text("#outbox"); !strings.Contains(got, "maria@example.com") || !strings.Contains(got, "thanks-1") {
		t.Errorf("outbox = %q", got)
	}

	// Open the message page from its subject.
	b.do("open the email",
		chromedp.Click(chromedp.CSS(subjectLink)),
		chromedp.WaitVisible(chromedp.CSS(`iframe[title="email"]`)),
	)
	if got := b.text("h2"); got != subject {
		t.Errorf("message page heading = %q, want %q", got, subject)
	}
	frame := browserGet(b, "iframe attributes", chromedp.Attributes(chromedp.CSS(`iframe[title="email"]`)))
	if !strings.HasPrefix(frame["src"], "/dev/outbox/") || !strings.Contains(frame["sandbox"], "allow-popups") {
		t.Fatalf("iframe = %v", frame)
	}

	// The email as the iframe shows it; its rating links go worst to best.
	b.do("open the email's HTML",
		chromedp.Navigate(srv.base+frame["src"]),
		chromedp.WaitVisible(chromedp.CSS(`a[href*="/r/"]`)),
	)
	ratings := browserGet(b, "rating links", chromedp.Nodes(chromedp.CSSAll(`a[href*="/r/"]`)))
	if len(ratings) != 5 {
		t.Fatalf("the email has %d rating links, want 5", len(ratings))
	}
	if href := ratings[3].AttributeValue("href"); !strings.HasPrefix(href, srv.base+"/r/") {
		t.Fatalf("rating link %q does not point at the dev server %s", href, srv.base)
	}
	b.do("click 4 in the email",
		chromedp.MouseClickNode(ratings[3]),
		chromedp.WaitVisible(chromedp.ID("comment")),
	)

	// Opening the link records nothing by itself (link scanners open every
	// link): rating.js, from our own origin, posts the confirmation when
	// the page shows, and the page then says the answer is saved.
	if src := browserGet(b, "script", chromedp.Attributes(chromedp.CSS(`script[src]`)))["src"]; !strings.Contains(src, "assets/rating.js") {
		t.Errorf("the rating page's script is %q, want rating.js", src)
	}
	b.do("rating.js confirms the click", chromedp.WaitVisible(chromedp.ID("saved")))
	if got := browserGet(b, "confirmation state", chromedp.Attributes(chromedp.ID("answer")))["data-confirm"]; got != "done" {
		t.Errorf("form data-confirm = %q, want done", got)
	}
	if a := srv.incident(id).Answers["thanks-1"]; a.Score != 4 || a.Comment != "" {
		t.Fatalf("after the click the dev API has %+v, want score 4 recorded by rating.js", a)
	}
	b.noProblems() // no console error, no CSP violation

	// The thank-you page, in the customer's language, with the score.
	if lang := browserGet(b, "page language", chromedp.Attributes(chromedp.CSS("html")))["lang"]; !strings.HasPrefix(lang, "es") {
		t.Errorf("thank-you page lang = %q, want Spanish for an es-ES customer", lang)
	}
	if got := b.text("#score"); !strings.Contains(got, "4") {
		t.Errorf("score line = %q, want the 4 clicked", got)
	}
	if cur := browserGet(b, "current score", chromedp.Text(chromedp.CSS(`.scores a.current`))); cur != "4" {
		t.Errorf("highlighted score = %q, want 4", cur)
	}

	const comment = "Υπέροχη εκδρομή!"
	b.do("type a comment", chromedp.SendKeys(chromedp.ID("comment"), comment))
	if got := browserGet(b, "comment box", chromedp.Value(chromedp.ID("comment"))); got != comment {
		t.Fatalf("typed %q, the box holds %q", comment, got)
	}
	b.do("send the comment",
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("comment-saved")),
	)
	if got := browserGet(b, "saved comment", chromedp.Value(chromedp.ID("comment"))); got != comment {
		t.Errorf("after saving, the box holds %q, want %q", got, comment)
	}

	shot := browserGet(b, "screenshot", chromedp.CaptureScreenshot())
	file := filepath.Join(t.TempDir(), "thank-you.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(shot))
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil || cfg.Width == 0 || cfg.Height == 0 {
		t.Fatalf("screenshot: %+v %v", cfg, err)
	}

	// Back on the console: the answer is on the incident.
	b.do("back to the console",
		chromedp.Navigate(srv.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(row+" .answer")),
	)
	if got := b.text(row + " .answer strong"); got != "4" {
		t.Errorf("score on the console = %q, want 4", got)
	}
	if got := b.text(row + " .answer"); !strings.Contains(got, "thanks-1") || !strings.Contains(got, comment) {
		t.Errorf("answer on the console = %q, want thanks-1 with %q", got, comment)
	}
	// Answered, the survey needs no reminder.
	if got := b.text("#schedules"); !strings.Contains(got, "Nothing scheduled") {
		t.Errorf("schedules after the answer = %q, want the reminder gone", got)
	}

	b.noProblems()
}

// TestBrowserWithoutJavaScript opens a rating link in a browser that runs
// no script, as some people and most link scanners do: the page records
// nothing until its button is pressed, and the button records the score
// and the reasons ticked.
func TestBrowserWithoutJavaScript(t *testing.T) {
	srv := startDev(t, t.TempDir())
	b := newBrowserTab(t)

	code, reply := srv.post("msg_browser_nojs", bookingCompleted(t, time.Now().Add(-time.Hour)))
	if code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	id := reply["results"].([]any)[0].(map[string]any)["incident_id"].(string)
	srv.runDue(time.Now().Add(72 * time.Hour))
	env := srv.onlyEmail()
	links := regexp.MustCompile(regexp.QuoteMeta(srv.base)+`/r/[A-Za-z0-9_\-.]+`).FindAllString(env.Text, -1)
	if len(links) != 5 {
		t.Fatalf("want 5 rating links, found %d", len(links))
	}

	// Scripts off, then the customer opens "2" (a low score: reasons are offered).
	b.do("open the link without JavaScript",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(links[1]),
		chromedp.WaitVisible(chromedp.CSS(`form#answer button[type="submit"]`)),
	)
	// Nothing happens by itself: give a script time it would have needed.
	time.Sleep(500 * time.Millisecond)
	if inc := srv.incident(id); len(inc.Answers) != 0 {
		t.Fatalf("opening the link without JavaScript recorded %+v", inc.Answers)
	}
	if got := browserGet(b, "form state", chromedp.Attributes(chromedp.ID("answer")))["data-confirm"]; got != "auto" {
		t.Errorf("data-confirm = %q: the script ran although scripts are disabled", got)
	}
	if cur := browserGet(b, "current score", chromedp.Text(chromedp.CSS(`.scores a.current`))); cur != "2" {
		t.Errorf("highlighted score = %q, want 2", cur)
	}

	b.do("tick a reason and press the button",
		chromedp.Click(chromedp.CSS(`input[name="reasons"][value="waiting"]`)),
		chromedp.Click(chromedp.CSS(`form#answer button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("saved")),
	)
	if got := b.text("#score"); !strings.Contains(got, "2") {
		t.Errorf("score line = %q, want the 2", got)
	}
	a := srv.incident(id).Answers["thanks-1"]
	if a.Score != 2 {
		t.Fatalf("after the button the answer is %+v, want 2", a)
	}
	if got := kinds(srv.incident(id)); !slices.Contains(got, "reasons") {
		t.Errorf("the ticked reason is not on the timeline: %v", got)
	}
	if _, ok := browserGet(b, "reason box", chromedp.Attributes(chromedp.CSS(`input[name="reasons"][value="waiting"]`)))["checked"]; !ok {
		t.Error("the saved reason is not ticked on the thank-you page")
	}
	b.noProblems()
}

// TestBrowserUnsubscribe follows the footer's unsubscribe link in a real
// browser: the page is in the customer's language, opening it changes
// nothing, its one button unsubscribes, and the page then offers to
// subscribe again, all within the page's Content-Security-Policy.
func TestBrowserUnsubscribe(t *testing.T) {
	srv := startDev(t, t.TempDir())
	b := newBrowserTab(t)
	if code, reply := srv.post("msg_browser_unsub", bookingCompleted(t, time.Now().Add(-time.Hour))); code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	srv.runDue(time.Now().Add(72 * time.Hour))
	env := srv.onlyEmail()
	link := regexp.MustCompile(regexp.QuoteMeta(srv.base) + `/u/[A-Za-z0-9_\-.]+`).FindString(env.HTML)
	if link == "" {
		t.Fatal("no unsubscribe link in the email's footer")
	}
	consent := func() string {
		var c struct {
			Consent struct {
				State string `json:"state"`
			} `json:"consent"`
		}
		srv.getJSON("/dev/api/contacts?email=maria@example.com", &c)
		return c.Consent.State
	}

	b.do("open the unsubscribe link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`form#consent button`)))
	if got := b.text("h1"); got != "¿Darse de baja?" {
		t.Errorf("title %q, want the Spanish page", got)
	}
	if st := consent(); st != "" {
		t.Fatalf("opening the page changed consent to %q", st)
	}
	b.do("press unsubscribe", chromedp.Click(chromedp.CSS(`form#consent button`)), chromedp.WaitReady(chromedp.CSS(`input[value="resubscribe"]`)))
	if st := consent(); st != "unsubscribed" {
		t.Fatalf("consent %q after the button", st)
	}
	if got := b.text("h1"); got != "Se ha dado de baja" {
		t.Errorf("title %q after unsubscribing", got)
	}
	b.do("subscribe again", chromedp.Click(chromedp.CSS(`form#consent button`)), chromedp.WaitReady(chromedp.CSS(`input[value="unsubscribe"]`)))
	if st := consent(); st != "" {
		t.Fatalf("consent %q after subscribing again", st)
	}
	b.noProblems()
}
