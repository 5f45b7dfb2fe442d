package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// The console speaks to someone trying Aftercare for the first time: it
// says what a step is ("the thank-you", "the team alert") and what running
// it did, in words, keeping the ids beside them in small print for those
// who look them up in the API or the store.

// stepWords says what the step with key is and who it goes to, as the
// team's dashboard names it too (domain.NameStep).
func stepWords(p domain.Policy, key string) (what, to string) {
	n := domain.NameStep(p, key)
	return n.Phrase(), n.To
}

// stepLabel is a step in words with its key: "the thank-you (step thanks-1)".
func (rt *Runtime) stepLabel(key string) string {
	what, _ := stepWords(rt.cfg.Policy, key)
	return what + " (step " + key + ")"
}

// runOutcome says in words what firing the schedule for step key of an
// incident did, from the step's state after the run, the time the run
// started on the runtime's clock (a step sent before it was sent by an
// earlier run) and the incident's timeline.
func runOutcome(p domain.Policy, since time.Time, after domain.StepState, inc domain.Incident, key string, runErr error) string {
	what, to := stepWords(p, key)
	label := what + " (step " + key + ")"
	verb := "Sent " + label + " to " + to
	if strings.HasPrefix(key, "hook-") {
		verb = "Posted " + label + " to " + to
	}
	switch {
	case runErr != nil:
		return fmt.Sprintf("Could not run %s: %v. It will be retried.", label, runErr)
	case after.Status == domain.StepSent && after.SentAt.Before(since):
		return fmt.Sprintf("Nothing to do: %s was already sent, %s.", label, after.SentAt.UTC().Format("2006-01-02 15:04Z"))
	}
	switch after.Status {
	case domain.StepSent:
		return verb + "."
	case domain.StepSkipped:
		return fmt.Sprintf("Did not send %s: %s.", label, after.Error)
	case domain.StepFailed:
		return fmt.Sprintf("Sending %s failed (attempt %d); it will be retried: %s.", label, after.Attempts, after.Error)
	case domain.StepRejected:
		return fmt.Sprintf("Gave up sending %s: %s.", label, after.Error)
	case domain.StepSending:
		return fmt.Sprintf("%s is being sent.", upperFirst(label))
	}
	for i := len(inc.Timeline) - 1; i >= 0; i-- {
		if e := inc.Timeline[i]; e.Step == key && e.Kind == domain.EntryNotSent {
			return fmt.Sprintf("Did not send %s: %s.", label, e.Detail)
		}
	}
	return fmt.Sprintf("Nothing to send: %s is no longer wanted (the incident changed since it was planned).", label)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// stepState loads the incident a schedule belongs to and the step's state
// (zero when the incident or the step is not found).
func (rt *Runtime) stepState(ctx context.Context, incidentID, key string) (domain.StepState, domain.Incident) {
	if incidentID == "" {
		return domain.StepState{}, domain.Incident{}
	}
	inc, err := rt.store.Get(ctx, incidentID)
	if err != nil {
		return domain.StepState{}, domain.Incident{}
	}
	return inc.Steps[key], inc
}

// zoned is t on the wall clock of zone, "2026-12-03 10:00 Europe/Madrid",
// or "" when zone is unknown or UTC (the UTC time is shown anyway).
func zoned(t time.Time, zone string) string {
	if t.IsZero() || zone == "" || zone == "UTC" {
		return ""
	}
	loc, err := domain.LoadZone(zone)
	if err != nil {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04") + " " + zone
}

// entryWords says a timeline entry's kind in words, naming its step when
// it has one: "sent the thank-you", "did not send the reminder of the
// satisfaction survey".
func entryWords(p domain.Policy, e domain.Entry) string {
	words, ok := entryKinds[e.Kind]
	if !ok {
		words = [2]string{strings.ReplaceAll(e.Kind, "_", " "), strings.ReplaceAll(e.Kind, "_", " ") + " (%s)"}
	}
	if e.Step == "" {
		return words[0]
	}
	what, _ := stepWords(p, e.Step)
	return fmt.Sprintf(words[1], what)
}

// entryKinds are the timeline's kinds in words: alone, and with the
// step's name in place of %s.
var entryKinds = map[string][2]string{
	domain.EntryReview:       {"review invitation", "about %s"},
	domain.EntryEvent:        {"webhook received", "webhook received (%s)"},
	domain.EntryStale:        {"out-of-order webhook, state kept", "out-of-order webhook, state kept (%s)"},
	domain.EntryScheduled:    {"scheduled", "scheduled %s"},
	domain.EntryUnscheduled:  {"unscheduled", "unscheduled %s"},
	domain.EntrySent:         {"sent", "sent %s"},
	domain.EntrySendFailed:   {"sending failed", "could not send %s"},
	domain.EntryNotSent:      {"not sent", "did not send %s"},
	domain.EntryAnswer:       {"answered", "answered %s"},
	domain.EntryComment:      {"commented", "commented on %s"},
	domain.EntryReasons:      {"gave reasons", "gave reasons, answering %s"},
	domain.EntryReply:        {"replied", "replied to %s"},
	domain.EntryEscalated:    {"the team was alerted", "the team was alerted (%s)"},
	domain.EntryRecovered:    {"recovered", "recovered, says %s"},
	domain.EntryUnrecovered:  {"not recovered", "not recovered, says %s"},
	domain.EntryImproved:     {"answer improved", "answer to %s improved"},
	domain.EntryForeignReply: {"reply from someone else", "reply from someone else to %s"},
	domain.EntryAutoReply:    {"automatic reply", "automatic reply to %s"},
	domain.EntryConsent:      {"consent changed", "consent changed (%s)"},
	domain.EntryMailEvent:    {"the mail system reported", "the mail system reported on %s"},
}

// errNoSchedule names a schedule that is no longer pending, in words.
var errNoSchedule = errors.New("that schedule is no longer pending (it ran, or the incident changed); the list below is current")
