package domain

import (
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func resolvedIncident(kind Kind, status Status, tz, resolvedAt string, t *testing.T) Incident {
	return Incident{
		ID: "inc_x", Kind: kind, Status: status, Cycle: 1,
		ResolvedAt: mustTime(t, resolvedAt),
		Customer:   Customer{Email: "a@example.com", TimeZone: tz},
	}
}

func TestPlanDueTimes(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name       string
		kind       Kind
		status     Status
		tz         string
		resolvedAt string
		wantKey    string
		wantDue    string
	}{
		{"booking: next day 10:00 local (Madrid, winter)", KindBooking, StatusCompleted, "Europe/Madrid", "2026-11-20T17:30:00Z", "thanks-1", "2026-11-21T09:00:00Z"},
		{"booking completed late evening local: the next local day", KindBooking, StatusCompleted, "Europe/Athens", "2026-11-20T21:45:00Z", "thanks-1", "2026-11-21T08:00:00Z"},
		{"booking completed after local midnight counts the local date", KindBooking, StatusCompleted, "Europe/Athens", "2026-11-20T22:30:00Z", "thanks-1", "2026-11-22T08:00:00Z"},
		{"booking across DST end in Athens: 10:00 EET, not EEST", KindBooking, StatusCompleted, "Europe/Athens", "2026-10-24T15:00:00Z", "thanks-1", "2026-10-25T08:00:00Z"},
		{"booking across DST start in New York: 10:00 EDT", KindBooking, StatusCompleted, "America/New_York", "2026-03-07T23:00:00Z", "thanks-1", "2026-03-08T14:00:00Z"},
		{"booking with half-hour offset zone", KindBooking, StatusCompleted, "Asia/Kolkata", "2026-11-20T06:00:00Z", "thanks-1", "2026-11-21T04:30:00Z"},
		{"booking without a zone uses UTC", KindBooking, StatusCompleted, "", "2026-11-20T17:30:00Z", "thanks-1", "2026-11-21T10:00:00Z"},
		{"booking with an unknown zone uses UTC", KindBooking, StatusCompleted, "Mars/Olympus", "2026-11-20T17:30:00Z", "thanks-1", "2026-11-21T10:00:00Z"},
		{"ticket: 24h later in daytime", KindTicket, StatusSolved, "Europe/Madrid", "2026-11-20T11:00:00Z", "csat-1", "2026-11-21T11:00:00Z"},
		{"ticket closed counts as resolved too", KindTicket, StatusClosed, "Europe/Madrid", "2026-11-20T11:00:00Z", "csat-1", "2026-11-21T11:00:00Z"},
		{"ticket: 24h lands at 22:30 local, quiet hours move it to 09:00 next day", KindTicket, StatusSolved, "Europe/Madrid", "2026-11-20T21:30:00Z", "csat-1", "2026-11-22T08:00:00Z"},
		{"ticket: 24h lands at 03:00 local, moved to 09:00 the same day", KindTicket, StatusSolved, "Europe/Athens", "2026-11-20T01:00:00Z", "csat-1", "2026-11-21T07:00:00Z"},
		{"ticket: exactly 21:00 local is quiet", KindTicket, StatusSolved, "UTC", "2026-11-20T21:00:00Z", "csat-1", "2026-11-22T09:00:00Z"},
		{"ticket: exactly 09:00 local is not quiet", KindTicket, StatusSolved, "UTC", "2026-11-20T09:00:00Z", "csat-1", "2026-11-21T09:00:00Z"},
		{"ticket: 24h is absolute across DST end; 07:30 EET is quiet", KindTicket, StatusSolved, "Europe/Athens", "2026-10-24T05:30:00Z", "csat-1", "2026-10-25T07:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := resolvedIncident(tt.kind, tt.status, tt.tz, tt.resolvedAt, t)
			plan := Plan(inc, p, inc.ResolvedAt)
			if len(plan) != 1 {
				t.Fatalf("got %d steps, want 1: %+v", len(plan), plan)
			}
			if plan[0].Key != tt.wantKey {
				t.Errorf("key = %q, want %q", plan[0].Key, tt.wantKey)
			}
			if want := mustTime(t, tt.wantDue); !plan[0].Due.Equal(want) {
				loc := inc.Customer.Location()
				t.Errorf("due = %s (%s local), want %s (%s local)", plan[0].Due, plan[0].Due.In(loc), want, want.In(loc))
			}
		})
	}
}

