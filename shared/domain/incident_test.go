package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func event(id string, typ EventType, at string) Event {
	t, _ := time.Parse(time.RFC3339, at)
	return Event{
		ID: id, Provider: "aftercare", Type: typ, OccurredAt: t, Ref: "BK-1",
		Customer: Customer{Email: "maria@example.com", Name: "María", Locale: "es", TimeZone: "Europe/Madrid"},
		Title:    "Sunset sailing",
	}
}

func apply(t *testing.T, inc *Incident, e Event) Outcome {
	t.Helper()
	o, err := inc.Apply(e, e.OccurredAt)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestApplyIdempotentAndOrdered(t *testing.T) {
	var inc Incident
	if o := apply(t, &inc, event("e1", BookingCreated, "2026-11-20T10:00:00Z")); o != Applied {
		t.Fatalf("first = %s", o)
	}
	if inc.ID != IncidentID("aftercare", "BK-1") || inc.Status != StatusBooked || inc.Kind != KindBooking {
		t.Fatalf("incident = %+v", inc)
	}
	entries := len(inc.Timeline)
	if o := apply(t, &inc, event("e1", BookingCreated, "2026-11-20T10:00:00Z")); o != Duplicate {
		t.Fatalf("repeat = %s, want duplicate", o)
	}
	if len(inc.Timeline) != entries {
		t.Fatal("a duplicate must not add a timeline entry")
	}
	apply(t, &inc, event("e3", BookingCancelled, "2026-11-20T12:00:00Z"))
	// An update sent before the cancellation arrives after it.
	late := event("e2", BookingUpdated, "2026-11-20T11:00:00Z")
	late.Title = "Old title"
	if o := apply(t, &inc, late); o != Stale {
		t.Fatalf("late update = %s, want stale", o)
	}
	if inc.Status != StatusCancelled || inc.Title != "Sunset sailing" {
		t.Fatalf("a stale event changed the state: %s %q", inc.Status, inc.Title)
	}
	if last := inc.Timeline[len(inc.Timeline)-1]; last.Kind != EntryStale {
		t.Fatalf("stale event not on the timeline: %+v", last)
	}
}

func TestApplyConvergesRegardlessOfOrder(t *testing.T) {
	evs := []Event{
		event("a", BookingCreated, "2026-11-20T08:00:00Z"),
		event("b", BookingUpdated, "2026-11-20T09:00:00Z"),
		event("c", BookingCompleted, "2026-11-20T17:00:00Z"),
	}
	orders := [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1, 2, 0}}
	var want Status
	for i, order := range orders {
		var inc Incident
		for _, j := range order {
			apply(t, &inc, evs[j])
		}
		if i == 0 {
			want = inc.Status
		}
		if inc.Status != want || inc.Cycle != 1 || !inc.ResolvedAt.Equal(evs[2].OccurredAt) {
			t.Errorf("order %v: status %s cycle %d resolved %s", order, inc.Status, inc.Cycle, inc.ResolvedAt)
		}
	}
}

func TestApplyCycles(t *testing.T) {
	var inc Incident
	e := func(id string, typ EventType, at string) Event {
		ev := event(id, typ, at)
		ev.Ref = "T-9"
		return ev
	}
	apply(t, &inc, e("1", TicketOpened, "2026-11-20T08:00:00Z"))
	apply(t, &inc, e("2", TicketSolved, "2026-11-20T09:00:00Z"))
	apply(t, &inc, e("3", TicketClosed, "2026-11-20T10:00:00Z"))
	if inc.Cycle != 1 || inc.ResolvedAt != mustTime(t, "2026-11-20T09:00:00Z") {
		t.Fatalf("solved then closed is one cycle anchored at solved: %d %s", inc.Cycle, inc.ResolvedAt)
	}
	apply(t, &inc, e("4", TicketReopened, "2026-11-21T08:00:00Z"))
	if inc.Status != StatusOpen {
		t.Fatalf("reopen: %s", inc.Status)
	}
	apply(t, &inc, e("5", TicketSolved, "2026-11-21T09:00:00Z"))
	if inc.Cycle != 2 {
		t.Fatalf("solved again: cycle %d, want 2", inc.Cycle)
	}
	if _, err := inc.Apply(event("6", BookingCreated, "2026-11-22T09:00:00Z"), time.Now()); !errors.Is(err, ErrKindMismatch) {
		t.Fatalf("booking event on a ticket: %v", err)
	}
}

