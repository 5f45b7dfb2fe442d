package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store"
)

// ErrBadLink is returned for a tampered, expired or unknown rating link;
// the customer gets a friendly page and nothing is stored.
var ErrBadLink = errors.New("bad rating link")

// AnswerView is what the thank-you page shows after an answer.
type AnswerView struct {
	Claims links.Claims
	Locale string
	Answer domain.Answer
	// Answered is false before the score is recorded (a page that has
	// only been fetched, perhaps by a link scanner).
	Answered bool
	// Negative says the score is a low one: the page offers Reasons.
	Negative bool
	Reasons  []string
	// Choices are signed links to change the score, one per score.
	Choices []Choice
}

// Choice is one score the customer can switch to.
type Choice struct {
	Score   int
	URL     string
	Current bool
}

// Feedback is what the customer may add on the thank-you page.
type Feedback struct {
	// Comment, when not nil, replaces the answer's comment.
	Comment *string
	// Reasons, when not nil, are the ticked reason codes.
	Reasons []string
}

// Answer records the score a rating link stands for, with any feedback.
// Clicking another score's link later replaces it; the link's expiry
// bounds how long. A negative answer escalates at once: the team alert
// and the customer's acknowledgement are dispatched before Answer returns
// (their schedules retry them if that fails). An answer to a recovery
// survey closes the attention episode or reopens the question.
func (s *Service) Answer(ctx context.Context, token string, fb Feedback) (AnswerView, error) {
	escalated := false
	c, ch, err := s.answerTo(ctx, token, func(cur *domain.Incident, c links.Claims) error {
		now := s.cfg.Clock.Now()
		prev, answered := cur.Answers[c.Step]
		if err := cur.RecordAnswer(c.Step, c.Survey, c.Score, now); err != nil {
			return err
		}
		if fb.Reasons != nil {
			if err := cur.RecordReasons(c.Step, fb.Reasons, s.cfg.Policy.ReasonCodes(), now); err != nil {
				return err
			}
		}
		if fb.Comment != nil {
			if err := cur.RecordComment(c.Step, *fb.Comment, now); err != nil {
				return err
			}
		}
		if a := cur.Answers[c.Step]; answered && a.Score == prev.Score && a.Comment == prev.Comment && slices.Equal(a.Reasons, prev.Reasons) {
			// The same answer again (a page reloaded, a form posted
			// twice) changes nothing and is not written.
			return store.ErrUnchanged
		}
		escalated = cur.Judge(c.Step, prev, answered, s.cfg.Policy, now)
		return nil
	})
	if err != nil {
		return AnswerView{}, err
	}
	s.log.InfoContext(ctx, "answer recorded", "incident", ch.inc.ID, "step", c.Step, "survey", c.Survey, "score", c.Score, "escalated", escalated)
	s.afterChange(ctx, ch, escalated)
	return s.view(ch.inc, c), nil
}

// afterChange reconciles an incident after an answer or a reply (a
// reminder may no longer be wanted, alerts may be) and, after an
// escalation, dispatches what is due now so the team hears at once; a
// folded follow-up alert is due later and waits for its schedule.
func (s *Service) afterChange(ctx context.Context, c change, urgent bool) {
	inc := c.inc
	if err := s.settle(ctx, c); err != nil {
		s.log.ErrorContext(ctx, "reconcile after an answer failed; the next change retries it", "incident", inc.ID, "error", err)
	}
	if !urgent || !s.canSend {
		// A composition that sends nothing (the replies function) leaves
		// urgent steps to their schedules, which fire within a minute.
		return
	}
	now := s.cfg.Clock.Now()
	for _, p := range domain.Plan(inc, s.cfg.Policy, now) {
		if p.Kind != domain.KindAlert && p.Kind != domain.KindHook && p.Kind != domain.KindAck || p.Due.After(now) {
			continue
		}
		if _, inFlight := inc.Steps[p.Key]; inFlight {
			continue // being sent or awaiting its retry: its schedule has it
		}
		f := schedule.Fire{IncidentID: inc.ID, Step: p.Key, Schedule: domain.ScheduleName(inc.ID, p.Key, p.Due)}
		if _, err := s.Dispatch(ctx, f); err != nil {
			s.log.ErrorContext(ctx, "immediate dispatch failed; its schedule retries it", "incident", inc.ID, "step", p.Key, "error", err)
		}
	}
}

// Peek verifies a rating link and shows its state without recording
// anything: link scanners fetch links and must not answer surveys.
func (s *Service) Peek(ctx context.Context, token string) (AnswerView, error) {
	c, err := s.verify(token)
	if err != nil {
		return AnswerView{}, err
	}
	inc, err := s.cfg.Store.Get(ctx, c.Incident)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return AnswerView{}, fmt.Errorf("%w: %w", ErrBadLink, err)
		}
		return AnswerView{}, err
	}
	return s.view(inc, c), nil
}

// TeamView verifies a team timeline link and returns the incident.
func (s *Service) TeamView(ctx context.Context, token string) (domain.Incident, error) {
	c, err := s.cfg.Links.Verify(token, s.cfg.Clock.Now())
	if err != nil {
		return domain.Incident{}, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	if c.Step != teamStep {
		return domain.Incident{}, fmt.Errorf("%w: not a team link", ErrBadLink)
	}
	inc, err := s.cfg.Store.Get(ctx, c.Incident)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Incident{}, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	return inc, err
}

func (s *Service) verify(token string) (links.Claims, error) {
	c, err := s.cfg.Links.Verify(token, s.cfg.Clock.Now())
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	if c.Step == teamStep || c.Step == unsubscribeStep || strings.HasPrefix(c.Step, reviewLinkPrefix) {
		return c, fmt.Errorf("%w: a %s link answers nothing", ErrBadLink, c.Step)
	}
	return c, nil
}

func (s *Service) answerTo(ctx context.Context, token string, fn func(*domain.Incident, links.Claims) error) (links.Claims, change, error) {
	c, err := s.verify(token)
	if err != nil {
		return c, change{}, err
	}
	ch, err := s.update(ctx, c.Incident, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		return fn(cur, c)
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, domain.ErrNotAnswerable), errors.Is(err, domain.ErrBadScore):
		return c, ch, fmt.Errorf("%w: %w", ErrBadLink, err)
	case err != nil:
		return c, ch, fmt.Errorf("answer %s: %w", c.Incident, err)
	}
	return c, ch, nil
}

func (s *Service) view(inc domain.Incident, c links.Claims) AnswerView {
	a, answered := inc.Answers[c.Step]
	v := AnswerView{
		Claims: c, Locale: inc.Customer.Locale, Answer: a, Answered: answered,
		Negative: s.cfg.Policy.IsNegative(c.Survey, c.Score), Reasons: s.cfg.Policy.ReasonCodes(),
	}
	for _, score := range c.Survey.Scores() {
		cc := c
		cc.Score = score
		v.Choices = append(v.Choices, Choice{Score: score, URL: s.RatingURL(cc), Current: score == c.Score})
	}
	return v
}
