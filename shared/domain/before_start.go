package domain

// before_start.go plans the steps that go out before a booking starts
// (pre-arrival advice): a policy step with before_start.

import (
	"fmt"
	"slices"
	"time"
)

// BeforeStartSuffix ends the key of a step planned before a booking's
// start ("advice-s"). The key carries no cycle and no start time, so it is
// stable per booking: a step sent once is never planned again, whatever
// the booking does afterwards (a reschedule, a no-show, a completion).
const BeforeStartSuffix = "-s"

// beforeStart plans the rule steps with before_start for a booking that is
// still booked and has not started. Each is due before_start before
// StartsAt (with at, on that local day at that local time, in the
// customer's zone), out of quiet hours. A booking made later than that
// gets the step as soon as it is known (its newest event), if a moment
// outside quiet hours is left before it starts; otherwise it gets none,
// as advice that arrives after the start is noise. A reschedule moves
// StartsAt, so the due time (and the schedule's name) moves with it; a
// cancellation or no-show takes the booking out of "booked", so the step
// is no longer planned.
func beforeStart(inc Incident, p Policy, now time.Time) []PlannedStep {
	if inc.Kind != KindBooking || inc.Status != StatusBooked || inc.StartsAt.IsZero() || !now.Before(inc.StartsAt) {
		return nil
	}
	loc := inc.Customer.Location()
	var out []PlannedStep
	for _, r := range p.Rules {
		if r.Kind != KindBooking || !slices.Contains(r.Status, StatusBooked) {
			continue
		}
		for _, s := range r.Steps {
			if s.BeforeStart == nil {
				continue
			}
			due, quieted, ok := s.dueBefore(inc.StartsAt, inc.LastEventAt, p.QuietHours, loc)
			if !ok {
				continue
			}
			key := s.ID + BeforeStartSuffix
			out = append(out, PlannedStep{Key: key, Kind: KindAdvice, Step: s, Due: due, Quieted: quieted})
		}
	}
	return out
}

// dueBefore is when a before_start step is due for a booking starting at
// start that Aftercare learned of at known. ok is false when no moment
// outside quiet hours is left between known and start.
func (s Step) dueBefore(start, known time.Time, q *QuietHours, loc *time.Location) (due time.Time, quieted, ok bool) {
	lead := time.Duration(*s.BeforeStart)
	if s.At == "" {
		due = start.Add(-lead)
	} else {
		mins, _ := clockTime(s.At) // validated with the policy
		l := start.In(loc)
		due = wallTime(l.Year(), l.Month(), l.Day()-int(lead/(24*time.Hour)), mins, loc)
	}
	if known = known.Truncate(time.Minute); due.Before(known) {
		due = known
	}
	shifted := q.Shift(due, loc)
	if !shifted.Before(start) {
		// Out of quiet hours only after the start: the last moment before
		// the quiet window that holds the start's eve instead.
		shifted = q.lastBefore(start.Add(-time.Minute), loc)
		if shifted.Before(known) {
			return time.Time{}, false, false
		}
	}
	return shifted.UTC(), !shifted.Equal(due), true
}

// lastBefore is the latest moment at or before t outside the quiet window:
// t itself, or the minute before the window that holds t began.
func (q *QuietHours) lastBefore(t time.Time, loc *time.Location) time.Time {
	l, began, in := q.windowAt(t, loc)
	if !in {
		return t
	}
	start, _ := clockTime(q.Start)
	return wallTime(l.Year(), l.Month(), l.Day()+began, start, loc).Add(-time.Minute).UTC()
}

// validateBeforeStart checks a step's before_start: with at it counts
// whole days (the local day of the booking's start, minus that many
// days); it excludes delay and days, which count after a resolution.
func (s Step) validateBeforeStart(where string) error {
	if s.BeforeStart == nil {
		return nil
	}
	lead := time.Duration(*s.BeforeStart)
	switch {
	case s.Delay != 0 || s.Days != 0:
		return fmt.Errorf("%s: before_start excludes delay and days", where)
	case s.Survey != SurveyNone:
		return fmt.Errorf("%s.survey: a step before the start asks nothing (remove survey)", where)
	case lead > 366*24*time.Hour:
		return fmt.Errorf("%s.before_start: at most 366d", where)
	case s.At != "" && lead%(24*time.Hour) != 0:
		return fmt.Errorf("%s.before_start: with at, a whole number of days like \"2d\"", where)
	case s.At == "" && lead <= 0:
		return fmt.Errorf("%s.before_start: must be positive without at", where)
	}
	return nil
}

// validateBeforeStartRule checks that before_start steps sit in booking
// rules on "booked" alone, and that such rules hold nothing else (a step
// there without before_start would never be planned).
func (r Rule) validateBeforeStartRule(i int) error {
	onBooked := r.Kind == KindBooking && slices.Equal(r.Status, []Status{StatusBooked})
	for j, s := range r.Steps {
		where := fmt.Sprintf("rules[%d].steps[%d]", i, j)
		if s.BeforeStart != nil && !onBooked {
			return fmt.Errorf("%s.before_start: only in a rule with kind booking and status [\"booked\"]", where)
		}
		if s.BeforeStart == nil && onBooked {
			return fmt.Errorf("%s.before_start: steps of a rule on [\"booked\"] need before_start (e.g. \"2d\")", where)
		}
	}
	return nil
}

// NoteMissedBeforeStart puts on the timeline, once per start time, each
// before_start step a booked booking will not get because no moment
// outside quiet hours is left before it starts, so that the team can see
// why no advice went out. It records no step state: a reschedule to a
// later start plans the step again. It reports whether it noted anything.
func (inc *Incident) NoteMissedBeforeStart(p Policy, now time.Time) bool {
	if inc.Kind != KindBooking || inc.Status != StatusBooked || inc.StartsAt.IsZero() || !now.Before(inc.StartsAt) {
		return false
	}
	loc := inc.Customer.Location()
	noted := false
	for _, r := range p.Rules {
		if r.Kind != KindBooking || !slices.Contains(r.Status, StatusBooked) {
			continue
		}
		for _, s := range r.Steps {
			key := s.ID + BeforeStartSuffix
			if _, done := inc.Steps[key]; done || s.BeforeStart == nil {
				continue
			}
			if _, _, ok := s.dueBefore(inc.StartsAt, inc.LastEventAt, p.QuietHours, loc); ok {
				continue
			}
			detail := "not planned: booked too close to its start (" + inc.StartsAt.In(loc).Format("2006-01-02 15:04 MST") +
				") for a moment outside quiet hours before it"
			if slices.ContainsFunc(inc.Timeline, func(e Entry) bool { return e.Kind == EntryNotSent && e.Step == key && e.Detail == detail }) {
				continue
			}
			inc.Record(now, EntryNotSent, key, detail)
			noted = true
		}
	}
	return noted
}
