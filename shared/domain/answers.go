package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Answer is a customer's survey answer to one step: the latest score, with
// how often it was changed, so that a customer flipping between scores
// costs one answer, not one per click.
type Answer struct {
	Survey     SurveyKind `json:"survey"`
	Score      int        `json:"score"`
	Comment    string     `json:"comment,omitempty"`
	Reasons    []string   `json:"reasons,omitempty"`
	AnsweredAt time.Time  `json:"answered_at"`
	// Changes counts how often the score was changed after the first one.
	Changes int `json:"changes,omitempty"`
}

// ErrNotAnswerable is returned for an answer to a step that never went out.
var ErrNotAnswerable = errors.New("step was not sent, nothing to answer")

// RecordAnswer stores a survey score for a step. Any step that was ever
// claimed may be answered, whatever its delivery status: an email that
// went out while its record did not (a crash between the two) must still
// work. A later score replaces an earlier one and keeps its comment and
// reasons.
func (inc *Incident) RecordAnswer(key string, survey SurveyKind, score int, now time.Time) error {
	if _, ok := inc.Steps[key]; !ok {
		return fmt.Errorf("%w: %s", ErrNotAnswerable, key)
	}
	if err := survey.Check(score); err != nil {
		return err
	}
	if inc.Answers == nil {
		inc.Answers = map[string]Answer{}
	}
	prev, had := inc.Answers[key]
	if had && prev.Score == score {
		return nil
	}
	a := Answer{Survey: survey, Score: score, Comment: prev.Comment, Reasons: prev.Reasons, AnsweredAt: now}
	detail := fmt.Sprintf("%s %d", survey, score)
	if had {
		a.Changes = prev.Changes + 1
		detail += fmt.Sprintf(" (was %d)", prev.Score)
	}
	inc.Answers[key] = a
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryAnswer, Step: key, Detail: detail})
	return nil
}

// ErrNoAnswer is returned for a comment before any score was given.
var ErrNoAnswer = errors.New("no answer to comment on")

// RecordComment attaches the customer's free-text comment to an answer.
// The timeline shows its beginning; the answer keeps it whole.
func (inc *Incident) RecordComment(key, comment string, now time.Time) error {
	a, ok := inc.Answers[key]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoAnswer, key)
	}
	comment = truncate(strings.TrimSpace(CleanText(comment)), MaxComment)
	if comment == "" || comment == a.Comment {
		return nil
	}
	a.Comment = comment
	inc.Answers[key] = a
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryComment, Step: key, Detail: truncate(comment, maxEntryText)})
	return nil
}

// RecordReasons stores the reasons a customer ticked after a low score,
// keeping only codes the policy offers.
func (inc *Incident) RecordReasons(key string, reasons, allowed []string, now time.Time) error {
	a, ok := inc.Answers[key]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoAnswer, key)
	}
	var keep []string
	for _, r := range reasons {
		if slices.Contains(allowed, r) && !slices.Contains(keep, r) {
			keep = append(keep, r)
		}
	}
	if slices.Equal(keep, a.Reasons) {
		return nil
	}
	a.Reasons = keep
	inc.Answers[key] = a
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryReasons, Step: key, Detail: strings.Join(keep, ", ")})
	return nil
}

// RecordReply puts a customer's email reply on the timeline. ref says
// where the raw message is kept; from, when not empty, is the sender of a
// reply that did not come from the customer's own address, shown with it
// so that nobody mistakes it for the customer's words.
func (inc *Incident) RecordReply(key, text, ref, from string, now time.Time) {
	e := Entry{At: now, Kind: EntryReply, Step: key, Detail: truncate(strings.TrimSpace(CleanText(text)), MaxReply), Ref: ref}
	if from != "" {
		e.Kind, e.From = EntryForeignReply, truncate(CleanText(from), maxRefText)
	} else {
		inc.RepliedAt = now
	}
	inc.UpdatedAt = now
	inc.record(e)
}

// RecordAutoReply notes an automatic answer (out of office, a mailing
// list, a delivery report) on the timeline. It never escalates and never
// counts as the customer's reply.
func (inc *Incident) RecordAutoReply(key, reason, ref string, now time.Time) {
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryAutoReply, Step: key, Detail: truncate(reason, maxEntryText), Ref: ref})
}

// HasReply reports whether the stored message ref is already on the
// timeline (storage notifications arrive at least once).
func (inc *Incident) HasReply(ref string) bool {
	return ref != "" && slices.ContainsFunc(inc.Timeline, func(e Entry) bool {
		return (e.Kind == EntryReply || e.Kind == EntryForeignReply || e.Kind == EntryAutoReply) && e.Ref == ref
	})
}

// truncate cuts s to n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
