package domain

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// keys lists the planned step keys, for compact assertions.
func keys(plan []PlannedStep) []string {
	var out []string
	for _, p := range plan {
		out = append(out, p.Key)
	}
	return out
}

func find(t *testing.T, plan []PlannedStep, key string) PlannedStep {
	t.Helper()
	p, ok := Find(plan, key)
	if !ok {
		t.Fatalf("%s not planned; plan = %v", key, keys(plan))
	}
	return p
}

// solvedTicket is a ticket solved at t0 whose csat-1 went out at sent.
func solvedTicket(t *testing.T, sent time.Time) Incident {
	inc := resolvedIncident(KindTicket, StatusSolved, "Europe/Madrid", "2026-11-20T10:00:00Z", t)
	inc.Steps = map[string]StepState{"csat-1": {Status: StepSent, SentAt: sent, Survey: SurveyCSAT}}
	return inc
}

func TestReminder(t *testing.T) {
	p := DefaultPolicy()
	sent := mustTime(t, "2026-11-21T10:00:00Z")
	now := sent.Add(time.Hour)

	inc := solvedTicket(t, sent)
	r := find(t, Plan(inc, p, now), "csat-1-r")
	if r.Kind != KindReminder || r.Answers != "csat-1" || r.Step.Template != ReminderTemplate || r.Step.Survey != SurveyCSAT {
		t.Fatalf("reminder = %+v", r)
	}
	if want := sent.Add(72 * time.Hour); !r.Due.Equal(want) {
		t.Fatalf("reminder due %s, want 3 days after the survey, %s", r.Due, want)
	}

	answered := solvedTicket(t, sent)
	answered.Answers = map[string]Answer{"csat-1": {Survey: SurveyCSAT, Score: 5}}
	replied := solvedTicket(t, sent)
	replied.RepliedAt = sent.Add(time.Minute)
	reopened := solvedTicket(t, sent)
	reopened.Status = StatusOpen
	done := solvedTicket(t, sent)
	done.Steps["csat-1-r"] = StepState{Status: StepSent}
	off := p
	zero := Duration(0)
	off.ReminderAfter = &zero
	for name, tc := range map[string]struct {
		inc Incident
		p   Policy
	}{
		"after an answer": {answered, p}, "after a reply": {replied, p}, "after a reopen": {reopened, p},
		"once only": {done, p}, "when turned off": {inc, off},
	} {
		if _, ok := Find(Plan(tc.inc, tc.p, now), "csat-1-r"); ok {
			t.Errorf("no reminder %s", name)
		}
	}
	// A reminder lands outside quiet hours like any customer email.
	late := solvedTicket(t, mustTime(t, "2026-11-21T22:30:00Z"))
	if r := find(t, Plan(late, p, now), "csat-1-r"); r.Due.In(late.Customer.Location()).Hour() != 9 {
		t.Errorf("reminder due %s local, want 09:00", r.Due.In(late.Customer.Location()))
	}
}

func TestEscalationPlansAlertsAndOneAck(t *testing.T) {
	p := DefaultPolicy()
	p.Alerts = Alerts{Email: true, Webhook: true}
	now := mustTime(t, "2026-11-21T23:30:00Z") // at night: alerts and the ack still go now
	inc := solvedTicket(t, now.Add(-time.Hour))
	inc.Escalate(Escalation{Cause: CauseNegative, Step: "csat-1", Kind: SurveyCSAT, Score: 1, Text: "late"}, time.Hour, now)
	inc.Escalate(Escalation{Cause: CauseReply, Step: "csat-1", Text: "still waiting"}, time.Hour, now.Add(time.Minute))

	plan := Plan(inc, p, now)
	for _, k := range []string{"alert-1", "hook-1", "ack-1"} {
		ps := find(t, plan, k)
		if ps.Due.After(now.Add(time.Minute)) {
			t.Errorf("%s due %s: alerts and acknowledgements do not wait for quiet hours", k, ps.Due)
		}
	}
	// The reply, in the same episode, is the follow-up alert: an hour
	// after the first, at night too.
	for _, k := range []string{"alert-2", "hook-2"} {
		if ps := find(t, plan, k); !ps.Due.Equal(now.Add(time.Hour)) {
			t.Errorf("%s due %s, want the follow-up at %s", k, ps.Due, now.Add(time.Hour))
		}
	}
	if slices.Contains(keys(plan), "ack-2") {
		t.Error("one acknowledgement per attention episode")
	}
	if a := find(t, plan, "alert-2"); a.Escalation == nil || a.Escalation.Cause != CauseReply || a.Kind.Audience() != "team" {
		t.Errorf("alert-2 = %+v", a)
	}
	if inc.Attention == nil || inc.Attention.Episode != 1 || inc.Episodes != 1 {
		t.Fatalf("attention = %+v", inc.Attention)
	}

	// Without configured channels nobody is alerted, so nobody promises
	// the customer that a person is on it.
	none := DefaultPolicy()
	if got := keys(Plan(inc, none, now)); slices.ContainsFunc(got, func(k string) bool {
		return strings.HasPrefix(k, "alert-") || strings.HasPrefix(k, "hook-") || strings.HasPrefix(k, "ack-")
	}) {
		t.Errorf("no channels: plan = %v", got)
	}
	webhookOnly := DefaultPolicy()
	webhookOnly.Alerts.Webhook = true
	if got := keys(Plan(inc, webhookOnly, now)); !slices.Contains(got, "ack-1") || slices.Contains(got, "alert-1") {
		t.Errorf("webhook only: plan = %v", got)
	}
}

