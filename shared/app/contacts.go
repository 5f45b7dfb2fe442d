package app

import (
	"context"
	"errors"
	"fmt"

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
	if s.cfg.ContactKey == nil || step.Kind != domain.KindSurvey || step.Step.Survey == domain.SurveyNone || inc.Customer.Email == "" {
		return nil
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	now := s.cfg.Clock.Now()
	_, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Key = key
		c.Saw(inc, now)
		if reason, ok := c.Mailable(); !ok {
			return &notMailable{reason}
		}
		return c.ClaimSurvey(inc.ID, step.Key, s.cfg.Policy.Cooldown(), now)
	})
	var nm *notMailable
	if err != nil && !errors.Is(err, domain.ErrThrottled) && !errors.As(err, &nm) {
		return fmt.Errorf("claim the survey budget for %s: %w", inc.ID, err)
	}
	return err
}

// notMailable is the person's consent refusing a follow-up.
type notMailable struct{ reason string }

func (e *notMailable) Error() string { return e.reason }
