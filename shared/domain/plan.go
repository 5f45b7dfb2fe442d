package domain

import (
	"slices"
	"strconv"
	"time"
)

// StepKind tells what a planned step is for; dispatch composes each
// kind differently.
type StepKind string

// The kinds of step. Survey steps come from the policy's rules; the others
// Aftercare adds itself, so their ids are reserved.
const (
	KindSurvey   StepKind = "survey"
	KindReminder StepKind = "reminder"
	KindRecovery StepKind = "recovery"
	KindAck      StepKind = "ack"
	KindAlert    StepKind = "alert"
	KindHook     StepKind = "hook"
	// KindNote is a personal note that asks nothing (a loyal customer's
	// thanks, a review invitation, "we missed you"): it spends the
	// person's message budget (Policy.MessageCooldown), not the survey's.
	KindNote StepKind = "note"
	// KindAdvice is service information about a booking (pre-arrival
	// advice): no budget, but only to people who may be mailed.
	KindAdvice StepKind = "advice"
)

// Audience is who a step kind goes to: the customer or the team.
func (k StepKind) Audience() string {
	if k == KindAlert || k == KindHook {
		return "team"
	}
	return "customer"
}

// PlannedStep is a follow-up the policy wants for an incident now.
type PlannedStep struct {
	// Key identifies the step within the incident: the policy step id and
	// the incident's cycle, e.g. "csat-2" for the second time it was
	// solved; "csat-2-r" is its reminder, "alert-3" the third escalation's
	// team alert, "ack-1" the first attention episode's acknowledgement.
	Key  string    `json:"key"`
	Kind StepKind  `json:"kind"`
	Step Step      `json:"step"`
	Due  time.Time `json:"due"`
	// Answers is the step the email's rating links answer: the step
	// itself, or for a reminder the survey it reminds of.
	Answers string `json:"answers,omitempty"`
	// Escalation is what an alert or hook step reports.
	Escalation *Escalation `json:"escalation,omitempty"`
	// Quieted says Due was moved out of the customer's quiet hours, so
	// that the dashboard can say why a step waits.
	Quieted bool `json:"quieted,omitempty"`
}

// ReminderTemplate is the template of survey reminders.
const ReminderTemplate = "reminder"