func TestSeenIsBounded(t *testing.T) {
	var inc Incident
	for i := range 200 {
		apply(t, &inc, event(strings.Repeat("x", i+1), BookingUpdated, "2026-11-20T08:00:00Z"))
	}
	if len(inc.Seen) > maxSeen {
		t.Fatalf("seen grew to %d", len(inc.Seen))
	}
}

func TestClaimOnce(t *testing.T) {
	var inc Incident
	now := time.Now()
	lease := 15 * time.Minute
	if err := inc.Claim("csat-1", lease, now); err != nil {
		t.Fatal(err)
	}
	if err := inc.Claim("csat-1", lease, now); !errors.Is(err, ErrStepTaken) {
		t.Fatalf("second claim: %v", err)
	}
	inc.MarkFailed("csat-1", errors.New("timeout"), false, now)
	if err := inc.Claim("csat-1", lease, now); err != nil {
		t.Fatalf("claim after a retryable failure: %v", err)
	}
	inc.MarkFailed("csat-1", errors.New("rejected"), true, now)
	if err := inc.Claim("csat-1", lease, now); !errors.Is(err, ErrStepTaken) {
		t.Fatalf("claim after a permanent failure: %v", err)
	}
}

// A claim is a lease: a dispatcher that died while sending leaves the
// step "sending", and once the lease ends the next one takes it over,
// counting the lost attempt, until the attempts run out.
func TestClaimIsALease(t *testing.T) {
	var inc Incident
	now := mustTime(t, "2026-11-21T10:00:00Z")
	lease := 15 * time.Minute
	if err := inc.Claim("csat-1", lease, now); err != nil {
		t.Fatal(err)
	}
	if err := inc.Claim("csat-1", lease, now.Add(lease-time.Second)); !errors.Is(err, ErrStepTaken) {
		t.Fatalf("claim within the lease: %v", err)
	}
	for i := 1; i < MaxAttempts; i++ {
		now = now.Add(lease)
		if err := inc.Claim("csat-1", lease, now); err != nil {
			t.Fatalf("take-over %d: %v", i, err)
		}
		if st := inc.Steps["csat-1"]; st.Status != StepSending || st.Attempts != i || !st.ClaimedAt.Equal(now) {
			t.Fatalf("after take-over %d: %+v", i, st)
		}
	}
	err := inc.Claim("csat-1", lease, now.Add(lease))
	if !errors.Is(err, ErrGivenUp) || inc.Steps["csat-1"].Status != StepRejected {
		t.Fatalf("after %d interrupted attempts: %v, %+v", MaxAttempts, err, inc.Steps["csat-1"])
	}
	if last := inc.Timeline[len(inc.Timeline)-1]; last.Kind != EntrySendFailed || !strings.Contains(last.Detail, "did not finish") {
		t.Errorf("timeline does not say why: %+v", last)
	}
}

// Plan keeps a wake-up call for a claim: at the first whole minute after
// its lease ends, outside quiet hours' reach; once sent, nothing.
func TestPlanGuardsAClaim(t *testing.T) {
	p := DefaultPolicy()
	p.ClaimLease = 10 * time.Minute
	now := mustTime(t, "2026-11-21T22:30:20Z") // quiet hours in Madrid
	inc := solvedTicket(t, now.Add(-25*time.Hour))
	inc.Steps = nil
	if err := inc.Claim("csat-1", p.Lease(), now); err != nil {
		t.Fatal(err)
	}
	g := find(t, Plan(inc, p, now), "csat-1")
	if want := mustTime(t, "2026-11-21T22:41:00Z"); !g.Due.Equal(want) {
		t.Fatalf("lease wake-up due %s, want %s", g.Due, want)
	}
	// Hours later (the runtime was down), the same call is still wanted.
	if g := find(t, Plan(inc, p, now.Add(5*time.Hour)), "csat-1"); !g.Due.Equal(mustTime(t, "2026-11-21T22:41:00Z")) {
		t.Fatalf("stale claim due %s", g.Due)
	}
	inc.MarkSent("csat-1", "m", now.Add(time.Second))
	if slices.Contains(keys(Plan(inc, p, now)), "csat-1") {
		t.Fatal("a sent step is still planned")
	}
}

