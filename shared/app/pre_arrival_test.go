package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"

	"github.com/aftercare/aftercare/shared/advice"
	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail/outbox"
)

const adviceFile = `{"entries":[
  {"name":"families","match":{"tags":["family"]},"text":{"en":"Child life jackets are on board."}},
  {"name":"gorge","match":{"title":"samaria"},"text":{"en":"Wear hiking boots.","el":"Φορέστε ορειβατικά παπούτσια."}}],
 "default":{"text":{"en":"Arrive 10 minutes early."}}}`

// booking is a hike booked at t0 for five days later, 08:00 in Athens.
func (h *harness) preBooking(id string, typ domain.EventType, at, starts time.Time) domain.Event {
	e := h.event(id, typ, at)
	e.StartsAt, e.EndsAt = starts, starts.Add(6*time.Hour)
	e.Location, e.Agent = "Xyloskalo, Omalos; Chania", "Eleni"
	return e
}

func TestPreArrivalAdvice(t *testing.T) {
	a, err := advice.Parse([]byte(adviceFile))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *app.Config) { c.Advice = a })
	starts := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC) // 08:00 EET
	res := h.ingest(h.preBooking("c1", domain.BookingCreated, t0, starts))

	advised := func() []string {
		var names []string
		for _, s := range h.schedules() {
			if s.Step == "advice-s" {
				names = append(names, s.Name)
			}
		}
		return names
	}
	first := advised()
	if len(first) != 1 || !strings.HasSuffix(first[0], ".advice-s.20261123T0800") {
		t.Fatalf("advice schedules = %v, want one due 2026-11-23 10:00 Athens (08:00Z)", first)
	}

	// A reschedule moves the wake-up call; the old one, fired anyway, is superseded or unwanted.
	h.clock.Set(t0.Add(time.Hour))
	h.ingest(h.preBooking("u1", domain.BookingUpdated, t0.Add(time.Hour), starts.AddDate(0, 0, 1)))
	moved := advised()
	if len(moved) != 1 || !strings.HasSuffix(moved[0], ".advice-s.20261124T0800") {
		t.Fatalf("after the reschedule: %v, want one due 2026-11-24 08:00Z", moved)
	}

	// It fires: the email carries the matched advice and the .ics.
	h.clock.Set(time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC))
	var fire = h.schedules()[0]
	for _, s := range h.schedules() {
		if s.Step == "advice-s" {
			fire = s
		}
	}
	r, err := h.svc.Dispatch(context.Background(), fireOf(fire))
	if err != nil || !r.Sent {
		t.Fatalf("dispatch: %+v %v", r, err)
	}
	env := lastMessage(t, h)
	if !strings.Contains(env.Text, "Φορέστε ορειβατικά παπούτσια.") {
		t.Errorf("the matched advice, in Greek, is missing:\n%s", env.Text)
	}
	if !strings.Contains(env.Text, "Πέμπτη, 26 Νοεμβρίου 2026, 08:00–14:00 (ώρα Europe/Athens)") {
		t.Errorf("the local time is missing:\n%s", env.Text)
	}
	if len(env.Attachments) != 1 || env.Attachments[0].Name != app.CalendarFileName {
		t.Fatalf("attachments = %d, want %s", len(env.Attachments), app.CalendarFileName)
	}
	cal, err := goical.NewDecoder(bytes.NewReader(env.Attachments[0].Data)).Decode()
	if err != nil {
		t.Fatalf("the .ics does not parse: %v", err)
	}
	ev := cal.Events()[0]
	if uid := ev.Props.Get(goical.PropUID).Value; uid != res.IncidentID+"@seabreeze.example" {
		t.Errorf("UID = %q, want the incident's id at the sender's domain", uid)
	}
	if start, err := ev.DateTimeStart(time.UTC); err != nil || !start.Equal(starts.AddDate(0, 0, 1)) {
		t.Errorf("DTSTART = %s %v, want the rescheduled start", start, err)
	}
	if loc, _ := ev.Props.Text(goical.PropLocation); loc != "Xyloskalo, Omalos; Chania" {
		t.Errorf("LOCATION = %q", loc)
	}

	// Sent once: no new wake-up call, and a later no-show or completion
	// does not send it again.
	if n := advised(); len(n) != 0 {
		t.Errorf("after sending: %v", n)
	}
	h.clock.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	h.ingest(h.preBooking("n1", domain.BookingNoShow, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), starts.AddDate(0, 0, 1)))
	if n := advised(); len(n) != 0 {
		t.Errorf("after a no-show: %v", n)
	}
	if got := h.sends.Load(); got != 1 {
		t.Errorf("%d sends, want 1", got)
	}
}

// TestPreArrivalAdviceByTags: the sender's tags reach the matching, and
// the first matching entry wins; English for a language the entry lacks.
func TestPreArrivalAdviceByTags(t *testing.T) {
	a, err := advice.Parse([]byte(adviceFile))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *app.Config) { c.Advice = a })
	starts := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	e := h.preBooking("c1", domain.BookingCreated, t0, starts)
	e.Tags = "vip,Family"
	h.ingest(e)
	for _, s := range h.schedules() {
		if s.Step == "advice-s" {
			if r, err := h.svc.Dispatch(context.Background(), fireOf(s)); err != nil || !r.Sent {
				t.Fatalf("dispatch: %+v %v", r, err)
			}
		}
	}
	m := lastMessage(t, h)
	if !strings.Contains(m.Text, "Child life jackets are on board.") || strings.Contains(m.Text, "hiking boots") || strings.Contains(m.Text, "ορειβατικά") {
		t.Errorf("want the families entry (first match), in English:\n%s", m.Text)
	}
}

func TestPreArrivalCancelled(t *testing.T) {
	h := newHarness(t)
	starts := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	h.ingest(h.preBooking("c1", domain.BookingCreated, t0, starts))
	var old []string
	for _, s := range h.schedules() {
		old = append(old, s.Name)
	}
	if len(old) != 1 {
		t.Fatalf("schedules = %v", old)
	}
	h.ingest(h.preBooking("x1", domain.BookingCancelled, t0.Add(time.Minute), starts))
	if s := h.schedules(); len(s) != 0 {
		t.Fatalf("a cancellation left %d schedules", len(s))
	}
}

// lastMessage reads the newest message in the outbox.
func lastMessage(t *testing.T, h *harness) outbox.Entry {
	t.Helper()
	list, err := h.outbox.List(1)
	if err != nil || len(list) == 0 {
		t.Fatalf("outbox: %v, %d messages", err, len(list))
	}
	e, err := h.outbox.Read(list[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPreArrivalTooLateSaysWhy: booked at 21:30 Athens for 07:00 the next
// morning, only quiet hours are left: no advice, and the timeline says why.
func TestPreArrivalTooLateSaysWhy(t *testing.T) {
	h := newHarness(t)
	at := t0.Add(90 * time.Minute) // 19:30Z, 21:30 in Athens
	h.clock.Set(at)
	res := h.ingest(h.preBooking("c1", domain.BookingCreated, at, time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)))
	for _, s := range h.schedules() {
		if s.Step == "advice-s" {
			t.Fatalf("scheduled %s", s.Name)
		}
	}
	inc := h.incident(res.IncidentID)
	e := inc.Timeline[len(inc.Timeline)-1]
	if e.Kind != domain.EntryNotSent || e.Step != "advice-s" || !strings.Contains(e.Detail, "too close to its start") {
		t.Errorf("last timeline entry = %+v", e)
	}
}