// Plan is the desired state: the steps the policy wants for the incident
// that are not yet sent, a step being sent due when its claim's lease ends. It is a pure function, so duplicate,
// late and out-of-order webhooks converge to the same plan, and dispatch can
// re-plan at fire time to check a step is still wanted.
//
// Besides the policy's steps it plans: one reminder per unanswered survey
// (none after an answer or a reply); the recovery survey instead of the
// usual steps when an incident that needed attention is resolved again;
// for each escalation a team alert (email and/or webhook, as configured);
// and once per attention episode, when a team channel is configured, an
// acknowledgement to the customer.
// For a completed booking whose review decision (taken at completion,
// see DecideReview) invites the customer, it plans the review invitation
// as its own personal note, whatever was answered since.
// acknowledgement to the customer. Steps with before_start are planned
// while a booking is booked and not started (beforeStart).
// Customer steps respect quiet hours except the acknowledgement, which
// answers something the customer just did.
func Plan(inc Incident, p Policy, now time.Time) []PlannedStep {
	loc := inc.Customer.Location()
	var out []PlannedStep
	add := func(ps PlannedStep, quiet bool) {
		st, ok := inc.Steps[ps.Key]
		switch {
		case !ok:
		case st.Status == StepFailed: // retry later, under a new schedule name
			if retry := st.FailedAt.Add(RetryDelay(st.Attempts)).Truncate(time.Minute); retry.After(ps.Due) {
				ps.Due = retry
			}
		case st.Status == StepSending:
			// A claim is a lease: keep a wake-up call for when it ends, so
			// that a dispatcher that died while sending is taken over. It
			// continues a send that was due, so quiet hours do not apply.
			ps.Due, quiet = LeaseWakeUp(st.ClaimedAt, p.Lease()), false
		default:
			return
		}
		if quiet {
			shifted := p.QuietHours.Shift(ps.Due, loc)
			ps.Quieted = ps.Quieted || !shifted.Equal(ps.Due)
			ps.Due = shifted
		}
		if p.MaxLateness > 0 && now.Sub(ps.Due) > time.Duration(p.MaxLateness) {
			return
		}
		out = append(out, ps)
	}

	status, cycle, resolvedAt := effectiveResolution(inc)
	if status.resolved() && cycle > 0 {
		cycleSuffix := "-" + strconv.Itoa(cycle)
		planStep := func(kind StepKind, s Step) {
			key := s.ID + cycleSuffix
			add(PlannedStep{Key: key, Kind: kind, Step: s, Due: s.dueAfter(resolvedAt, loc), Answers: key}, true)
			if r, ok := reminder(inc, p, s, key); ok {
				add(r, true)
			}
		}
		// The recovery survey replaces the usual steps in the cycle after
		// attention was raised, and stays their replacement in a cycle
		// where it was sent. A team that marked the episode handled asks
		// in this cycle, counting from when it was handled.
		_, recovering := inc.Steps[p.RecoveryStep().ID+cycleSuffix]
		a := inc.Attention
		handledAt, handled := inc.HandledAt()
		switch {
		case a != nil && cycle == a.Cycle && handled && !recovering:
			s, key := p.RecoveryStep(), p.RecoveryStep().ID+cycleSuffix
			anchor := handledAt
			if anchor.Before(resolvedAt) {
				anchor = resolvedAt
			}
			add(PlannedStep{Key: key, Kind: KindRecovery, Step: s, Due: s.dueAfter(anchor, loc), Answers: key}, true)
			if r, ok := reminder(inc, p, s, key); ok {
				add(r, true)
			}
		case a != nil && cycle > a.Cycle || recovering:
			planStep(KindRecovery, p.RecoveryStep())
		default:
			for _, r := range p.Rules {
				if r.Kind == inc.Kind && slices.Contains(r.Status, status) {
					for _, s := range r.Steps {
						planStep(KindSurvey, s)
					}
				}
			}
		}
		// The review invitation, from the decision taken at completion
		// alone: no answer, attention or recovery changes it (review.go).
		if rs, ok := planReview(inc, p, status, cycle, resolvedAt, loc); ok {
			add(rs, true)
		}
	}
	// A booking completed: the loyalty note (sent only if this booking is
	// one of the tiers, which the person's record says at dispatch).
	if l := p.Loyalty; l != nil && inc.Kind == KindBooking && status == StatusCompleted && cycle > 0 {
		s := l.step()
		add(PlannedStep{Key: s.ID + "-" + strconv.Itoa(cycle), Kind: KindNote, Step: s, Due: s.dueAfter(resolvedAt, loc)}, true)
	}
	// They did not come: perhaps a "we missed you" note.
	if m := p.MissedYou; m != nil && inc.Status == StatusNoShow && !inc.NoShowAt.IsZero() {
		s := m.step()
		add(PlannedStep{Key: s.ID + "-" + strconv.Itoa(inc.Cycle), Kind: KindNote, Step: s, Due: s.dueAfter(inc.NoShowAt, loc)}, true)
	}
	// Steps before a booking's start come out of quiet hours already
	// (never past the start); add shifts only a retry's new time.
	for _, ps := range beforeStart(inc, p, now) {
		add(ps, true)
	}
	// The acknowledgement promises a person is looking into it: only when
	// some team channel was alerted.
	if a := inc.Attention; a != nil && (p.Alerts.Email || p.Alerts.Webhook) {
		add(PlannedStep{
			Key: "ack-" + strconv.Itoa(a.Episode), Kind: KindAck,
			Step: Step{ID: "ack", Template: "acknowledgement"}, Due: a.Since,
		}, false)
	}
	for i := range inc.Escalations {
		e := inc.Escalations[i]
		if p.Alerts.Email {
			add(PlannedStep{Key: "alert-" + strconv.Itoa(e.N), Kind: KindAlert,
				Step: Step{ID: "alert", Template: "team_alert"}, Due: e.At, Escalation: &e}, false)
		}
		if p.Alerts.Webhook {
			add(PlannedStep{Key: "hook-" + strconv.Itoa(e.N), Kind: KindHook,
				Step: Step{ID: "hook"}, Due: e.At, Escalation: &e}, false)
		}
	}
	return out
}

// reminder plans the one reminder of a sent survey step that has neither
// an answer nor a reply since it went out.
func reminder(inc Incident, p Policy, s Step, key string) (PlannedStep, bool) {
	st, sent := inc.Steps[key]
	if s.Survey == SurveyNone || p.ReminderDelay() <= 0 || !sent || st.Status != StepSent {
		return PlannedStep{}, false
	}
	if _, answered := inc.Answers[key]; answered || inc.RepliedAt.After(st.SentAt) {
		return PlannedStep{}, false
	}
	r := s
	r.Template = ReminderTemplate
	return PlannedStep{Key: key + "-r", Kind: KindReminder, Step: r, Due: st.SentAt.Add(p.ReminderDelay()), Answers: key}, true
}

