package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestContactKey(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	a := ContactKey(key, "  Maria@Example.COM ")
	if a != ContactKey(key, "maria@example.com") {
		t.Error("the same address, spelt in another case, is another person")
	}
	if a == ContactKey(key, "mario@example.com") || a == ContactKey([]byte(strings.Repeat("x", 32)), "maria@example.com") {
		t.Error("keys collide")
	}
	if !strings.HasPrefix(a, "con_") || strings.Contains(a, "maria") || len(a) != 4+24 {
		t.Errorf("key %q", a)
	}
}

// One survey per person per cooldown, whatever the incident; the same
// step may claim again (a retry); after the cooldown the budget is back.
func TestClaimSurvey(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	month := 30 * 24 * time.Hour
	var c Contact
	if err := c.ClaimSurvey("inc_a", "thanks-1", month, now); err != nil {
		t.Fatal(err)
	}
	if err := c.ClaimSurvey("inc_a", "thanks-1", month, now.Add(time.Hour)); err != nil {
		t.Fatalf("the same step again: %v", err)
	}
	err := c.ClaimSurvey("inc_b", "csat-1", month, now.Add(29*24*time.Hour))
	if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), "2026-11-21") || !strings.Contains(err.Error(), "2026-12-21") {
		t.Fatalf("another incident within the month: %v", err)
	}
	if c.LastSurvey.Incident != "inc_a" {
		t.Fatalf("a refused claim changed the budget: %+v", c.LastSurvey)
	}
	if err := c.ClaimSurvey("inc_b", "csat-1", month, now.Add(month)); err != nil || c.LastSurvey.Incident != "inc_b" {
		t.Fatalf("after the cooldown: %v %+v", err, c.LastSurvey)
	}
	if err := c.ClaimSurvey("inc_c", "csat-1", 0, now.Add(month)); err != nil {
		t.Fatalf("no cooldown: %v", err)
	}
}

func TestContactSaw(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var c Contact
	inc := Incident{ID: "inc_a", Customer: Customer{Email: "Maria@Example.com", Name: "María", Locale: "es"}}
	if !c.Saw(inc, now) || c.Email != "maria@example.com" || c.Name != "María" || !c.FirstSeen.Equal(now) {
		t.Fatalf("first sight: %+v", c)
	}
	if c.Saw(inc, now.Add(time.Hour)) {
		t.Error("the same incident again changed the contact")
	}
	inc.ID, inc.Customer.TimeZone = "inc_b", "Europe/Madrid"
	if !c.Saw(inc, now.Add(time.Hour)) || len(c.Incidents) != 2 || c.TimeZone != "Europe/Madrid" || !c.LastSeen.Equal(now.Add(time.Hour)) {
		t.Fatalf("second incident: %+v", c)
	}
	for i := range 2 * maxContactIncidents {
		inc.ID = "inc_" + strings.Repeat("x", i)
		c.Saw(inc, now)
	}
	if len(c.Incidents) != maxContactIncidents {
		t.Fatalf("incidents grew to %d", len(c.Incidents))
	}
}

func TestSurveySample(t *testing.T) {
	p := DefaultPolicy()
	if !p.Sampled("inc_anything") {
		t.Fatal("without a sample every incident is surveyed")
	}
	p.SurveySample = "1/3"
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	in := 0
	for i := range 3000 {
		id := IncidentID("aftercare", strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String())
		if p.Sampled(id) != p.Sampled(id) {
			t.Fatal("the sample is not deterministic")
		}
		if p.Sampled(id) {
			in++
		}
	}
	if in < 850 || in > 1150 {
		t.Errorf("1/3 sample took %d of 3000", in)
	}
	for _, bad := range []string{"1", "0/3", "4/3", "1/1001", "a/b", "1/3/4"} {
		p.SurveySample = bad
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "survey_sample") {
			t.Errorf("survey_sample %q: %v", bad, err)
		}
	}
}

