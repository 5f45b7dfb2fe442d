package app

import (
	"context"
	"fmt"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// sawContact folds an incident into its person's record.
func (s *Service) sawContact(ctx context.Context, inc domain.Incident) error {
	if s.cfg.ContactKey == nil || inc.Customer.Email == "" {
		return nil
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	_, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Key = key
		if !c.Saw(inc, s.cfg.Clock.Now()) {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("contact of %s: %w", inc.ID, err)
	}
	return nil
}

// claimSurvey spends the person's survey budget on a survey step, with a
// conditional write on their record, so that two incidents of the same
// person dispatched at once send one survey. It returns domain.ErrThrottled
// (with the reason) when the budget is used, and a *notMailable when the
// person unsubscribed or was suppressed. Steps without a survey,
// reminders and recovery surveys (which belong to the survey they follow)
// and a composition without a contact key claim nothing.
func (s *Service) claimSurvey(ctx context.Context, inc domain.Incident, step domain.PlannedStep) error {
	if !s.claimsSurvey(step) {
		return nil
	}
	cooldown := s.cfg.Policy.Cooldown()
	return s.claimBudget(ctx, inc, step, func(c *domain.Contact, now time.Time) error {
		return c.ClaimSurvey(inc.ID, step.Key, cooldown, now)
	})
}

// claimMessage spends the person's message budget on a personal note
// (KindNote), as claimSurvey does the survey budget.
func (s *Service) claimMessage(ctx context.Context, inc domain.Incident, step domain.PlannedStep) error {
	cooldown := s.cfg.Policy.MessageBudget()
	return s.claimBudget(ctx, inc, step, func(c *domain.Contact, now time.Time) error {
		return c.ClaimMessage(inc.ID, step.Key, cooldown, now)
	})
}

// claimBudget is one conditional write on the person's record: their
// consent, then claim, noting the email as the last one sent.
func (s *Service) claimBudget(ctx context.Context, inc domain.Incident, step domain.PlannedStep, claim func(*domain.Contact, time.Time) error) error {
	if s.cfg.ContactKey == nil || inc.Customer.Email == "" {
		return nil
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	now := s.cfg.Clock.Now()
	// refused is why the survey may not go; what the record learnt about
	// the incident (a completed booking) is kept all the same.
	var refused error
	_, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		refused = nil
		c.Key = key
		learnt := c.Saw(inc, now)
		if reason, ok := c.Mailable(); !ok {
			refused = &notMailable{reason}
		} else if err := claim(c, now); err != nil {
			refused = err
		} else {
			// The survey goes now: noted in the same write.
			c.LastSent = &domain.SurveyClaim{At: now, Incident: inc.ID, Step: step.Key}
			return nil
		}
		if learnt {
			return nil
		}
		return store.ErrUnchanged
	})
	if err != nil {
		return fmt.Errorf("claim the budget of %s for %s: %w", step.Key, inc.ID, err)
	}
	return refused
}

// notMailable is the person's consent refusing a follow-up.
type notMailable struct{ reason string }

func (e *notMailable) Error() string { return e.reason }

// noteSent records on the person's record the email that just went to them
// (a survey's claim records it already). A failure is logged, not
// returned: the email went.
func (s *Service) noteSent(ctx context.Context, inc domain.Incident, step domain.PlannedStep, now time.Time) {
	if s.cfg.ContactKey == nil || inc.Customer.Email == "" || step.Kind.Audience() != "customer" || s.claimsBudget(step) {
		return
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	if _, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Key = key
		c.Saw(inc, now)
		c.LastSent = &domain.SurveyClaim{At: now, Incident: inc.ID, Step: step.Key}
		return nil
	}); err != nil {
		s.log.WarnContext(ctx, "email sent but not noted on the person's record", "incident", inc.ID, "step", step.Key, "error", err)
	}
}

// claimsSurvey says whether a step spends the survey budget (claimSurvey).
func (s *Service) claimsSurvey(step domain.PlannedStep) bool {
	return step.Kind == domain.KindSurvey && step.Step.Survey != domain.SurveyNone
}

// claimsBudget says whether a step's claim already notes it as sent.
func (s *Service) claimsBudget(step domain.PlannedStep) bool {
	return s.claimsSurvey(step) || step.Kind == domain.KindNote
}
