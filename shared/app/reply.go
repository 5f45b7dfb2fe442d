package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/store"
)

// ReplyResult says what became of an inbound email.
type ReplyResult struct {
	// Outcome is "answered" (a number that answered the survey),
	// "recorded" (a reply on the timeline, escalated to the team),
	// "duplicate" (that stored message was already filed) or "dropped"
	// (not attached to any incident; Reason says why).
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
	IncidentID string `json:"incident_id,omitempty"`
	Step       string `json:"step,omitempty"`
}

// Reply outcomes.
const (
	ReplyAnswered = "answered"
	ReplyRecorded = "recorded"
	ReplyDropped  = "dropped"
	// ReplyDuplicate: the same stored message was delivered again.
	ReplyDuplicate = "duplicate"
)

// Reply takes one email a customer sent to a reply address. ref says where
// the raw message is kept (an S3 key, an outbox file); envelope holds the
// recipients the mail system delivered to, when it knows them.
//
// Only a reply whose signed reply address verifies is attached: a forged or
// unknown address, an automatic reply (out of office, bounces) or an
// unreadable message is dropped and logged, never attached. A reply that
// is only a number answers the survey it replies to; anything else goes on
// the timeline, stripped of quoted history, and escalates to the team,
// which also acknowledges it to the customer. Dropping is not an error: a
// retry would not change it.
func (s *Service) Reply(ctx context.Context, raw []byte, ref string, envelope ...string) (ReplyResult, error) {
	if s.cfg.ReplyAddresses == nil {
		return s.drop(ctx, "", "replies are not configured (no reply address)"), nil
	}
	r, err := replies.Parse(raw)
	if err != nil {
		return s.drop(ctx, ref, "unreadable message: "+err.Error()), nil
	}
	id, step, err := s.cfg.ReplyAddresses.Match(r, envelope...)
	switch {
	case errors.Is(err, replies.ErrForged):
		return s.drop(ctx, ref, "forged reply address"), nil
	case err != nil:
		return s.drop(ctx, ref, "no reply address of ours"), nil
	case r.Automatic:
		return s.drop(ctx, ref, "automatic reply"), nil
	}
	outcome, escalated := ReplyRecorded, false
	inc, err := s.cfg.Store.Update(ctx, id, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		// Storage notifications arrive at least once: a message already
		// on the timeline is not filed (or escalated) twice.
		if ref != "" && slices.ContainsFunc(cur.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryReply && e.Ref == ref }) {
			outcome = ReplyDuplicate
			return store.ErrUnchanged
		}
		now := s.cfg.Clock.Now()
		outcome, escalated = ReplyRecorded, false
		if st, ok := cur.Steps[step]; ok && st.Survey != domain.SurveyNone {
			if score, ok := replies.Score(r.Text, st.Survey); ok {
				prev, answered := cur.Answers[step]
				if cur.RecordAnswer(step, st.Survey, score, now) == nil {
					outcome = ReplyAnswered
					cur.RecordReply(step, r.Text, ref, now)
					escalated = s.judge(cur, step, prev, answered, false, now)
					return nil
				}
			}
		}
		cur.RecordReply(step, r.Text, ref, now)
		cur.Escalate(domain.Escalation{Cause: domain.CauseReply, Step: step, Text: r.Text}, now)
		escalated = true
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return s.drop(ctx, ref, "unknown incident"), nil
	}
	if err != nil {
		return ReplyResult{}, fmt.Errorf("reply to %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "reply received", "incident", id, "step", step, "outcome", outcome, "chars", len(r.Text))
	s.afterChange(ctx, inc, escalated)
	return ReplyResult{Outcome: outcome, IncidentID: id, Step: step}, nil
}

func (s *Service) drop(ctx context.Context, ref, reason string) ReplyResult {
	s.log.WarnContext(ctx, "reply dropped", "reason", reason, "ref", ref)
	return ReplyResult{Outcome: ReplyDropped, Reason: reason}
}