// no_survey is sticky: true sets it, false lifts it, absent leaves it.
func TestNoSurveyIsSticky(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	yes, no := true, false
	var inc Incident
	for i, tc := range []struct {
		said *bool
		want bool
	}{{&yes, true}, {nil, true}, {&no, false}, {nil, false}} {
		e := event(string(rune('a'+i)), BookingUpdated, now.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		e.NoSurvey = tc.said
		if _, err := inc.Apply(e, now); err != nil {
			t.Fatal(err)
		}
		if inc.NoSurvey != tc.want {
			t.Fatalf("event %d: NoSurvey = %v, want %v", i, inc.NoSurvey, tc.want)
		}
	}
}

// Consent: unsubscribing is the person's to undo, a suppression is not;
// three soft bounces within 30 days suppress, spread wider they do not.
func TestConsent(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var c Contact
	if _, ok := c.Mailable(); !ok {
		t.Fatal("a new person is not mailable")
	}
	if !c.Unsubscribe(now) || c.Unsubscribe(now) {
		t.Fatal("unsubscribe should change once")
	}
	if r, ok := c.Mailable(); ok || r != "suppressed: unsubscribed on 2026-11-21" {
		t.Fatalf("unsubscribed: %q %v", r, ok)
	}
	if !c.Resubscribe(now) {
		t.Fatal("resubscribe")
	}
	day := 24 * time.Hour
	if c.SoftBounce(now) || c.SoftBounce(now.Add(20*day)) || c.SoftBounce(now.Add(45*day)) {
		t.Fatalf("three soft bounces over 45 days suppressed: %+v", c.Consent)
	}
	if !c.SoftBounce(now.Add(46 * day)) {
		t.Fatalf("three within 30 days did not suppress: %+v", c)
	}
	if r, ok := c.Mailable(); ok || !strings.HasPrefix(r, "suppressed: 3 soft bounces") {
		t.Fatalf("suppressed: %q", r)
	}
	if c.Resubscribe(now) || c.Unsubscribe(now) || c.Suppress("complaint", now) {
		t.Fatal("a suppression was changed")
	}
	var d Contact
	if !d.Suppress(strings.Repeat("x", 10_000), now) || len(d.Consent.Reason) > 2_000 {
		t.Fatalf("reason not bounded: %d", len(d.Consent.Reason))
	}
}

// A completed booking counts once, whether the sender said so or (Cal.com,
// Calendly) its end passed; a ticket or a booking still to come does not.
func TestContactCountsCompletedBookings(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var c Contact
	booked := Incident{ID: "inc_a", Kind: KindBooking, Status: StatusBooked, Customer: Customer{Email: "a@b.example"}}
	c.Saw(booked, now)
	done := booked
	done.Status = StatusCompleted
	c.Saw(done, now)
	c.Saw(done, now.Add(time.Hour))
	implicit := Incident{ID: "inc_b", Kind: KindBooking, Status: StatusBooked, CompletesAtEnd: true, EndsAt: now.Add(time.Hour), Customer: booked.Customer}
	c.Saw(implicit, now) // not over yet
	if c.CompletedBookings != 1 {
		t.Fatalf("completed = %d, want 1", c.CompletedBookings)
	}
	if !c.Saw(implicit, now.Add(2*time.Hour)) || c.CompletedBookings != 2 {
		t.Fatalf("after its end: %d", c.CompletedBookings)
	}
	ticket := Incident{ID: "inc_c", Kind: KindTicket, Status: StatusSolved, Customer: booked.Customer}
	c.Saw(ticket, now)
	if c.CompletedBookings != 2 {
		t.Fatalf("a ticket counted: %d", c.CompletedBookings)
	}
}

func TestMessageBudgetIsApartFromTheSurveyBudget(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var c Contact
	if err := c.ClaimSurvey("inc_a", "thanks-1", 30*24*time.Hour, now); err != nil {
		t.Fatal(err)
	}
	// A note the same day: the survey spent its own budget, not this one.
	if err := c.ClaimMessage("inc_a", "review-1", 7*24*time.Hour, now); err != nil {
		t.Fatalf("first note: %v", err)
	}
	if err := c.ClaimMessage("inc_a", "review-1", 7*24*time.Hour, now.Add(time.Hour)); err != nil {
		t.Fatalf("the same note again (a retry): %v", err)
	}
	err := c.ClaimMessage("inc_b", "loyalty-3", 7*24*time.Hour, now.Add(6*24*time.Hour))
	if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), "2026-11-27") {
		t.Fatalf("another note within 7 days: %v", err)
	}
	if err := c.ClaimMessage("inc_b", "loyalty-3", 7*24*time.Hour, now.Add(7*24*time.Hour)); err != nil {
		t.Fatalf("after 7 days: %v", err)
	}
	if err := c.ClaimMessage("inc_c", "review-1", 0, now.Add(7*24*time.Hour)); err != nil {
		t.Fatalf("no budget: %v", err)
	}
	if p := DefaultPolicy(); p.MessageBudget() != 7*24*time.Hour {
		t.Fatalf("default message budget %s", p.MessageBudget())
	}
}
