package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
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
	// Choices are signed links to change the score, one per score.
	Choices []Choice
}

// Choice is one score the customer can switch to.
type Choice struct {
	Score   int
	URL     string
	Current bool
}

// Answer records the score a rating link stands for. Clicking another
// score's link later replaces it; the link's expiry bounds how long.
func (s *Service) Answer(ctx context.Context, token string) (AnswerView, error) {
	c, inc, err := s.answerTo(ctx, token, func(cur *domain.Incident, c links.Claims) error {
		return cur.RecordAnswer(c.Step, c.Survey, c.Score, s.cfg.Clock.Now())
	})
	if err != nil {
		return AnswerView{}, err
	}
	s.log.InfoContext(ctx, "answer recorded", "incident", inc.ID, "step", c.Step, "survey", c.Survey, "score", c.Score)
	return s.view(inc, c), nil
}

// Peek verifies a rating link and shows its state without recording
// anything: link scanners send HEAD requests and must not answer surveys.
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

// Comment stores the customer's comment on the answer the link recorded.
func (s *Service) Comment(ctx context.Context, token, comment string) (AnswerView, error) {
	c, inc, err := s.answerTo(ctx, token, func(cur *domain.Incident, c links.Claims) error {
		now := s.cfg.Clock.Now()
		if _, ok := cur.Answers[c.Step]; !ok {
			// The comment form is only shown after a click, but keep the
			// score the link stands for if the answer was not recorded.
			if err := cur.RecordAnswer(c.Step, c.Survey, c.Score, now); err != nil {
				return err
			}
		}
		return cur.RecordComment(c.Step, comment, now)
	})
	if err != nil {
		return AnswerView{}, err
	}
	s.log.InfoContext(ctx, "comment recorded", "incident", inc.ID, "step", c.Step, "chars", len(comment))
	return s.view(inc, c), nil
}

func (s *Service) verify(token string) (links.Claims, error) {
	c, err := s.cfg.Links.Verify(token, s.cfg.Clock.Now())
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	return c, nil
}

func (s *Service) answerTo(ctx context.Context, token string, fn func(*domain.Incident, links.Claims) error) (links.Claims, domain.Incident, error) {
	c, err := s.verify(token)
	if err != nil {
		return c, domain.Incident{}, err
	}
	inc, err := s.cfg.Store.Update(ctx, c.Incident, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		return fn(cur, c)
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, domain.ErrNotAnswerable), errors.Is(err, domain.ErrBadScore):
		return c, inc, fmt.Errorf("%w: %w", ErrBadLink, err)
	case err != nil:
		return c, inc, fmt.Errorf("answer %s: %w", c.Incident, err)
	}
	return c, inc, nil
}

func (s *Service) view(inc domain.Incident, c links.Claims) AnswerView {
	v := AnswerView{Claims: c, Locale: inc.Customer.Locale, Answer: inc.Answers[c.Step]}
	for _, score := range c.Survey.Scores() {
		cc := c
		cc.Score = score
		v.Choices = append(v.Choices, Choice{Score: score, URL: s.RatingURL(cc), Current: score == v.Answer.Score})
	}
	return v
}