func TestRecoveryCycle(t *testing.T) {
	p := DefaultPolicy()
	now := mustTime(t, "2026-11-21T12:00:00Z")
	inc := solvedTicket(t, now.Add(-time.Hour))
	inc.Escalate(Escalation{Cause: CauseNegative, Step: "csat-1", Kind: SurveyCSAT, Score: 1}, time.Hour, now)
	// Still in the cycle that raised it: no recovery survey yet.
	if slices.Contains(keys(Plan(inc, p, now)), "recovery-1") {
		t.Fatal("recovery before the incident was resolved again")
	}
	// The team reopens and solves it again.
	reopen := event("r", TicketReopened, "2026-11-21T13:00:00Z")
	reopen.Ref = "T-1"
	inc.Kind = KindTicket
	if _, err := inc.Apply(reopen, now); err != nil {
		t.Fatal(err)
	}
	solve := event("s", TicketSolved, "2026-11-22T09:00:00Z")
	solve.Ref = "T-1"
	if _, err := inc.Apply(solve, now); err != nil {
		t.Fatal(err)
	}
	plan := Plan(inc, p, now)
	rec := find(t, plan, "recovery-2")
	if rec.Kind != KindRecovery || rec.Step.Template != "recovery" || rec.Answers != "recovery-2" {
		t.Fatalf("recovery = %+v", rec)
	}
	if slices.Contains(keys(plan), "csat-2") {
		t.Error("the recovery survey replaces the usual survey in that cycle")
	}

	// The recovery survey goes out and is answered: a good answer closes the
	// episode; a bad one keeps it for the next cycle.
	inc.Steps["recovery-2"] = StepState{Status: StepSent, Survey: SurveyCSAT}
	fixed := inc
	fixed.ResolveRecovery("recovery-2", true, now)
	if fixed.Attention != nil || fixed.Recovered == nil || !*fixed.Recovered {
		t.Fatalf("fixed: attention %+v recovered %v", fixed.Attention, fixed.Recovered)
	}
	inc.ResolveRecovery("recovery-2", false, now)
	if inc.Attention == nil || inc.Attention.Cycle != 2 || *inc.Recovered {
		t.Fatalf("not fixed: attention %+v", inc.Attention)
	}
	if slices.Contains(keys(Plan(inc, p, now)), "csat-2") {
		t.Error("a still-open episode must not fall back to the usual survey in the same cycle")
	}
}

func TestNegativeThresholds(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct {
		k     SurveyKind
		score int
		want  bool
	}{
		{SurveyCSAT, 2, true}, {SurveyCSAT, 3, false},
		{SurveyNPS, 6, true}, {SurveyNPS, 7, false}, {SurveyNPS, 0, true},
		{SurveyCES, 5, true}, {SurveyCES, 4, false},
	} {
		if got := p.IsNegative(tc.k, tc.score); got != tc.want {
			t.Errorf("%s %d negative = %v", tc.k, tc.score, got)
		}
	}
	custom, err := ParsePolicy([]byte(`{"negative":{"csat_at_most":3,"nps_at_most":4,"ces_at_least":6},"rules":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !custom.IsNegative(SurveyCSAT, 3) || custom.IsNegative(SurveyNPS, 5) || custom.IsNegative(SurveyCES, 5) {
		t.Error("configured thresholds not applied")
	}
	for name, js := range map[string]string{
		"reserved step id": `{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"alert","template":"t"}]}]}`,
		"bad reason code":  `{"reasons":["Too Slow"],"rules":[]}`,
		"bad threshold":    `{"negative":{"csat_at_most":9,"nps_at_most":6,"ces_at_least":5},"rules":[]}`,
		"bad recovery":     `{"recovery":{"id":"r","template":""},"rules":[]}`,
	} {
		if _, err := ParsePolicy([]byte(js)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestReasonsKeepOnlyOffered(t *testing.T) {
	inc := Incident{Steps: map[string]StepState{"csat-1": {Status: StepSent}}}
	now := time.Now()
	if err := inc.RecordAnswer("csat-1", SurveyCSAT, 1, now); err != nil {
		t.Fatal(err)
	}
	if err := inc.RecordReasons("csat-1", []string{"waiting", "bogus", "waiting", "staff"}, DefaultReasons, now); err != nil {
		t.Fatal(err)
	}
	if got := inc.Answers["csat-1"].Reasons; !slices.Equal(got, []string{"waiting", "staff"}) {
		t.Fatalf("reasons = %v", got)
	}
}

// TestNoRecoveryInTheSameCycleForBookingsThatCompleteAtEnd: a Calendly or
// Cal.com booking stays "booked" and is planned as completed at its end
// (cycle 1 while Incident.Cycle is 0). A complaint about its thank-you
// must not be answered with "did we fix it?" in that same cycle.
func TestNoRecoveryInTheSameCycleForBookingsThatCompleteAtEnd(t *testing.T) {
	now := mustTime(t, "2026-11-21T12:00:00Z")
	inc := Incident{
		ID: "inc_x", Kind: KindBooking, Status: StatusBooked, CompletesAtEnd: true,
		EndsAt:   mustTime(t, "2026-11-20T17:00:00Z"),
		Customer: Customer{Email: "a@example.com", TimeZone: "UTC"},
		Steps:    map[string]StepState{"thanks-1": {Status: StepSent, SentAt: now.Add(-time.Hour), Survey: SurveyCSAT}},
	}
	inc.Escalate(Escalation{Cause: CauseNegative, Step: "thanks-1", Kind: SurveyCSAT, Score: 1}, time.Hour, now)
	p := DefaultPolicy()
	p.Alerts.Email = true
	for _, k := range keys(Plan(inc, p, now)) {
		if strings.HasPrefix(k, "recovery-") {
			t.Fatalf("recovery planned in the cycle that raised attention: %v", keys(Plan(inc, p, now)))
		}
	}
}
