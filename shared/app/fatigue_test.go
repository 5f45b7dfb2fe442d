package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
)

var contactKey = []byte(strings.Repeat("c", 32))

// fatigued is the harness with people's records on: one survey per person
// per 30 days.
func fatigued(t *testing.T) *harness {
	return newHarness(t, func(c *app.Config) { c.ContactKey = contactKey })
}

// booking is a completed booking of the harness's customer under ref.
func (h *harness) booking(ref string, at time.Time) (string, schedule.Fire) {
	h.t.Helper()
	e := h.event("e-"+ref, domain.BookingCompleted, at)
	e.Ref = ref
	res := h.ingest(e)
	for _, s := range h.schedules() {
		if s.IncidentID == res.IncidentID && s.Step == "thanks-1" {
			return res.IncidentID, s.Fire()
		}
	}
	h.t.Fatalf("no thank-you scheduled for %s", ref)
	return "", schedule.Fire{}
}

// Two bookings of one guest within 30 days: one survey; the other
// incident's timeline says why it sent none.
func TestOneSurveyPerPersonPerCooldown(t *testing.T) {
	h := fatigued(t)
	ctx := context.Background()
	first, f1 := h.booking("BK-1", t0)
	second, f2 := h.booking("BK-2", t0.Add(time.Hour))
	if r, err := h.svc.Dispatch(ctx, f1); err != nil || !r.Sent {
		t.Fatalf("first survey: %+v %v", r, err)
	}
	r, err := h.svc.Dispatch(ctx, f2)
	if err != nil || r.Sent || r.Skipped != app.SkipThrottled {
		t.Fatalf("second survey within the month: %+v %v", r, err)
	}
	if h.sends.Load() != 1 {
		t.Fatalf("%d emails, want one survey", h.sends.Load())
	}
	inc := h.incident(second)
	st := inc.Steps["thanks-1"]
	if st.Status != domain.StepSkipped || !strings.Contains(st.Error, "throttled") {
		t.Fatalf("step = %+v", st)
	}
	i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryNotSent })
	if i < 0 || !strings.Contains(inc.Timeline[i].Detail, "throttled: a survey went out on 2026-11-2") {
		t.Fatalf("timeline does not say why: %+v", inc.Timeline)
	}
	// Skipped is final: fired again, it sends nothing and plans nothing.
	if r, err := h.svc.Dispatch(ctx, f2); err != nil || r.Sent {
		t.Fatalf("fired again: %+v %v", r, err)
	}
	for _, s := range h.schedules() {
		if s.IncidentID == second {
			t.Errorf("a skipped survey left a wake-up call: %s", s.Name)
		}
	}
	// The person's record knows both incidents, and which survey used the budget.
	c, err := h.store.GetContact(ctx, domain.ContactKey(contactKey, "nikos@example.com"))
	if err != nil || len(c.Incidents) != 2 || c.LastSurvey == nil || c.LastSurvey.Incident != first {
		t.Fatalf("contact %+v %v", c, err)
	}
	// Two completed bookings, and the last email that went to them.
	if c.CompletedBookings != 2 || c.LastSent == nil || c.LastSent.Incident != first || c.LastSent.Step != "thanks-1" {
		t.Fatalf("completed %d, last sent %+v", c.CompletedBookings, c.LastSent)
	}
	// The first survey's reminder is not a new survey: it goes.
	if !slices.ContainsFunc(h.schedules(), func(e localsched.Entry) bool { return e.Step == "thanks-1-r" }) {
		t.Error("the survey's reminder was not planned")
	}
}

