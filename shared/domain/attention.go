package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Attention marks an incident the team must look at.
type Attention struct {
	Since time.Time `json:"since"`
	// Cycle is the incident's cycle when attention was raised; resolving
	// the incident in a later cycle sends the recovery survey.
	Cycle   int `json:"cycle"`
	Episode int `json:"episode"`
}

// NeedsTeam reports whether the incident waits in the team's attention
// queue: attention raised and not yet handled.
func (inc *Incident) NeedsTeam() bool {
	_, handled := inc.HandledAt()
	return inc.Attention != nil && !handled
}

// HandledAt is when the team marked the current attention episode handled
// (Handling.Handled holds it), and whether it did: a handled episode
// leaves the attention queue, and the recovery survey may go once the
// incident is resolved; a good recovery answer clears Attention.
func (inc *Incident) HandledAt() (time.Time, bool) {
	if inc.Attention == nil || inc.Team == nil {
		return time.Time{}, false
	}
	for _, h := range slices.Backward(inc.Team.Handled) {
		if h.Episode == inc.Attention.Episode {
			return h.At, true
		}
	}
	return time.Time{}, false
}

// Escalation is one alert to the team. The first of an attention episode
// is due at once; later changes in the same episode become one follow-up
// alert, due at most every Policy.AlertInterval, into which further
// changes are folded while it waits.
type Escalation struct {
	N       int        `json:"n"`
	Episode int        `json:"episode,omitempty"`
	At      time.Time  `json:"at"`
	Cause   string     `json:"cause"`
	Step    string     `json:"step,omitempty"`
	Kind    SurveyKind `json:"survey,omitempty"`
	Score   int        `json:"score,omitempty"`
	// Text is the comment or reply, as the team should read it.
	Text string `json:"text,omitempty"`
	// From is the sender of a reply that did not come from the customer.
	From string `json:"from,omitempty"`
	// Folded counts the changes folded into this alert while it waited.
	Folded int `json:"folded,omitempty"`
}

// Escalation causes.
const (
	CauseNegative     = "negative_answer"
	CauseReply        = "reply"
	CauseNotRecovered = "not_recovered"
	// CauseUpdated: the customer changed or added to a negative answer
	// (another low score, a comment, reasons) within the episode.
	CauseUpdated = "answer_updated"
	// CauseImproved: a negative answer was changed to a good one within
	// the episode. The team hears it, so the story it reads is whole.
	CauseImproved = "answer_improved"
	// CauseForeignReply: somebody other than the customer wrote to the
	// incident's reply address.
	CauseForeignReply = "reply_other_sender"
)

// Immediate reports whether an escalation opened its episode's alerts
// (rather than being a follow-up), for callers that dispatch at once.
func (e Escalation) Immediate() bool { return e.Folded == 0 && e.N > 0 }

// Escalate asks the team to look at the incident. The first escalation of
// an attention episode opens it and is due now; the plan turns it into
// alerts and, once per episode, an acknowledgement to the customer. Later
// escalations in the same episode are folded: into the follow-up alert
// already waiting, or into a new one due every after the last alert, so a
// customer flipping a score 200 times makes two alerts, not 200. It
// reports the escalation as stored.
func (inc *Incident) Escalate(e Escalation, every time.Duration, now time.Time) Escalation {
	// An episode the team marked handled is over: what the customer says
	// next opens a new one, back in the team's queue.
	if _, handled := inc.HandledAt(); inc.Attention == nil || handled {
		inc.Episodes++
		// The cycle Plan works in, which for a booking that completes at
		// its end is one ahead of Cycle until the completion is stored.
		_, cycle, _ := effectiveResolution(*inc)
		inc.Attention = &Attention{Since: now, Cycle: cycle, Episode: inc.Episodes}
	}
	episode := inc.Attention.Episode
	e.Text = truncate(CleanText(e.Text), maxEscalationText)
	e.From = truncate(CleanText(e.From), maxRefText)
	e.Episode = episode
	inc.UpdatedAt = now

	var last *Escalation
	if n := len(inc.Escalations); n > 0 && inc.Escalations[n-1].Episode == episode {
		last = &inc.Escalations[n-1]
	}
	if last != nil && last.At.After(now) {
		// A follow-up is waiting: it will report the latest state.
		folded := *last
		e.N, e.At, e.Folded = folded.N, folded.At, folded.Folded+1
		if e.Text == "" {
			e.Text, e.From = folded.Text, folded.From
		}
		*last = e
		return e
	}
	e.At = now
	if last != nil {
		if next := last.At.Add(every); next.After(now) {
			e.At = next
		}
		e.Folded = 1
	}
	e.N = 1
	if n := len(inc.Escalations); n > 0 {
		e.N = inc.Escalations[n-1].N + 1
	}
	inc.Escalations = append(inc.Escalations, e)
	if len(inc.Escalations) > maxEscalations {
		inc.Escalations = inc.Escalations[len(inc.Escalations)-maxEscalations:]
	}
	detail := e.Cause
	if e.Kind != SurveyNone {
		detail += fmt.Sprintf(" (%s %d)", e.Kind, e.Score)
	}
	if e.At.After(now) {
		detail += "; the team hears in one alert at " + e.At.Format(time.RFC3339)
	}
	inc.record(Entry{At: now, Kind: EntryEscalated, Step: e.Step, Detail: detail})
	return e
}

