package local_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/local/devenv"
)

// TestDevDefaultsShowTheTeamAlert is the README's promise to a newcomer who
// runs `make dev` with nothing set: a low score visibly reaches the team
// (the alert in the outbox, to the dev team mailbox) and the customer gets
// the acknowledgement. Without the dev defaults neither is sent, which is
// what the runtime the other tests start shows.
func TestDevDefaultsShowTheTeamAlert(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		alerted bool
	}{
		{"make dev defaults", devenv.Defaults, true},
		{"no team email, as before", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startLoop(t, tt.env)
			srv.webhook("msg_newcomer", map[string]any{
				"type": "booking.completed", "occurred_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
				"customer": map[string]any{"email": "maria@example.com", "name": "María Pérez", "locale": "es-ES", "time_zone": "Europe/Madrid"},
				"booking":  map[string]any{"ref": "BK-1042", "title": "Sunset sailing"},
			})
			srv.runDue(time.Now().Add(48 * time.Hour))
			thanks := srv.mailFor("thanks-1")
			links := regexp.MustCompile(regexp.QuoteMeta(srv.base)+`/r/[A-Za-z0-9_\-.]+`).FindAllString(thanks.text, -1)
			if len(links) != 5 {
				t.Fatalf("want 5 rating links, got %d", len(links))
			}
			resp, err := http.PostForm(links[0], url.Values{"confirm": {"1"}, "comment": {"El barco llegó tarde."}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("rating: %s", resp.Status)
			}
			if !tt.alerted {
				if srv.hasMail("alert-1") || srv.hasMail("ack-1") {
					t.Fatal("with no team email, no alert or acknowledgement is expected")
				}
				return
			}
			alert := srv.mailFor("alert-1")
			if !strings.Contains(alert.to, "team@aftercare.localhost") || !strings.Contains(alert.text, "El barco llegó tarde.") {
				t.Fatalf("team alert to %q:\n%s", alert.to, alert.text)
			}
			if ack := srv.mailFor("ack-1"); !strings.Contains(ack.to, "maria@example.com") {
				t.Fatalf("acknowledgement to %q, want the customer", ack.to)
			}
		})
	}
}

// consoleHTML gets the console (following a form's redirect when resp is
// given) and returns its HTML.
func (s *devServer) consoleHTML(method, path string) string {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req) // follows the 303 back to the console
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("%s %s: %s %v", method, path, resp.Status, err)
	}
	return string(b)
}

// TestConsoleSpeaksWords: the console shows when a follow-up is due in the
// customer's zone beside UTC, and says what Run now did in words, with the
// ids kept beside them in small print.
func TestConsoleSpeaksWords(t *testing.T) {
	srv := startDev(t, t.TempDir())
	code, reply := srv.post("msg_words", bookingCompleted(t, time.Now().Add(-time.Hour)))
	if code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	var scheds []apiSchedule
	srv.getJSON("/dev/api/schedules", &scheds)
	if len(scheds) != 1 {
		t.Fatalf("schedules = %+v", scheds)
	}
	sc := scheds[0]
	madrid, _ := time.LoadLocation("Europe/Madrid")
	page := srv.consoleHTML(http.MethodGet, "/")
	for _, want := range []string{
		sc.Due.UTC().Format("2006-01-02 15:04:05Z"),                           // UTC
		sc.Due.In(madrid).Format("2006-01-02") + " 10:00 Europe/Madrid",       // and the customer's time
		"the thank-you, to the customer",                                      // the step in words
		`<small class="muted">step thanks-1</small>`, `title="` + sc.ID + `"`, // its ids kept
	} {
		if !strings.Contains(page, want) {
			t.Errorf("console lacks %q", want)
		}
	}

	page = srv.consoleHTML(http.MethodPost, "/dev/schedules/"+url.PathEscape(sc.ID)+"/run")
	flash := regexp.MustCompile(`(?s)<p class="flash" id="flash"[^>]*>(.*?)</p>`).FindStringSubmatch(page)
	if flash == nil {
		t.Fatal("no flash after Run now")
	}
	if !strings.HasPrefix(flash[1], "Sent the thank-you (step thanks-1) to the customer.") || !strings.Contains(flash[0], `title="`+sc.ID+`"`) {
		t.Errorf("flash = %q, want what was sent in words, and the schedule's id", flash[0])
	}
	if !strings.Contains(page, "<strong>sent the thank-you</strong>") {
		t.Error("the timeline should say sent the thank-you")
	}
	if !strings.Contains(page, "the reminder of the thank-you, to the customer") {
		t.Error("the pending reminder should be named in words")
	}

	// The same schedule again: it is gone, and the console says so.
	page = srv.consoleHTML(http.MethodPost, "/dev/schedules/"+url.PathEscape(sc.ID)+"/run")
	if !strings.Contains(page, "That schedule is no longer pending") {
		t.Errorf("a second Run now: want no longer pending, got flash %q", regexp.MustCompile(`(?s)id="flash".*?</p>`).FindString(page))
	}
	page = srv.consoleHTML(http.MethodPost, "/dev/schedules/run-due?until="+url.QueryEscape(time.Now().UTC().Format(time.RFC3339)))
	if !strings.Contains(page, "Nothing was due by then.") {
		t.Errorf("run-due with nothing due: flash %q", regexp.MustCompile(`(?s)id="flash".*?</p>`).FindString(page))
	}
	// Nobody answered: Run due, days later, sends the reminder, and says so.
	page = srv.consoleHTML(http.MethodPost, "/dev/schedules/run-due?until="+url.QueryEscape(sc.Due.Add(7*24*time.Hour).UTC().Format(time.RFC3339)))
	if want := "Ran 1 due schedule(s). Sent the reminder of the thank-you (step thanks-1-r) to the customer."; !strings.Contains(page, want) {
		t.Errorf("run-due: want %q, flash %q", want, regexp.MustCompile(`(?s)id="flash".*?</p>`).FindString(page))
	}
}