// Two incidents of one person dispatched at the same moment: the budget is
// claimed with a conditional write on the person's record, so one survey.
func TestConcurrentSurveysOfOnePerson(t *testing.T) {
	h := fatigued(t)
	var fires []schedule.Fire
	for _, ref := range []string{"BK-1", "BK-2", "BK-3", "BK-4"} {
		_, f := h.booking(ref, t0)
		fires = append(fires, f)
	}
	var wg sync.WaitGroup
	for _, f := range fires {
		wg.Go(func() {
			if _, err := h.svc.Dispatch(context.Background(), f); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := h.sends.Load(); n != 1 {
		t.Fatalf("%d surveys went to one person at once, want 1", n)
	}
}

// The sender can leave an incident's surveys out (native no_survey), and
// the policy can survey a sample; either way the step is skipped with why.
func TestNoSurveyAndSample(t *testing.T) {
	ctx := context.Background()
	h := fatigued(t)
	e := h.event("e1", domain.BookingCompleted, t0)
	no := true
	e.NoSurvey = &no
	res := h.ingest(e)
	f := fireOf(h.schedules()[0])
	if r, err := h.svc.Dispatch(ctx, f); err != nil || r.Skipped != app.SkipNoSurvey {
		t.Fatalf("no_survey: %+v %v", r, err)
	}
	if st := h.incident(res.IncidentID).Steps["thanks-1"]; st.Status != domain.StepSkipped || !strings.HasPrefix(st.Error, "no_survey") {
		t.Fatalf("step %+v", st)
	}
	// The person's budget is untouched: nothing was asked.
	if c, err := h.store.GetContact(ctx, domain.ContactKey(contactKey, "nikos@example.com")); err != nil || c.LastSurvey != nil {
		t.Fatalf("contact %+v, %v; want one whose budget is unspent", c, err)
	}

	sampled := newHarness(t, func(c *app.Config) {
		c.Policy.SurveySample = "1/2"
		c.Policy.SurveyCooldown = new(domain.Duration) // no budget: only the sample decides
	})
	sent, skipped := 0, 0
	for i := range 40 {
		e := sampled.event(fmt.Sprintf("s%d", i), domain.BookingCompleted, t0)
		e.Ref = fmt.Sprintf("BK-%d", i)
		res := sampled.ingest(e)
		var fire schedule.Fire
		for _, s := range sampled.schedules() {
			if s.IncidentID == res.IncidentID {
				fire = s.Fire()
			}
		}
		r, err := sampled.svc.Dispatch(ctx, fire)
		if err != nil {
			t.Fatal(err)
		}
		if r.Sent != sampled.svc.Policy().Sampled(res.IncidentID) {
			t.Fatalf("%s: sent %v, but the sample says %v", res.IncidentID, r.Sent, !r.Sent)
		}
		if r.Sent {
			sent++
		} else if r.Skipped == app.SkipSampledOut {
			skipped++
		}
	}
	if sent < 10 || skipped < 10 || sent+skipped != 40 {
		t.Fatalf("1/2 sample: %d sent, %d sampled out of 40", sent, skipped)
	}
}

// A booking that completes after it was created is counted when its
// survey is dispatched, even when the survey is throttled.
func TestThrottledSurveyStillCountsTheBooking(t *testing.T) {
	h := fatigued(t)
	ctx := context.Background()
	_, f1 := h.booking("BK-1", t0)
	if r, err := h.svc.Dispatch(ctx, f1); err != nil || !r.Sent {
		t.Fatalf("%+v %v", r, err)
	}
	created := h.event("e-created-BK-2", domain.BookingCreated, t0)
	created.Ref = "BK-2"
	h.ingest(created)
	_, f2 := h.booking("BK-2", t0.Add(time.Minute))
	if r, err := h.svc.Dispatch(ctx, f2); err != nil || r.Skipped != app.SkipThrottled {
		t.Fatalf("%+v %v", r, err)
	}
	c, err := h.store.GetContact(ctx, domain.ContactKey(contactKey, "nikos@example.com"))
	if err != nil || c.CompletedBookings != 2 {
		t.Fatalf("completed bookings %d (%v), want 2", c.CompletedBookings, err)
	}
}