// effectiveResolution is the status, cycle and resolution time Plan works
// from. It is the incident's own, except for a booking that completes at
// its end time (Incident.CompletesAtEnd) and is still booked: that one is
// treated as completed at EndsAt, in the cycle its completion will open
// (Cycle+1). An explicit completion applied later opens that same cycle, so
// it yields the same step keys and a step already sent is not sent again;
// a cancellation leaves the booking unresolved, so the steps disappear; a
// new end time moves them. Deriving this here, rather than storing it,
// keeps Plan a pure function of the incident.
func effectiveResolution(inc Incident) (Status, int, time.Time) {
	if inc.Kind == KindBooking && inc.Status == StatusBooked && inc.CompletesAtEnd && !inc.EndsAt.IsZero() {
		return StatusCompleted, inc.Cycle + 1, inc.EndsAt
	}
	return inc.Status, inc.Cycle, inc.ResolvedAt
}

// RetryDelay is how long after its n-th failure a step is tried again:
// 15 minutes, doubling, at most 6 hours.
func RetryDelay(n int) time.Duration {
	d := 15 * time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// Find returns the planned step with the given key.
func Find(plan []PlannedStep, key string) (PlannedStep, bool) {
	for _, s := range plan {
		if s.Key == key {
			return s, true
		}
	}
	return PlannedStep{}, false
}

// dueAfter computes the step's due time from the moment it is anchored to.
// Wall-clock arithmetic happens in the customer's zone, so "the next day at
// 10:00" stays 10:00 across a daylight-saving change.
func (s Step) dueAfter(anchor time.Time, loc *time.Location) time.Time {
	if s.At == "" {
		return anchor.Add(time.Duration(s.Delay)).UTC()
	}
	mins, _ := clockTime(s.At) // validated with the policy
	l := anchor.In(loc)
	due := wallTime(l.Year(), l.Month(), l.Day()+s.Days, mins, loc)
	if due.Before(anchor) {
		due = wallTime(l.Year(), l.Month(), l.Day()+s.Days+1, mins, loc)
	}
	return due.UTC()
}

// wallTime is the given local date at mins after midnight. A wall time
// that does not exist (skipped by a daylight-saving jump) moves forward by
// the gap, so 02:30 on a spring-forward night becomes 03:30, never 01:30.
func wallTime(y int, m time.Month, d, mins int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, mins/60, mins%60, 0, 0, loc)
	if t.Hour()*60+t.Minute() != mins {
		_, before := t.Zone()
		_, after := t.Add(6 * time.Hour).Zone()
		if after > before {
			t = t.Add(time.Duration(after-before) * time.Second)
		}
	}
	return t
}

// Shift moves t out of the quiet window to the window's end, in loc.
// A nil QuietHours leaves t as it is.
func (q *QuietHours) Shift(t time.Time, loc *time.Location) time.Time {
	l, began, in := q.windowAt(t, loc)
	if !in {
		return t
	}
	end, _ := clockTime(q.End)
	ends := began
	if start, _ := clockTime(q.Start); start > end {
		ends++ // a window that wraps midnight ends the day after it began
	}
	return wallTime(l.Year(), l.Month(), l.Day()+ends, end, loc).UTC()
}

// windowAt reports whether t falls in a quiet window, in loc, and if so on
// which local day the window began, counted from t's (0 or -1); l is t in
// loc. Shift and lastBefore move out of that window forward and back.
func (q *QuietHours) windowAt(t time.Time, loc *time.Location) (l time.Time, began int, in bool) {
	if q == nil {
		return t, 0, false
	}
	start, _ := clockTime(q.Start)
	end, _ := clockTime(q.End)
	l = t.In(loc)
	m := l.Hour()*60 + l.Minute()
	switch {
	case start == end:
	case start > end: // wraps midnight, e.g. 21:00–09:00
		if m >= start {
			return l, 0, true
		}
		if m < end {
			return l, -1, true
		}
	default: // same-day window, e.g. 12:00–14:00
		if m >= start && m < end {
			return l, 0, true
		}
	}
	return l, 0, false
}

// ScheduleName derives a wake-up call's name from the incident, the step and
// its due time: deterministic, so creating it twice is a harmless conflict,
// and a moved due time yields a new name. It fits EventBridge Scheduler's
// 64 characters of [0-9a-zA-Z-_.].
func ScheduleName(incidentID, key string, due time.Time) string {
	return incidentID + "." + key + "." + due.UTC().Format("20060102T1504")
}
