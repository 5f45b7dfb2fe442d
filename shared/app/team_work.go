package app

// team_work.go is complaint handling from the dashboard: take an
// incident, note, record the solution, mark it handled, write to the
// customer. Each is one store write that puts who did it on the timeline.

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/store"
)

// Team actions, as the dashboard's forms name them.
const (
	ActTake     = "take"
	ActNote     = "note"
	ActSolution = "solution"
	ActHandled  = "handled"
	ActMessage  = "message"
)

// ErrBadAction is returned for an action the dashboard does not offer or
// a form missing what it needs.
var ErrBadAction = errors.New("bad team action")

// maxTeamMessage bounds what a team member writes to a customer.
const maxTeamMessage = 5000

// TeamAct records one team action on an incident. A message is sent to
// the customer (see WriteToCustomer); the others are timeline writes.
func (s *Service) TeamAct(ctx context.Context, sess Session, id, action, text string) (domain.Incident, error) {
	if action == ActMessage {
		return s.WriteToCustomer(ctx, sess, id, text)
	}
	c, err := s.update(ctx, id, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		now := s.cfg.Clock.Now()
		switch action {
		case ActTake:
			if !cur.Take(sess.Member, now) {
				return store.ErrUnchanged
			}
		case ActNote, ActSolution:
			kind := domain.EntryNote
			if action == ActSolution {
				kind = domain.EntrySolution
			}
			if err := cur.Note(kind, sess.Member, text, now); err != nil {
				return fmt.Errorf("%w: %w", ErrBadAction, err)
			}
		case ActHandled:
			changed, err := cur.Handle(sess.Member, now)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrBadAction, err)
			}
			if !changed {
				return store.ErrUnchanged
			}
		default:
			return fmt.Errorf("%w: %q", ErrBadAction, action)
		}
		return nil
	})
	if err != nil {
		return domain.Incident{}, fmt.Errorf("team %s on %s: %w", action, id, err)
	}
	s.log.InfoContext(ctx, "team action", "incident", id, "action", action, "member", memberRef(sess.Member))
	// Handled lets the recovery survey go: schedule it.
	s.afterChange(ctx, c, false)
	return c.inc, nil
}

// WriteToCustomer sends the customer a branded email from the team, in
// their language, whose reply address brings their answer back to the
// incident. The message is claimed on the incident before it is sent and
// marked sent after, so the timeline says what went out; a failure to
// send is recorded and returned.
func (s *Service) WriteToCustomer(ctx context.Context, sess Session, id, text string) (domain.Incident, error) {
	text = strings.TrimSpace(domain.CleanText(text))
	if text == "" {
		return domain.Incident{}, fmt.Errorf("%w: the message is empty", ErrBadAction)
	}
	if len(text) > maxTeamMessage {
		return domain.Incident{}, fmt.Errorf("%w: the message is longer than %d bytes", ErrBadAction, maxTeamMessage)
	}
	inc, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("team message on %s: %w", id, err)
	}
	if inc.Customer.Email == "" {
		return domain.Incident{}, fmt.Errorf("%w: the incident has no customer address", ErrBadAction)
	}
	if s.cfg.ContactKey != nil {
		if c, err := s.cfg.Store.GetContact(ctx, domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)); err == nil && c.Consent.State == domain.ConsentSuppressed {
			// Their address bounced or they complained: more mail hurts
			// the sender's reputation and reaches nobody.
			return domain.Incident{}, fmt.Errorf("%w: the customer's address is suppressed (%s)", ErrBadAction, c.Consent.Reason)
		}
	}
	now := s.cfg.Clock.Now()
	var key string
	claimed, err := s.cfg.Store.UpdateFrom(ctx, inc, func(cur *domain.Incident) error {
		key = cur.NextTeamMessage()
		if cur.Steps == nil {
			cur.Steps = map[string]domain.StepState{}
		}
		cur.Steps[key] = domain.StepState{Status: domain.StepSending, ClaimedAt: now, Attempts: 1}
		cur.RecordTeamMessage(sess.Member, text, key, now)
		return nil
	})
	if err != nil {
		return domain.Incident{}, fmt.Errorf("team message on %s: %w", id, err)
	}
	msg, err := s.teamMessage(ctx, claimed, key, text)
	var messageID string
	if err == nil {
		messageID, err = s.cfg.Mailer.Send(ctx, msg)
	}
	after, uerr := s.cfg.Store.UpdateFrom(ctx, claimed, func(cur *domain.Incident) error {
		if err != nil {
			cur.MarkFailed(key, err, true, s.cfg.Clock.Now())
		} else {
			cur.MarkSent(key, messageID, s.cfg.Clock.Now())
		}
		return nil
	})
	if err != nil {
		return domain.Incident{}, fmt.Errorf("team message on %s: not sent: %w", id, err)
	}
	if uerr != nil {
		return domain.Incident{}, fmt.Errorf("team message on %s: sent, not recorded: %w", id, uerr)
	}
	s.log.InfoContext(ctx, "team message sent", "incident", id, "step", key, "member", memberRef(sess.Member))
	return after, nil
}

// teamMessage renders a team member's words as a branded email.
func (s *Service) teamMessage(ctx context.Context, inc domain.Incident, key, text string) (mail.Message, error) {
	out, err := s.cfg.Renderer.Render(ctx, draft.Request{
		Template: "team_message", Locale: inc.Customer.Locale, CustomerName: inc.Customer.Name,
		Title: inc.Title, TimeZone: inc.Customer.TimeZone, Message: text,
	})
	if err != nil {
		return mail.Message{}, renderFailed("team_message", err)
	}
	return mail.Message{
		From:      s.cfg.From,
		To:        netmail.Address{Name: inc.Customer.Name, Address: inc.Customer.Email},
		ReplyTo:   s.replyTo(inc.ID, key),
		Subject:   out.Subject,
		HTML:      out.HTML,
		Text:      out.Text,
		MessageID: fmt.Sprintf("<%s.%s@%s>", key, inc.ID, domainOf(s.cfg.From.Address)),
		Date:      s.cfg.Clock.Now(),
		Tags:      map[string]string{"incident": inc.ID, "step": key},
	}, nil
}
