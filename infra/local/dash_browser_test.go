package local_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/jhillyerd/enmime/v2"
)

// envelopes parses every message in the outbox, as a mailbox reads it.
func (s *devServer) envelopes() []*enmime.Envelope {
	s.t.Helper()
	emls, _ := filepath.Glob(filepath.Join(s.dataDir, "outbox", "*.eml"))
	out := make([]*enmime.Envelope, 0, len(emls))
	for _, f := range emls {
		raw, err := os.ReadFile(f)
		if err != nil {
			s.t.Fatal(err)
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, env)
	}
	return out
}

// outboxMatch finds the first email in the outbox whose text matches re
// and returns the match.
func (s *devServer) outboxMatch(re *regexp.Regexp) string {
	s.t.Helper()
	for _, env := range s.envelopes() {
		if m := re.FindString(env.Text); m != "" {
			return m
		}
	}
	return ""
}

// TestBrowserTeamDashboard is the team's side in a real browser: a
// customer gives a low score; a team member signs in from the emailed
// link (the link's page needs a press: a GET signs nobody in), finds the
// incident in the attention queue, takes it, notes, writes to the
// customer, marks it handled, opens the reports with their charts and
// downloads the CSV, all without a console error or a CSP violation.
// Screenshots of the queue, the incident and the reports at phone and
// desktop widths land in $AFTERCARE_SCREENSHOTS when it is set.
func TestBrowserTeamDashboard(t *testing.T) {
	const member = "ana@seabreeze.example"
	srv := startDev(t, t.TempDir(), map[string]string{"AFTERCARE_TEAM_EMAIL": "Ana <" + member + ">"})
	b := newBrowserTab(t)
	shots := os.Getenv("AFTERCARE_SCREENSHOTS")

	code, reply := srv.post("msg_dash_1", bookingCompleted(t, time.Now().Add(-time.Hour)))
	if code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	id := reply["results"].([]any)[0].(map[string]any)["incident_id"].(string)
	srv.runDue(time.Now().Add(72 * time.Hour))
	rating := srv.outboxMatch(regexp.MustCompile(regexp.QuoteMeta(srv.base) + `/r/[A-Za-z0-9_\-.]+`))
	// The customer clicks 1 and says why (as the page's form posts it).
	resp, err := http.PostForm(rating, url.Values{"comment": {"The boat left an hour late & nobody told us <why>."}, "reasons": {"waiting"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The first link is the worst score: 1.
	if a := srv.incident(id).Answers["thanks-1"]; a.Score != 1 {
		t.Fatalf("answer = %+v, want the 1", a)
	}

	b.do("ask for a sign-in link",
		chromedp.Navigate(srv.base+"/team"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), member),
		chromedp.Submit(chromedp.ID("email")),
		chromedp.WaitVisible(chromedp.ID("sent")),
	)
	link := srv.outboxMatch(regexp.MustCompile(regexp.QuoteMeta(srv.base) + `/team/signin/[A-Za-z0-9_-]+`))
	if link == "" {
		t.Fatal("no sign-in link in the outbox")
	}
	b.do("open the link, press the button",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
	item := fmt.Sprintf(`#queue li[data-id=%q]`, id)
	got := b.text(item)
	for _, want := range []string{"CSAT 1/5", "nobody on it", "The boat left an hour late & nobody told us <why>.", "waiting"} {
		if !strings.Contains(got, want) {
			t.Errorf("queue item lacks %q: %q", want, got)
		}
	}
	b.shoot(shots, "queue")

	b.do("open the incident, take it",
		chromedp.Click(chromedp.CSS(item+" a")),
		chromedp.WaitVisible(chromedp.ID("take")),
		chromedp.Click(chromedp.ID("take")),
		doneWith("take"),
	)
	if got := b.text("#owner"); !strings.Contains(got, member) {
		t.Errorf("owner = %q", got)
	}
	b.do("note and write to the customer",
		chromedp.SendKeys(chromedp.ID("note"), "Skipper was ill; called María."),
		chromedp.Submit(chromedp.ID("note")),
		doneWith("note"),
		chromedp.SendKeys(chromedp.ID("message"), "Dear María, we are sorry. We refunded 20% of the tour."),
		chromedp.Click(chromedp.ID("send")),
		doneWith("message"),
	)
	if got := b.text(".flash"); !strings.Contains(got, "Message sent") {
		t.Errorf("flash after sending = %q", got)
	}
	b.shoot(shots, "incident")
	b.do("mark handled",
		chromedp.Click(chromedp.ID("handled")),
		doneWith("handled"),
	)
	tl := b.text("#timeline")
	for _, want := range []string{"handled", "team_message", "note", "taken", member} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	if srv.outboxMatch(regexp.MustCompile(`we are sorry\. We refunded 20%`)) == "" {
		t.Error("the message to the customer is not in the outbox")
	}
	b.do("the queue is empty", chromedp.Navigate(srv.base+"/team/queue"), chromedp.WaitVisible(chromedp.ID("empty")))

	b.do("open the reports",
		chromedp.Navigate(srv.base+"/team/reports"),
		chromedp.WaitVisible(chromedp.ID("charts")),
	)
	if got := b.text(`[data-figure="csat"]`); !strings.Contains(got, "0%") || !strings.Contains(got, "n=1") {
		t.Errorf("CSAT figure = %q, want 0%% with n=1", got)
	}
	if got := b.text(`[data-figure="handled"]`); !strings.Contains(got, "n=1") {
		t.Errorf("handled figure = %q", got)
	}
	charts := browserGet(b, "charts", chromedp.Nodes(chromedp.CSSAll(`#charts svg[role="img"]`)))
	if len(charts) != 5 {
		t.Errorf("%d charts, want 5", len(charts))
	}
	b.shoot(shots, "reports")

	// Download the incidents' CSV as a person does: click the link.
	dl := t.TempDir()
	b.do("download the CSV",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl})
			return err
		}),
		chromedp.Click(chromedp.ID("csv-incidents")),
	)
	var file string
	for deadline := time.Now().Add(10 * time.Second); file == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(dl, "*.csv")); len(m) > 0 {
			file = m[0]
		}
	}
	if file == "" {
		t.Fatal("no CSV downloaded")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV: %d rows, %v", len(rows), err)
	}
	head := strings.Join(rows[0], ",")
	row := strings.Join(rows[1], ",")
	for _, want := range []string{"id", "provider", "score", "comment"} {
		if !strings.Contains(head, want) {
			t.Errorf("CSV header lacks %q: %s", want, head)
		}
	}
	for _, want := range []string{id, "BK-1042", "nobody told us <why>."} {
		if !strings.Contains(row, want) {
			t.Errorf("CSV row lacks %q: %s", want, row)
		}
	}
	b.noProblems()
}

