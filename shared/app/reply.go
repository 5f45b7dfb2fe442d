package app

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/replies/tag"
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
	// ReplyAutomatic: an automatic answer (out of office, a list, a
	// delivery report), noted on the timeline, never escalated.
	ReplyAutomatic = "automatic"
	// ReplyForeign: a reply from somebody other than the customer, kept
	// and shown to the team with its sender; it answers nothing.
	ReplyForeign = "other_sender"
	// ReplyDuplicate: the same stored message was delivered again.
	ReplyDuplicate = "duplicate"
	// ReplyUnsubscribed: the customer wrote to the List-Unsubscribe
	// header's mailto: address; they get no more follow-ups.
	ReplyUnsubscribed = "unsubscribed"
)

// Reply takes one email a customer sent to a reply address. ref says where
// the raw message is kept (an S3 key, an outbox file); envelope holds the
// recipients the mail system delivered to, when it knows them.
//
// Only a reply whose signed reply address verifies is attached: a forged or
// unknown address, a message the receiving mail system judged spoofed
// (DMARC failed), spam or infected, or an unreadable one, is dropped and
// logged, never attached. An automatic reply (out of office, bounces) is
// noted, never escalated. A reply from somebody other than the customer
// is kept and shown to the team with its sender, and answers nothing. A
// customer's reply that is only a number answers the survey it replies
// to; anything else goes on the timeline, stripped of quoted history, and
// escalates to the team, which also acknowledges it to the customer.
// Dropping is not an error: a retry would not change it.
func (s *Service) Reply(ctx context.Context, raw []byte, ref string, envelope ...string) (ReplyResult, error) {
	if s.cfg.ReplyAddresses == nil || s.cfg.ParseReply == nil {
		return s.drop(ctx, "", "replies are not configured (no reply address)"), nil
	}
	r, err := s.cfg.ParseReply(raw)
	if err != nil {
		return s.drop(ctx, ref, "unreadable message: "+err.Error()), nil
	}
	id, step, err := s.cfg.ReplyAddresses.Match(append(envelope, r.Recipients...)...)
	switch {
	case errors.Is(err, tag.ErrForged):
		return s.drop(ctx, ref, "forged reply address"), nil
	case err != nil:
		return s.drop(ctx, ref, "no reply address of ours"), nil
	}
	if r.Untrusted != "" {
		return s.drop(ctx, ref, "untrusted message: "+r.Untrusted), nil
	}
	if step == unsubscribeStep {
		return s.unsubscribeByMail(ctx, id, ref, r)
	}
	outcome, escalated := ReplyRecorded, false
	c, err := s.update(ctx, id, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		// Storage notifications arrive at least once: a message already
		// on the timeline is not filed (or escalated) twice.
		if cur.HasReply(ref) {
			outcome = ReplyDuplicate
			return store.ErrUnchanged
		}
		now := s.cfg.Clock.Now()
		outcome, escalated = ReplyRecorded, false
		if r.Automatic != "" {
			outcome = ReplyAutomatic
			cur.RecordAutoReply(step, "automatic reply: "+r.Automatic, ref, now)
			return nil
		}
		// Knowing the email answered, a copy of it in the reply is
		// history even where no marker says so.
		r := r
		if r.WithSent != nil {
			if sent := s.sentText(ctx, *cur, step, now); sent != "" {
				r = r.WithSent(sent)
			}
		}
		if !mail.SameAddress(r.From.Address, cur.Customer.Email) {
			// Anyone who learns a reply address can write to it. Their
			// words are kept, shown to the team as theirs, and never
			// taken for the customer's answer.
			outcome = ReplyForeign
			from := sender(r.From)
			cur.RecordReply(step, r.Text, ref, from, now)
			cur.Escalate(domain.Escalation{Cause: domain.CauseForeignReply, Step: step, Text: r.Text, From: from}, s.cfg.Policy.AlertInterval(), now)
			escalated = true
			return nil
		}
		if st, ok := cur.Steps[step]; ok && st.Survey != domain.SurveyNone {
			if score, ok := r.Score(st.Survey); ok {
				prev, answered := cur.Answers[step]
				if cur.RecordAnswer(step, st.Survey, score, now) == nil {
					outcome = ReplyAnswered
					cur.RecordReply(step, r.Text, ref, "", now)
					escalated = cur.Judge(step, prev, answered, s.cfg.Policy, now)
					return nil
				}
			}
		}
		cur.RecordReply(step, r.Text, ref, "", now)
		cur.Escalate(domain.Escalation{Cause: domain.CauseReply, Step: step, Text: r.Text}, s.cfg.Policy.AlertInterval(), now)
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
	s.afterChange(ctx, c, escalated)
	return ReplyResult{Outcome: outcome, IncidentID: id, Step: step}, nil
}

// unsubscribeByMail takes a message to the List-Unsubscribe header's
// mailto: address: the customer's own mailbox unsubscribes them; anyone
// else's message is dropped (it can unsubscribe nobody).
func (s *Service) unsubscribeByMail(ctx context.Context, id, ref string, r Inbound) (ReplyResult, error) {
	inc, err := s.cfg.Store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return s.drop(ctx, ref, "unknown incident"), nil
	}
	if err != nil {
		return ReplyResult{}, fmt.Errorf("unsubscribe by mail for %s: %w", id, err)
	}
	if !mail.SameAddress(r.From.Address, inc.Customer.Email) {
		return s.drop(ctx, ref, "unsubscribe request from another sender"), nil
	}
	if _, err := s.changeConsent(ctx, inc, (*domain.Contact).Unsubscribe, "an email to the unsubscribe address"); errors.Is(err, ErrNoContacts) {
		return s.drop(ctx, ref, "unsubscribe request, but no people's records are kept"), nil
	} else if err != nil {
		return ReplyResult{}, fmt.Errorf("unsubscribe by mail for %s: %w", id, err)
	}
	return ReplyResult{Outcome: ReplyUnsubscribed, IncidentID: id, Step: unsubscribeStep}, nil
}

