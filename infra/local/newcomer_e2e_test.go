package local_test

import (
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
