package domain

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// endsAtEvent is a booking event from a provider whose bookings complete at
// their end time (Calendly), ending at end.
func endsAtEvent(id string, typ EventType, at, end string) Event {
	e := event(id, typ, at)
	if end != "" {
		endT, _ := time.Parse(time.RFC3339, end)
		e.StartsAt, e.EndsAt = endT.Add(-2*time.Hour), endT
	}
	e.CompletesAtEnd = true
	return e
}

// TestPlanCompletesAtEnd walks bookings through events and checks what Plan
// wants afterwards. The customer is in Madrid (UTC+1 in November), so the
// default policy's "next day at 10:00" is 09:00Z.
func TestPlanCompletesAtEnd(t *testing.T) {
	const end = "2026-11-20T17:30:00Z"
	type want struct {
		key, due string // key "" means no step is wanted
	}
	tests := []struct {
		name   string
		events []Event
		sent   []string // step keys already sent before the last event
		now    string
		want   want
	}{
		{
			name:   "created alone: thank-you planned from the end time",
			events: []Event{endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end)},
			want:   want{"thanks-1", "2026-11-21T09:00:00Z"},
		},
		{
			name: "without the flag a booked booking waits for its completion",
			events: []Event{func() Event {
				e := endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end)
				e.CompletesAtEnd = false
				return e
			}()},
		},
		{
			name:   "flag without an end time: nothing to anchor to",
			events: []Event{endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", "")},
		},
		{
			name: "cancelled: the planned thank-you disappears",
			events: []Event{
				endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end),
				event("x1", BookingCancelled, "2026-11-19T09:00:00Z"),
			},
		},
		{
			name: "a new end time moves the thank-you",
			events: []Event{
				endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end),
				endsAtEvent("u1", BookingUpdated, "2026-11-19T09:00:00Z", "2026-11-24T12:00:00Z"),
			},
			want: want{"thanks-1", "2026-11-25T09:00:00Z"},
		},
		{
			name: "explicit completion at the end: same key, same due time",
			events: []Event{
				endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end),
				event("done", BookingCompleted, end),
			},
			want: want{"thanks-1", "2026-11-21T09:00:00Z"},
		},
		{
			name: "explicit completion after the thank-you went out: nothing sent twice",
			events: []Event{
				endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end),
				event("done", BookingCompleted, "2026-11-21T11:00:00Z"),
			},
			sent: []string{"thanks-1"},
		},
		{
			name: "a completion event that arrives late and out of order changes nothing",
			events: []Event{
				endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end),
				endsAtEvent("u1", BookingUpdated, "2026-11-22T09:00:00Z", end),
				event("done", BookingCompleted, end), // older than u1: stale
			},
			sent: []string{"thanks-1"},
		},
		{
			name: "a later event without the flag (no-show then un-marked) keeps it",
			events: []Event{
				endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", end),
				event("ns", BookingCancelled, "2026-11-20T18:00:00Z"),
				event("back", BookingCreated, "2026-11-20T19:00:00Z"),
			},
			want: want{"thanks-1", "2026-11-21T09:00:00Z"},
		},
		{
			name:   "booked long ago, ended more than max_lateness before now: dropped",
			events: []Event{endsAtEvent("c1", BookingCreated, "2026-10-01T09:00:00Z", "2026-10-02T10:00:00Z")},
			now:    "2026-11-20T12:00:00Z",
		},
		{
			name: "tickets ignore the flag",
			events: []Event{func() Event {
				e := endsAtEvent("t1", TicketOpened, "2026-11-18T09:00:00Z", end)
				e.StartsAt, e.EndsAt = time.Time{}, time.Time{}
				return e
			}()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inc Incident
			last := len(tt.events) - 1
			for i, e := range tt.events {
				if i == last {
					for _, k := range tt.sent {
						if inc.Steps == nil {
							inc.Steps = map[string]StepState{}
						}
						inc.Steps[k] = StepState{Status: StepSent}
					}
				}
				if _, err := inc.Apply(e, e.OccurredAt); err != nil {
					t.Fatalf("Apply(%s): %v", e.ID, err)
				}
			}
			now := mustTime(t, "2026-11-20T12:00:00Z")
			if tt.now != "" {
				now = mustTime(t, tt.now)
			}
			// Pre-arrival advice is before_start_test.go's concern.
			plan := slices.DeleteFunc(Plan(inc, DefaultPolicy(), now), func(s PlannedStep) bool { return s.Kind == KindAdvice })
			if tt.want.key == "" {
				if len(plan) != 0 {
					t.Fatalf("want no steps, got %+v (incident status %s, cycle %d)", plan, inc.Status, inc.Cycle)
				}
				return
			}
			if len(plan) != 1 || plan[0].Key != tt.want.key || !plan[0].Due.Equal(mustTime(t, tt.want.due)) {
				t.Fatalf("plan = %+v, want %s due %s", plan, tt.want.key, tt.want.due)
			}
		})
	}
}

// TestCompletesAtEndIsOnTheIncident checks Apply carries the flag onto the
// incident and that the real completion opens the cycle Plan anticipated.
func TestCompletesAtEndIsOnTheIncident(t *testing.T) {
	var inc Incident
	e := endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", "2026-11-20T17:30:00Z")
	if _, err := inc.Apply(e, e.OccurredAt); err != nil {
		t.Fatal(err)
	}
	if !inc.CompletesAtEnd || inc.Status != StatusBooked || inc.Cycle != 0 {
		t.Fatalf("incident = status %s cycle %d completes_at_end %v", inc.Status, inc.Cycle, inc.CompletesAtEnd)
	}
	// Both stores keep incidents as JSON: the flag must survive it.
	b, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	var back Incident
	if err := json.Unmarshal(b, &back); err != nil || !back.CompletesAtEnd {
		t.Fatalf("after a JSON round trip completes_at_end = %v (%v)", back.CompletesAtEnd, err)
	}
	// Applying the real completion opens cycle 1: the key Plan used before.
	done := event("done", BookingCompleted, "2026-11-20T17:30:00Z")
	if _, err := inc.Apply(done, done.OccurredAt); err != nil {
		t.Fatal(err)
	}
	if inc.Cycle != 1 || inc.Status != StatusCompleted {
		t.Fatalf("after completion: status %s cycle %d", inc.Status, inc.Cycle)
	}
}
