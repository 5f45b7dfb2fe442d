package local_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/jhillyerd/enmime/v2"
)

// TestPreArrivalEndToEnd: a guest books five days ahead; the default
// policy plans pre-arrival advice two days before at 10:00 in the guest's
// zone; it goes out with the operator's advice matched from the
// AFTERCARE_ADVICE file, in the guest's language, and a valid .ics.
func TestPreArrivalEndToEnd(t *testing.T) {
	dir := t.TempDir()
	advicePath := filepath.Join(dir, "advice.json")
	if err := os.WriteFile(advicePath, []byte(`{
	  "entries": [
	    {"name": "kayak", "match": {"title": "kayak", "location": "chania"},
	     "text": {"en": "Bring a swimsuit and a towel.", "es": "Traiga bañador y toalla.\n\nLe esperamos en el quiosco azul."}},
	    {"name": "gorge", "match": {"title": "samaria"}, "text": {"en": "Wear hiking boots."}}
	  ],
	  "default": {"text": {"en": "Arrive 10 minutes early.", "es": "Llegue 10 minutos antes."}}
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startLoop(t, map[string]string{"AFTERCARE_ADVICE": advicePath})

	madrid, _ := time.LoadLocation("Europe/Madrid")
	d := time.Now().In(madrid).AddDate(0, 0, 5)
	starts := time.Date(d.Year(), d.Month(), d.Day(), 17, 0, 0, 0, madrid)
	srv.webhook("msg_pre_1", map[string]any{
		"type": "booking.created", "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		"customer": map[string]any{"email": "maria@example.com", "name": "María Pérez", "locale": "es-ES", "time_zone": "Europe/Madrid"},
		"booking": map[string]any{
			"ref": "BK-2001", "title": "Sunset kayak tour", "location": "Old Port, Chania", "agent": "Nikos",
			"starts_at": starts.UTC().Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).UTC().Format(time.RFC3339),
		},
	})
	if srv.hasMail("advice-s") {
		t.Fatal("advice sent at booking time, five days ahead")
	}
	fired := srv.runDue(starts.Add(-time.Hour))
	var ran bool
	for _, f := range fired {
		if f.Step == "advice-s" {
			ran = true
			if f.Error != "" {
				t.Fatalf("dispatch: %s", f.Error)
			}
		}
	}
	if !ran {
		t.Fatalf("no advice-s schedule fired: %+v", fired)
	}

	m := srv.mailFor("advice-s")
	if !strings.Contains(m.to, "maria@example.com") {
		t.Errorf("to %q", m.to)
	}
	for _, want := range []string{
		"Traiga bañador y toalla.", "Le esperamos en el quiosco azul.", // the matched entry, in Spanish
		"17:00–20:00 (hora de Europe/Madrid)", "Old Port, Chania", "Nikos",
		"https://www.google.com/maps/search/?api=1&query=Old+Port%2C+Chania",
	} {
		if !strings.Contains(m.text, want) {
			t.Errorf("advice email lacks %q:\n%s", want, m.text)
		}
	}

	// The .ics: one, parseable, at the booking's start, UID per booking.
	env := srv.envelopeFor("advice-s")
	if len(env.Attachments) != 1 {
		t.Fatalf("%d attachments, want the .ics", len(env.Attachments))
	}
	a := env.Attachments[0]
	if a.FileName != "booking.ics" || !strings.HasPrefix(a.ContentType, "text/calendar") {
		t.Errorf("attachment %q %q", a.FileName, a.ContentType)
	}
	cal, err := goical.NewDecoder(bytes.NewReader(a.Content)).Decode()
	if err != nil {
		t.Fatalf(".ics does not parse: %v\n%s", err, a.Content)
	}
	ev := cal.Events()
	if len(ev) != 1 {
		t.Fatalf("%d events", len(ev))
	}
	if start, err := ev[0].DateTimeStart(time.UTC); err != nil || !start.Equal(starts) {
		t.Errorf("DTSTART %s %v, want %s", start, err, starts.UTC())
	}
	if uid := ev[0].Props.Get(goical.PropUID).Value; !strings.HasPrefix(uid, srv.incident().ID+"@") {
		t.Errorf("UID %q is not the booking's", uid)
	}
	if s, _ := ev[0].Props.Text(goical.PropSummary); s != "Sunset kayak tour" {
		t.Errorf("SUMMARY %q", s)
	}

	// The console's message page shows the calendar file as text.
	var name string
	files, _ := filepath.Glob(filepath.Join(srv.dataDir, "outbox", "*.eml"))
	for _, f := range files {
		if raw, _ := os.ReadFile(f); bytes.Contains(raw, []byte("X-Aftercare-Step: advice-s")) {
			name = filepath.Base(f)
		}
	}
	if page := srv.consoleHTML("GET", "/dev/outbox/"+name); !strings.Contains(page, "Attachment <code>booking.ics</code>") || !strings.Contains(page, "BEGIN:VEVENT") {
		t.Errorf("the message page does not show the .ics")
	}

	// Sent once: running everything up to the start sends nothing more.
	srv.runDue(starts.Add(-time.Minute))
	n := 0
	for _, m := range srv.outbox() {
		if m.step == "advice-s" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d advice emails, want 1", n)
	}
}

// envelopeFor parses the outbox message of a step, attachments and all.
func (s *loopServer) envelopeFor(step string) *enmime.Envelope {
	s.t.Helper()
	for _, env := range s.envelopes() {
		if env.GetHeader("X-Aftercare-Step") == step {
			return env
		}
	}
	s.t.Fatalf("no %s email in the outbox", step)
	return nil
}