// doneWith waits until the page is the incident after the action (the
// POST's redirect says which in ?done=).
func doneWith(action string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			loc, err := chromedp.Location()(ctx, tg)
			if err != nil {
				return err
			}
			if strings.HasSuffix(loc, "?done="+action) {
				_, err = chromedp.WaitVisible(chromedp.CSS(".flash"))(ctx, tg)
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// shoot saves the page at phone and desktop widths into dir (when set),
// checking each is a real PNG.
func (b *browserTab) shoot(dir, name string) {
	b.t.Helper()
	for _, w := range []struct {
		name  string
		w, h  int64
		phone bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		opts := []chromedp.EmulateViewportOption{}
		if w.phone {
			opts = append(opts, chromedp.EmulateMobile)
		}
		b.do("viewport "+w.name, chromedp.EmulateViewport(w.w, w.h, opts...))
		shot := browserGet(b, "screenshot "+name+" "+w.name, chromedp.FullScreenshot(100))
		if _, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil {
			b.t.Fatalf("screenshot %s %s: %v", name, w.name, err)
		}
		if dir != "" {
			if err := os.WriteFile(filepath.Join(dir, name+"-"+w.name+".png"), shot, 0o644); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	b.do("viewport reset", chromedp.EmulateViewport(1280, 900))
}