func TestAnswers(t *testing.T) {
	now := time.Now()
	inc := Incident{Steps: map[string]StepState{"csat-1": {Status: StepSent}, "csat-2": {Status: StepSending}}}
	if err := inc.RecordAnswer("csat-3", SurveyCSAT, 5, now); !errors.Is(err, ErrNotAnswerable) {
		t.Fatalf("answer to a step never claimed: %v", err)
	}
	// An email can go out while its record does not (a crash between
	// the two): its links must still work.
	if err := inc.RecordAnswer("csat-2", SurveyCSAT, 5, now); err != nil {
		t.Fatalf("answer to a step still marked sending: %v", err)
	}
	if err := inc.RecordAnswer("csat-1", SurveyCSAT, 6, now); !errors.Is(err, ErrBadScore) {
		t.Fatalf("score 6 on CSAT: %v", err)
	}
	if err := inc.RecordComment("csat-1", "hi", now); !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("comment before answer: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(inc.RecordAnswer("csat-1", SurveyCSAT, 2, now))
	must(inc.RecordComment("csat-1", "  The boat was late.  ", now))
	must(inc.RecordAnswer("csat-1", SurveyCSAT, 4, now))
	a := inc.Answers["csat-1"]
	if a.Score != 4 || a.Comment != "The boat was late." {
		t.Fatalf("answer = %+v", a)
	}
	if last := inc.Timeline[len(inc.Timeline)-1]; last.Detail != "csat 4 (was 2)" {
		t.Fatalf("timeline: %+v", last)
	}
	long := strings.Repeat("é", MaxComment) // 2 bytes each: truncation must keep valid UTF-8
	must(inc.RecordComment("csat-1", long, now))
	if c := inc.Answers["csat-1"].Comment; len(c) > MaxComment || !strings.HasPrefix(long, c) {
		t.Fatalf("comment truncated badly: %d bytes", len(c))
	}
}

func TestEventValidate(t *testing.T) {
	ok := event("e", BookingCreated, "2026-11-20T08:00:00Z")
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		mutate func(*Event)
		field  string
	}{
		"no id":        {func(e *Event) { e.ID = "" }, "id"},
		"unknown type": {func(e *Event) { e.Type = "booking.exploded" }, "type"},
		"no time":      {func(e *Event) { e.OccurredAt = time.Time{} }, "occurred_at"},
		"no ref":       {func(e *Event) { e.Ref = " " }, "booking.ref"},
		"no email":     {func(e *Event) { e.Customer.Email = "" }, "customer.email"},
		"bad email":    {func(e *Event) { e.Customer.Email = "Maria <m@example.com>" }, "customer.email"},
		"bad zone":     {func(e *Event) { e.Customer.TimeZone = "Europe/Atlantis" }, "customer.time_zone"},
		"long title":   {func(e *Event) { e.Title = strings.Repeat("a", 501) }, "title"},
		"ends before": {func(e *Event) {
			e.StartsAt, e.EndsAt = mustTime(t, "2026-11-20T10:00:00Z"), mustTime(t, "2026-11-20T09:00:00Z")
		}, "booking.ends_at"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := ok
			tt.mutate(&e)
			err := e.Validate()
			var fe *FieldError
			if !errors.Is(err, ErrInvalidEvent) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err = %v, want field %s", err, tt.field)
			}
		})
	}
}

func TestIncidentIDStable(t *testing.T) {
	a, b := IncidentID("calcom", "uid-1"), IncidentID("calcom", "uid-1")
	if a != b || a == IncidentID("calendly", "uid-1") || a == IncidentID("calcom", "uid-2") {
		t.Fatal("ids must derive from provider and reference only")
	}
	if len(a) != 20 || !strings.HasPrefix(a, "inc_") {
		t.Fatalf("id %q", a)
	}
}
