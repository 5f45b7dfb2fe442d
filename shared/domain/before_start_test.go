package domain

import (
	"strings"
	"testing"
	"time"
)

func bookedIncident(t *testing.T, tz, startsAt, knownAt string) Incident {
	t.Helper()
	return Incident{
		ID: "inc_b", Kind: KindBooking, Status: StatusBooked,
		StartsAt:    mustTime(t, startsAt),
		LastEventAt: mustTime(t, knownAt),
		Customer:    Customer{Email: "a@example.com", TimeZone: tz},
	}
}

// threeHours is a policy with advice 3 h before the start (no local time),
// to test quiet hours against the start itself.
func threeHours(t *testing.T) Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(`{"quiet_hours":{"start":"21:00","end":"09:00"},"rules":[
		{"kind":"booking","status":["booked"],"steps":[{"id":"advice","template":"pre_arrival","before_start":"3h"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanBeforeStart(t *testing.T) {
	def := DefaultPolicy()
	tests := []struct {
		name              string
		p                 Policy
		tz, starts, known string
		wantDue           string // "" means not planned
		wantQuieted       bool
	}{
		{"2 days before at 10:00 local (Madrid, winter)", def, "Europe/Madrid", "2026-11-25T15:00:00Z", "2026-11-01T10:00:00Z", "2026-11-23T09:00:00Z", false},
		{"the local day counts: a start just after local midnight", def, "Europe/Athens", "2026-11-24T22:30:00Z", "2026-11-01T10:00:00Z", "2026-11-23T08:00:00Z", false},
		{"DST ends between advice and start (Athens): 10:00 EEST", def, "Europe/Athens", "2026-10-26T08:00:00Z", "2026-10-01T10:00:00Z", "2026-10-24T07:00:00Z", false},
		{"DST starts between advice and start (New York): 10:00 EST", def, "America/New_York", "2026-03-09T14:00:00Z", "2026-03-01T10:00:00Z", "2026-03-07T15:00:00Z", false},
		{"half-hour zone", def, "Asia/Kolkata", "2026-11-25T06:00:00Z", "2026-11-01T10:00:00Z", "2026-11-23T04:30:00Z", false},
		{"booked the day before, in daytime: at once", def, "Europe/Madrid", "2026-11-25T15:00:00Z", "2026-11-24T12:00:30Z", "2026-11-24T12:00:00Z", false},
		{"booked the night before: 09:00, still before the start", def, "Europe/Madrid", "2026-11-25T15:00:00Z", "2026-11-24T22:30:00Z", "2026-11-25T08:00:00Z", true},
		{"booked at night for an 08:30 start: no time left", def, "Europe/Madrid", "2026-11-25T07:30:00Z", "2026-11-24T22:30:00Z", "", false},
		{"3h before lands in quiet hours: moved to 09:00", threeHours(t), "Europe/Madrid", "2026-11-25T09:30:00Z", "2026-11-01T10:00:00Z", "2026-11-25T08:00:00Z", true},
		{"3h before an 08:30 start: the evening before, 20:59", threeHours(t), "Europe/Madrid", "2026-11-25T07:30:00Z", "2026-11-01T10:00:00Z", "2026-11-24T19:59:00Z", true},
		{"3h before, DST spring-forward night in New York", threeHours(t), "America/New_York", "2026-03-08T16:00:00Z", "2026-03-01T10:00:00Z", "2026-03-08T13:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := bookedIncident(t, tt.tz, tt.starts, tt.known)
			plan := Plan(inc, tt.p, inc.LastEventAt)
			step, ok := Find(plan, "advice-s")
			if tt.wantDue == "" {
				if ok {
					t.Fatalf("planned %+v, want nothing", step)
				}
				return
			}
			if !ok {
				t.Fatalf("plan = %+v, want advice-s", plan)
			}
			loc := inc.Customer.Location()
			if want := mustTime(t, tt.wantDue); !step.Due.Equal(want) {
				t.Errorf("due = %s (%s local), want %s (%s local)", step.Due, step.Due.In(loc), want, want.In(loc))
			}
			if step.Kind != KindAdvice || step.Step.Template != "pre_arrival" {
				t.Errorf("kind %q template %q, want advice, pre_arrival", step.Kind, step.Step.Template)
			}
			if step.Quieted != tt.wantQuieted {
				t.Errorf("quieted = %v, want %v", step.Quieted, tt.wantQuieted)
			}
			if !step.Due.Before(inc.StartsAt) {
				t.Errorf("due %s is not before the start %s", step.Due, inc.StartsAt)
			}
			// Dispatch re-plans when the wake-up call fires: the same due
			// time, so the schedule's name still matches.
			again, ok := Find(Plan(inc, tt.p, step.Due), "advice-s")
			if !ok || !again.Due.Equal(step.Due) {
				t.Errorf("re-planned at the due time: %+v, %v; want due %s", again, ok, step.Due)
			}
		})
	}
}

func TestPlanBeforeStartLifecycle(t *testing.T) {
	p := DefaultPolicy()
	base := bookedIncident(t, "Europe/Madrid", "2026-11-25T15:00:00Z", "2026-11-01T10:00:00Z")
	now := mustTime(t, "2026-11-02T10:00:00Z")
	due := func(inc Incident, now string) (PlannedStep, bool) {
		return Find(Plan(inc, p, mustTime(t, now)), "advice-s")
	}

	first, ok := Find(Plan(base, p, now), "advice-s")
	if !ok {
		t.Fatal("not planned")
	}

	t.Run("reschedule moves it and its schedule name", func(t *testing.T) {
		inc := base
		inc.StartsAt = mustTime(t, "2026-11-28T15:00:00Z")
		moved, ok := due(inc, "2026-11-02T10:00:00Z")
		if !ok || !moved.Due.Equal(mustTime(t, "2026-11-26T09:00:00Z")) {
			t.Fatalf("moved = %+v %v, want due 2026-11-26T09:00Z", moved, ok)
		}
		if moved.Key != first.Key {
			t.Errorf("key changed %q → %q; it must be stable per booking", first.Key, moved.Key)
		}
		if ScheduleName(inc.ID, moved.Key, moved.Due) == ScheduleName(inc.ID, first.Key, first.Due) {
			t.Error("the schedule name did not move")
		}
	})
	t.Run("reschedule after it was sent does not resend", func(t *testing.T) {
		inc := base
		inc.Steps = map[string]StepState{"advice-s": {Status: StepSent}}
		inc.StartsAt = mustTime(t, "2026-11-28T15:00:00Z")
		if s, ok := due(inc, "2026-11-02T10:00:00Z"); ok {
			t.Fatalf("planned again: %+v", s)
		}
	})
	for name, mut := range map[string]func(*Incident){
		"cancelled":              func(i *Incident) { i.Status = StatusCancelled },
		"no-show":                func(i *Incident) { i.Status = StatusNoShow },
		"completed":              func(i *Incident) { i.Status, i.Cycle, i.ResolvedAt = StatusCompleted, 1, i.StartsAt },
		"a ticket":               func(i *Incident) { i.Kind, i.Status = KindTicket, StatusOpen },
		"no start time":          func(i *Incident) { i.StartsAt = time.Time{} },
		"already sent":           func(i *Incident) { i.Steps = map[string]StepState{"advice-s": {Status: StepSent}} },
		"skipped (unsubscribed)": func(i *Incident) { i.Steps = map[string]StepState{"advice-s": {Status: StepSkipped}} },
	} {
		t.Run(name, func(t *testing.T) {
			inc := base
			mut(&inc)
			if s, ok := due(inc, "2026-11-02T10:00:00Z"); ok {
				t.Fatalf("planned: %+v", s)
			}
		})
	}
	t.Run("a failed send retries out of quiet hours", func(t *testing.T) {
		inc := base
		failed := mustTime(t, "2026-11-23T19:50:00Z") // 20:50 Madrid; retry 15 min later is 21:05
		inc.Steps = map[string]StepState{"advice-s": {Status: StepFailed, FailedAt: failed, Attempts: 1}}
		s, ok := due(inc, "2026-11-23T19:51:00Z")
		if !ok || !s.Due.Equal(mustTime(t, "2026-11-24T08:00:00Z")) || !s.Quieted {
			t.Fatalf("retry = %+v %v, want 09:00 Madrid the next day, quieted", s, ok)
		}
	})
	t.Run("not after the start", func(t *testing.T) {
		if s, ok := due(base, "2026-11-25T15:00:00Z"); ok {
			t.Fatalf("planned at the start: %+v", s)
		}
		if _, ok := due(base, "2026-11-25T14:59:00Z"); !ok {
			t.Fatal("a minute before the start it is still wanted")
		}
	})
	t.Run("a no-show after it was sent keeps it sent, planned once", func(t *testing.T) {
		inc := base
		inc.Steps = map[string]StepState{"advice-s": {Status: StepSent}}
		inc.Status = StatusNoShow
		for _, s := range Plan(inc, p, now) {
			if s.Kind == KindAdvice {
				t.Fatalf("advice planned after a no-show: %+v", s)
			}
		}
	})
}

func TestParsePolicyBeforeStartErrors(t *testing.T) {
	rule := func(status, step string) string {
		return `{"rules":[{"kind":"booking","status":` + status + `,"steps":[` + step + `]}]}`
	}
	tests := map[string]struct{ json, want string }{
		"before_start on completed": {rule(`["completed"]`, `{"id":"a","template":"t","before_start":"2d"}`), `only in a rule with kind booking and status ["booked"]`},
		"booked rule without it":    {rule(`["booked"]`, `{"id":"a","template":"t","delay":"1h"}`), "need before_start"},
		"booked and completed":      {rule(`["booked","completed"]`, `{"id":"a","template":"t","before_start":"2d"}`), "rules[0].steps[0].before_start"},
		"at with hours":             {rule(`["booked"]`, `{"id":"a","template":"t","before_start":"36h","at":"10:00"}`), "whole number of days"},
		"with a survey":             {rule(`["booked"]`, `{"id":"a","template":"t","before_start":"2d","survey":"csat"}`), "asks nothing"},
		"with delay":                {rule(`["booked"]`, `{"id":"a","template":"t","before_start":"2d","delay":"1h"}`), "excludes delay"},
		"zero without at":           {rule(`["booked"]`, `{"id":"a","template":"t","before_start":"0s"}`), "must be positive"},
		"too far":                   {rule(`["booked"]`, `{"id":"a","template":"t","before_start":"400d"}`), "at most 366d"},
		"bad duration":              {rule(`["booked"]`, `{"id":"a","template":"t","before_start":"soon"}`), "bad duration"},
		"on a ticket rule":          {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t","before_start":"1d"}]}]}`, "only in a rule"},
		"recovery":                  {`{"recovery":{"id":"r","template":"recovery","survey":"csat","before_start":"1d"},"rules":[]}`, "recovery.before_start"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := ParsePolicy([]byte(rule(`["booked"]`, `{"id":"a","template":"t","before_start":"0d","at":"08:00"}`))); err != nil {
		t.Errorf("the day itself at 08:00: %v", err)
	}
}