func TestPlanNothingWanted(t *testing.T) {
	p := DefaultPolicy()
	now := mustTime(t, "2026-11-20T12:00:00Z")
	base := resolvedIncident(KindBooking, StatusCompleted, "Europe/Madrid", "2026-11-20T11:00:00Z", t)
	tests := map[string]func(*Incident){
		"cancelled booking":  func(i *Incident) { i.Status = StatusCancelled },
		"booked, not done":   func(i *Incident) { i.Status = StatusBooked },
		"reopened ticket":    func(i *Incident) { i.Kind, i.Status = KindTicket, StatusOpen },
		"step already sent":  func(i *Incident) { i.Steps = map[string]StepState{"thanks-1": {Status: StepSent}} },
		"step being sent":    func(i *Incident) { i.Steps = map[string]StepState{"thanks-1": {Status: StepSending}} },
		"step rejected":      func(i *Incident) { i.Steps = map[string]StepState{"thanks-1": {Status: StepRejected}} },
		"far too late":       func(i *Incident) { i.ResolvedAt = now.Add(-30 * 24 * time.Hour) },
		"never resolved yet": func(i *Incident) { i.Cycle = 0 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			inc := base
			mutate(&inc)
			if plan := Plan(inc, p, now); len(plan) != 0 {
				t.Fatalf("want no steps, got %+v", plan)
			}
		})
	}
	t.Run("failed step is wanted again", func(t *testing.T) {
		inc := base
		inc.Steps = map[string]StepState{"thanks-1": {Status: StepFailed}}
		if plan := Plan(inc, p, now); len(plan) != 1 {
			t.Fatalf("want the failed step retried, got %+v", plan)
		}
	})
}

func TestPlanDSTGapAndCustomPolicy(t *testing.T) {
	p, err := ParsePolicy([]byte(`{"rules":[{"kind":"booking","status":["completed"],
		"steps":[{"id":"early","template":"thank_you","days":1,"at":"02:30"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-08 02:30 does not exist in New York: clocks jump 02:00→03:00.
	inc := resolvedIncident(KindBooking, StatusCompleted, "America/New_York", "2026-03-07T20:00:00Z", t)
	plan := Plan(inc, p, inc.ResolvedAt)
	if len(plan) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	if got := plan[0].Due.In(inc.Customer.Location()).Format("2006-01-02 15:04 MST"); got != "2026-03-08 03:30 EDT" {
		t.Errorf("due in the DST gap = %s, want 2026-03-08 03:30 EDT", got)
	}
}

func TestPlanCycleKeys(t *testing.T) {
	inc := resolvedIncident(KindTicket, StatusSolved, "UTC", "2026-11-20T10:00:00Z", t)
	inc.Cycle = 3
	plan := Plan(inc, DefaultPolicy(), inc.ResolvedAt)
	if len(plan) != 1 || plan[0].Key != "csat-3" {
		t.Fatalf("plan = %+v, want key csat-3", plan)
	}
}

func TestScheduleNameFitsEventBridge(t *testing.T) {
	id := IncidentID("calendly", strings.Repeat("x", 200))
	name := ScheduleName(id, "abcdefghijklmnop-123456", mustTime(t, "2026-11-21T09:00:00Z"))
	if len(name) > 64 {
		t.Errorf("name %q is %d characters, EventBridge allows 64", name, len(name))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			t.Errorf("name %q has %q, outside [0-9a-zA-Z-_.]", name, r)
		}
	}
	if a, b := ScheduleName(id, "csat-1", mustTime(t, "2026-11-21T09:00:00Z")), ScheduleName(id, "csat-1", mustTime(t, "2026-11-21T10:00:00Z")); a == b {
		t.Error("a moved due time must give a new name")
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := map[string]struct{ json, want string }{
		"unknown field":     {`{"rules":[],"quiet":{}}`, "unknown field"},
		"bad kind":          {`{"rules":[{"kind":"order","status":["done"],"steps":[]}]}`, "rules[0].kind"},
		"bad status":        {`{"rules":[{"kind":"ticket","status":["completed"],"steps":[]}]}`, `"completed" is not a ticket status`},
		"bad step id":       {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"Has Space","template":"t"}]}]}`, "steps[0].id"},
		"dup step id":       {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t"},{"id":"a","template":"t"}]}]}`, "used twice"},
		"no template":       {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a"}]}]}`, "template: is required"},
		"bad survey":        {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t","survey":"stars"}]}]}`, "survey"},
		"bad at":            {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t","at":"25:00"}]}]}`, ".at"},
		"days without at":   {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t","days":2}]}]}`, "needs at"},
		"delay and at":      {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t","delay":"1h","at":"10:00"}]}]}`, "either delay"},
		"bad delay":         {`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t","delay":"soon"}]}]}`, "bad duration"},
		"bad quiet hours":   {`{"quiet_hours":{"start":"9pm","end":"09:00"},"rules":[]}`, "quiet_hours.start"},
		"no status in rule": {`{"rules":[{"kind":"ticket","status":[],"steps":[]}]}`, "at least one status"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if p, err := ParsePolicy([]byte(`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"t","delay":"3d"}]}]}`)); err != nil || time.Duration(p.Rules[0].Steps[0].Delay) != 72*time.Hour {
		t.Fatalf("3d: %v %v", p, err)
	}
}
