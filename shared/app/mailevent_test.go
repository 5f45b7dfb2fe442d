package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/sesevents"
)

// mailEvent posts a sample SES event about an incident's step.
func (h *harness) mailEvent(sample, id, step, to, suffix string) app.MailEventResult {
	h.t.Helper()
	raw, err := sesevents.Sample(sample, id, step, to, suffix)
	if err != nil {
		h.t.Fatal(err)
	}
	ev, err := sesevents.Parse(raw)
	if err != nil {
		h.t.Fatal(err)
	}
	r, err := h.svc.RecordMailEvent(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("%s: %v", sample, err)
	}
	return r
}

func (h *harness) consent() domain.Consent {
	h.t.Helper()
	c, err := h.store.GetContact(context.Background(), domain.ContactKey(contactKey, "nikos@example.com"))
	if err != nil {
		h.t.Fatal(err)
	}
	return c.Consent
}

// A permanent bounce suppresses the person: the next follow-up, from
// another incident, is not sent and says why; the event is on the
// timeline of the incident whose message bounced; a redelivery changes
// nothing twice.
func TestPermanentBounceSuppresses(t *testing.T) {
	h := fatigued(t)
	ctx := context.Background()
	first, f1 := h.booking("BK-1", t0)
	if r, err := h.svc.Dispatch(ctx, f1); err != nil || !r.Sent {
		t.Fatalf("%+v %v", r, err)
	}
	r := h.mailEvent("bounce-permanent", first, "thanks-1", "Nikos@Example.com", "1")
	if r.Outcome != app.MailSuppressed || r.IncidentID != first {
		t.Fatalf("%+v", r)
	}
	if c := h.consent(); c.State != domain.ConsentSuppressed || !strings.Contains(c.Reason, "permanent bounce (General)") {
		t.Fatalf("consent %+v", c)
	}
	if r := h.mailEvent("bounce-permanent", first, "thanks-1", "nikos@example.com", "1"); r.Outcome != app.MailDuplicate {
		t.Fatalf("redelivery: %+v", r)
	}
	inc := h.incident(first)
	if n := countEntries(inc, domain.EntryMailEvent); n != 1 {
		t.Fatalf("%d mail events on the timeline: %+v", n, inc.Timeline)
	}
	i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryMailEvent })
	if d := inc.Timeline[i].Detail; !strings.Contains(d, "bounce: Permanent (General)") || strings.Contains(d, "nikos") {
		t.Fatalf("timeline: %q", d)
	}

	h.clock.Set(t0.Add(40 * 24 * time.Hour))
	second, f2 := h.booking("BK-2", h.clock.Now())
	if r, err := h.svc.Dispatch(ctx, f2); err != nil || r.Sent || r.Skipped != app.SkipNotMailable {
		t.Fatalf("after the bounce: %+v %v", r, err)
	}
	inc = h.incident(second)
	i = slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryNotSent })
	if i < 0 || !strings.Contains(inc.Timeline[i].Detail, "suppressed: permanent bounce") {
		t.Fatalf("timeline does not say why: %+v", inc.Timeline)
	}
	// The person's link cannot undo a suppression.
	if v, err := h.svc.Resubscribe(ctx, h.unsubscribeToken(second)); err != nil || !v.Suppressed {
		t.Fatalf("resubscribe: %+v %v", v, err)
	}
}

// Transient bounces count, once each; the third within 30 days
// suppresses. A complaint suppresses at once. A delay is only noted.
func TestSoftBouncesComplaintsDelays(t *testing.T) {
	h := fatigued(t)
	id, _ := h.booking("BK-1", t0)
	for i, want := range []string{app.MailSoftBounce, app.MailSoftBounce, app.MailSuppressed} {
		suffix := string(rune('a' + i))
		if r := h.mailEvent("bounce-transient", id, "thanks-1", "nikos@example.com", suffix); r.Outcome != want {
			t.Fatalf("soft bounce %d: %+v", i+1, r)
		}
		if i == 0 {
			if r := h.mailEvent("bounce-transient", id, "thanks-1", "nikos@example.com", suffix); r.Outcome != app.MailDuplicate {
				t.Fatalf("a redelivered soft bounce counted: %+v", r)
			}
		}
		h.clock.Advance(24 * time.Hour)
	}
	if c := h.consent(); c.State != domain.ConsentSuppressed || !strings.Contains(c.Reason, "3 soft bounces") {
		t.Fatalf("consent %+v", c)
	}

	g := fatigued(t)
	id, _ = g.booking("BK-1", t0)
	if r := g.mailEvent("delivery-delay", id, "thanks-1", "nikos@example.com", "1"); r.Outcome != app.MailNoted {
		t.Fatalf("delay: %+v", r)
	}
	if c := g.consent(); c.State != "" {
		t.Fatalf("a delay changed consent: %+v", c)
	}
	if r := g.mailEvent("complaint", id, "thanks-1", "nikos@example.com", "1"); r.Outcome != app.MailSuppressed {
		t.Fatalf("complaint: %+v", r)
	}
	if c := g.consent(); c.State != domain.ConsentSuppressed || !strings.Contains(c.Reason, "complaint (abuse)") {
		t.Fatalf("consent %+v", c)
	}
}

// The team's alert bouncing says nothing about the customer; an event
// about no incident of ours, or of another kind, is dropped.
func TestMailEventsNotAboutTheCustomer(t *testing.T) {
	h := fatigued(t)
	id, _ := h.booking("BK-1", t0)
	if r := h.mailEvent("bounce-permanent", id, "alert-1", "desk@seabreeze.example", "1"); r.Outcome != app.MailNoted {
		t.Fatalf("the team's bounce: %+v", r)
	}
	if c := h.consent(); c.State != "" {
		t.Fatalf("the team's bounce suppressed the customer: %+v", c)
	}
	inc := h.incident(id)
	if i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryMailEvent }); i < 0 || !strings.Contains(inc.Timeline[i].Detail, "not the customer's address") {
		t.Fatalf("timeline %+v", inc.Timeline)
	}
	for name, ev := range map[string]app.MailEvent{
		"unknown incident": {ID: "e1", Type: app.MailBounce, BounceType: "Permanent", Incident: "inc_aaaaaaaaaaaaaaaa", Recipients: []string{"nikos@example.com"}},
		"no tag":           {ID: "e2", Type: app.MailComplaint, Recipients: []string{"nikos@example.com"}},
		"an open":          {ID: "e3", Type: "Open", Incident: id},
	} {
		r, err := h.svc.RecordMailEvent(context.Background(), ev)
		if err != nil || r.Outcome != app.MailDropped {
			t.Errorf("%s: %+v %v", name, r, err)
		}
	}
	if c := h.consent(); c.State != "" {
		t.Fatalf("consent %+v", c)
	}
}
