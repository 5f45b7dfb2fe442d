package app

import (
	"context"
	"fmt"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// IngestResult tells the sender what became of its event.
type IngestResult struct {
	IncidentID string         `json:"incident_id"`
	Outcome    domain.Outcome `json:"outcome"`
}

// Ingest applies one event to its incident and makes the schedules follow
// (see settle). A repeated event changes nothing; locally it is reconciled
// again, so that if a previous attempt died between storing and
// scheduling, the sender's retry finishes the job (on AWS the table's
// stream does).
func (s *Service) Ingest(ctx context.Context, e domain.Event) (IngestResult, error) {
	e = e.Clean()
	if err := e.ValidateAt(s.cfg.Clock.Now()); err != nil {
		return IngestResult{}, err
	}
	id := domain.IncidentID(e.Provider, e.Ref)
	var outcome domain.Outcome
	customerChanged := false
	c, err := s.update(ctx, id, func(inc *domain.Incident) error {
		before := inc.Customer
		o, err := inc.Apply(e, s.cfg.Clock.Now())
		customerChanged = o == domain.Applied && (inc.Version == 0 || inc.Customer != before)
		if err != nil {
			return err
		}
		outcome = o
		if o == domain.Applied {
			// A completion's review decision, in the same write (review.go).
			inc.DecideReview(s.cfg.Policy, s.cfg.Clock.Now())
		}
		if o == domain.Duplicate {
			return store.ErrUnchanged
		}
		if o == domain.Applied {
			inc.NoteMissedBeforeStart(s.cfg.Policy, s.cfg.Clock.Now())
		}
		return nil
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "event ingested", "incident", id, "provider", e.Provider,
		"type", e.Type, "event_id", e.ID, "outcome", outcome)
	s.crash(CrashAfterStore)
	res := IngestResult{IncidentID: id, Outcome: outcome}
	if customerChanged {
		// Who the incident is for, on the person's record. If this fails
		// (or the process dies first), the person's first survey records
		// it: dispatch folds the incident in when it claims the budget.
		if err := s.sawContact(ctx, c.inc); err != nil {
			s.log.WarnContext(ctx, "could not record the contact; the next survey does", "incident", id, "error", err)
		}
	}
	if e.OfferCode != "" && outcome != domain.Stale {
		// The booking carried an offer code: redeemed once, on the
		// person's record and this booking's timeline. A redelivery finds
		// it redeemed by this booking and changes nothing.
		if err := s.redeemOffer(ctx, c.inc, e.OfferCode); err != nil {
			return IngestResult{}, fmt.Errorf("ingest %s: %w", id, err)
		}
	}
	if outcome == domain.Duplicate && !s.cfg.StreamPlanner {
		// A sender's retry: if the first attempt died between storing and
		// scheduling, this finishes the job (on AWS the stream does).
		return res, s.Reconcile(ctx, c.inc)
	}
	return res, s.settle(ctx, c)
}
