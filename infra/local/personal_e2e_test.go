package local_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPersonalTouchJourney is issue 12's guest on the local runtime: two
// bookings completed, a third booked five days ahead gets the pre-arrival
// advice (with its .ics), completes, gets the thank-you survey and, being
// the 3rd completed booking, the loyalty note with a personal code; a
// later booking carrying the code redeems it, and a second one cannot.
func TestPersonalTouchJourney(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policy, []byte(`{
	  "quiet_hours": {"start": "21:00", "end": "09:00"},
	  "max_lateness": "7d",
	  "survey_cooldown": "0s",
	  "rules": [
	    {"kind": "booking", "status": ["booked"], "steps": [{"id": "advice", "template": "pre_arrival", "before_start": "2d", "at": "10:00"}]},
	    {"kind": "booking", "status": ["completed"], "steps": [{"id": "thanks", "template": "thank_you", "survey": "csat", "days": 1, "at": "10:00"}]}
	  ],
	  "loyalty": {"tiers": [3, 5], "offer": {"en": "15% off your next booking", "es": "un 15 % de descuento en su próxima reserva"}}
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startLoop(t, map[string]string{"AFTERCARE_POLICY": policy})
	now := time.Now().UTC()
	guest := map[string]any{"email": "lucia@example.com", "name": "Lucía Gómez", "locale": "es-ES", "time_zone": "Europe/Madrid"}
	booking := func(id, typ, ref string, at, starts time.Time, extra map[string]any) {
		b := map[string]any{"ref": ref, "title": "Sunset kayak tour", "location": "Old Port, Chania",
			"starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339)}
		for k, v := range extra {
			b[k] = v
		}
		srv.webhook(id, map[string]any{"type": typ, "occurred_at": at.Format(time.RFC3339), "customer": guest, "booking": b})
	}
	// Two earlier stays, completed four and three days ago (a day apart,
	// so the record counts them in order).
	for i, ref := range []string{"BK-1", "BK-2"} {
		done := now.Add(-time.Duration(4-i) * 24 * time.Hour)
		booking("c-"+ref, "booking.created", ref, done.Add(-10*24*time.Hour), done.Add(-3*time.Hour), nil)
		booking("d-"+ref, "booking.completed", ref, done, done.Add(-3*time.Hour), nil)
		srv.runDue(done.Add(3 * 24 * time.Hour))
	}
	// Their loyalty steps went, as not a tier.
	for _, m := range srv.outbox() {
		if strings.HasPrefix(m.step, "loyalty-") {
			t.Fatalf("a loyalty note for a 1st or 2nd booking: %+v", m)
		}
	}

	// The third: booked five days ahead; the advice goes two days before.
	starts := now.Add(5 * 24 * time.Hour).Truncate(time.Hour)
	booking("c-BK-3", "booking.created", "BK-3", now, starts, nil)
	srv.runDue(starts.Add(-time.Hour))
	advice := srv.envelopeFor("advice-s")
	if len(advice.Attachments) != 1 || advice.Attachments[0].FileName != "booking.ics" || !strings.Contains(advice.Text, "Old Port, Chania") {
		t.Fatalf("pre-arrival advice: %d attachments\n%s", len(advice.Attachments), advice.Text)
	}
	// It completes; the thank-you survey and the loyalty note follow.
	booking("d-BK-3", "booking.completed", "BK-3", now.Add(time.Minute), starts, nil)
	srv.runDue(now.Add(4 * 24 * time.Hour))
	var thanks, note int
	var noteText string
	for _, m := range srv.outbox() {
		switch {
		case m.step == "thanks-1" && strings.Contains(m.to, "lucia@"):
			thanks++
		case strings.HasPrefix(m.step, "loyalty-"):
			note++
			noteText = m.text
		}
	}
	if thanks != 3 || note != 1 {
		t.Fatalf("%d thank-yous and %d loyalty notes, want 3 and 1", thanks, note)
	}
	code := regexp.MustCompile(`THANKS3-[0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(noteText)
	for _, want := range []string{"3 veces desde", "un 15 % de descuento en su próxima reserva"} {
		if !strings.Contains(noteText, want) {
			t.Errorf("the loyalty note lacks %q:\n%s", want, noteText)
		}
	}
	if code == "" {
		t.Fatalf("no offer code in the note:\n%s", noteText)
	}

	// A later booking carries the code: redeemed, on its timeline.
	later := now.Add(30 * 24 * time.Hour)
	booking("c-BK-4", "booking.created", "BK-4", now.Add(2*time.Minute), later, map[string]any{"offer_code": strings.ToLower(code)})
	booking("c-BK-5", "booking.created", "BK-5", now.Add(3*time.Minute), later.Add(24*time.Hour), map[string]any{"offer_code": code})
	offers := func(ref string) []string {
		var out []string
		var all []apiIncident
		srv.getJSON("/dev/api/incidents", &all)
		for _, inc := range all {
			if inc.Ref != ref {
				continue
			}
			for _, e := range inc.Timeline {
				if e.Kind == "offer_code" {
					out = append(out, e.Detail)
				}
			}
		}
		return out
	}
	if got := offers("BK-4"); len(got) != 1 || !strings.Contains(got[0], "redeemed (the thanks for the 3rd booking") {
		t.Fatalf("BK-4's timeline: %q", got)
	}
	if got := offers("BK-5"); len(got) != 1 || !strings.Contains(got[0], "already redeemed") {
		t.Fatalf("BK-5's timeline: %q", got)
	}
}