// sender is how a reply's sender is shown to the team: name and address.
func sender(a netmail.Address) string {
	switch {
	case a.Address == "":
		return "(no sender)"
	case a.Name == "":
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

func (s *Service) drop(ctx context.Context, ref, reason string) ReplyResult {
	s.log.WarnContext(ctx, "reply dropped", "reason", reason, "ref", ref)
	return ReplyResult{Outcome: ReplyDropped, Reason: reason}
}

// Inbound is a received email as the Reply use case needs it. The parsing
// (MIME, charsets, quote and signature stripping, the receiving system's
// verdicts) happens at the edge, in shared/replies.
type Inbound struct {
	// Text is the sender's new words, stripped of quotes and signatures.
	Text string
	// From is the sender as the message claims it.
	From netmail.Address
	// Recipients are the message's candidates for our reply address.
	Recipients []string
	// Automatic says why no person wrote it ("" if one did).
	Automatic string
	// Untrusted says why the receiving mail system judged it spoofed, spam
	// or infected ("" if it did not).
	Untrusted string
	// Score reads a reply that is only a score for the given survey.
	Score func(domain.SurveyKind) (int, bool)
	// WithSent, if set, parses the message again knowing the text of the
	// email it answers as we sent it, so that a copy of that email in the
	// reply is taken for quoted history whatever marks it (or none).
	WithSent func(sent string) Inbound
}

// sentText renders again the text of the survey email a reply answers
// (key as in the reply address), for Inbound.WithSent; "" when the step
// is not one of the policy's emails or cannot be rendered. The rating
// links differ from the ones sent (they are signed anew); the words,
// which is what the comparison uses, are the same.
func (s *Service) sentText(ctx context.Context, inc domain.Incident, key string, now time.Time) string {
	id := strings.TrimSuffix(key, "-r")
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		id = id[:i]
	}
	steps := []domain.Step{s.cfg.Policy.RecoveryStep()}
	for _, rule := range s.cfg.Policy.Rules {
		steps = append(steps, rule.Steps...)
	}
	for _, st := range steps {
		if st.ID != id || st.Template == "" {
			continue
		}
		m, err := s.compose(ctx, inc, domain.PlannedStep{Key: key, Kind: domain.KindSurvey, Step: st, Answers: key}, now)
		if err != nil {
			return ""
		}
		return m.Text
	}
	return ""
}

// ReplyParser parses a raw email into an Inbound.
type ReplyParser func(raw []byte) (Inbound, error)