func TestNoteMissedBeforeStart(t *testing.T) {
	p := DefaultPolicy()
	// Booked at 23:30 Madrid for 08:30 the next morning: only night is left.
	inc := bookedIncident(t, "Europe/Madrid", "2026-11-25T07:30:00Z", "2026-11-24T22:30:00Z")
	now := inc.LastEventAt
	if !inc.NoteMissedBeforeStart(p, now) {
		t.Fatal("nothing noted")
	}
	e := inc.Timeline[len(inc.Timeline)-1]
	if e.Kind != EntryNotSent || e.Step != "advice-s" || !strings.Contains(e.Detail, "2026-11-25 08:30 CET") {
		t.Errorf("entry = %+v", e)
	}
	if inc.NoteMissedBeforeStart(p, now) {
		t.Error("noted twice for the same start")
	}
	if _, ok := inc.Steps["advice-s"]; ok {
		t.Error("a step state was recorded; a reschedule could then never plan it")
	}
	// Rescheduled to the afternoon: planned, nothing more to note.
	inc.StartsAt = mustTime(t, "2026-11-25T15:00:00Z")
	if inc.NoteMissedBeforeStart(p, now) {
		t.Error("noted although the step is planned")
	}
	if _, ok := Find(Plan(inc, p, now), "advice-s"); !ok {
		t.Error("not planned after the reschedule")
	}
	// Enough time: nothing noted.
	ok := bookedIncident(t, "Europe/Madrid", "2026-11-25T15:00:00Z", "2026-11-01T10:00:00Z")
	if ok.NoteMissedBeforeStart(p, ok.LastEventAt) || len(ok.Timeline) != 0 {
		t.Errorf("noted for a booking with time: %+v", ok.Timeline)
	}
}