// Judge decides what a recorded answer means for the team, given the
// answer before it (answered says there was one). An answer to a recovery
// survey closes the attention episode or, if still bad, escalates again. A
// new negative answer escalates; a change to a negative answer (score,
// comment, reasons) escalates as an update, folded into the episode's
// follow-up alert; a negative answer changed to a good one says so on the
// timeline and to the team. It reports whether it escalated.
func (inc *Incident) Judge(key string, prev Answer, answered bool, p Policy, now time.Time) bool {
	a, ok := inc.Answers[key]
	if !ok {
		return false
	}
	negative := p.IsNegative(a.Survey, a.Score)
	wasNegative := answered && p.IsNegative(prev.Survey, prev.Score)
	changed := !answered || prev.Score != a.Score || prev.Comment != a.Comment || !slices.Equal(prev.Reasons, a.Reasons)
	if !changed {
		return false
	}
	esc := Escalation{Step: key, Kind: a.Survey, Score: a.Score, Text: a.Comment}
	if IsRecoveryKey(key, p) {
		if answered && prev.Score == a.Score {
			if negative && inc.Attention != nil {
				esc.Cause = CauseUpdated
				inc.Escalate(esc, p.AlertInterval(), now)
				return true
			}
			return false
		}
		inc.ResolveRecovery(key, !negative, now)
		if !negative {
			return false
		}
		esc.Cause = CauseNotRecovered
		inc.Escalate(esc, p.AlertInterval(), now)
		return true
	}
	switch {
	case negative && !wasNegative:
		esc.Cause = CauseNegative
	case negative:
		esc.Cause = CauseUpdated
	case wasNegative && inc.Attention != nil:
		inc.record(Entry{At: now, Kind: EntryImproved, Step: key, Detail: fmt.Sprintf("%s %d, was %d: no longer a negative answer", a.Survey, a.Score, prev.Score)})
		esc.Cause = CauseImproved
	default:
		return false
	}
	inc.Escalate(esc, p.AlertInterval(), now)
	return true
}

// IsRecoveryKey tells a recovery survey's step key ("recovery-3").
func IsRecoveryKey(key string, p Policy) bool {
	return strings.HasPrefix(key, p.RecoveryStep().ID+"-")
}

// ResolveRecovery records the answer to a recovery survey: a good one
// closes the attention episode; a bad one keeps it open, anchored to this
// cycle, so that the next resolution asks again.
func (inc *Incident) ResolveRecovery(key string, fixed bool, now time.Time) {
	inc.Recovered = &fixed
	inc.UpdatedAt = now
	if fixed {
		inc.Attention = nil
		inc.record(Entry{At: now, Kind: EntryRecovered, Step: key, Detail: "the customer says it is fixed"})
		return
	}
	if inc.Attention != nil {
		_, inc.Attention.Cycle, _ = effectiveResolution(*inc)
	}
	inc.record(Entry{At: now, Kind: EntryUnrecovered, Step: key, Detail: "the customer says it is not fixed"})
}
