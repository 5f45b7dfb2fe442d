package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store"
)

// IngestResult tells the sender what became of its event.
type IngestResult struct {
	IncidentID string         `json:"incident_id"`
	Outcome    domain.Outcome `json:"outcome"`
}

// Ingest applies one event to its incident and reconciles the incident's
// schedules. A repeated event changes nothing but is reconciled again: if a
// previous attempt died between storing and scheduling, the sender's retry
// finishes the job.
func (s *Service) Ingest(ctx context.Context, e domain.Event) (IngestResult, error) {
	e = e.Clean()
	if err := e.ValidateAt(s.cfg.Clock.Now()); err != nil {
		return IngestResult{}, err
	}
	id := domain.IncidentID(e.Provider, e.Ref)
	var outcome domain.Outcome
	inc, err := s.cfg.Store.Update(ctx, id, func(inc *domain.Incident) error {
		o, err := inc.Apply(e, s.cfg.Clock.Now())
		if err != nil {
			return err
		}
		outcome = o
		if o == domain.Duplicate {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "event ingested", "incident", id, "provider", e.Provider,
		"type", e.Type, "event_id", e.ID, "outcome", outcome)
	s.crash(CrashAfterStore)
	if err := s.Reconcile(ctx, inc); err != nil {
		return IngestResult{IncidentID: id, Outcome: outcome}, err
	}
	return IngestResult{IncidentID: id, Outcome: outcome}, nil
}

// ReconcileID reloads an incident and reconciles it; the stream planner
// on AWS calls it for every changed incident.
func (s *Service) ReconcileID(ctx context.Context, id string) error {
	inc, err := s.cfg.Store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reconcile %s: %w", id, err)
	}
	return s.Reconcile(ctx, inc)
}

// Reconcile makes the scheduled wake-up calls match the plan: it creates the
// missing ones and deletes the obsolete ones, then records what it did.
// Both scheduler calls are idempotent, so running it twice is harmless.
func (s *Service) Reconcile(ctx context.Context, inc domain.Incident) error {
	now := s.cfg.Clock.Now()
	want := map[string]schedule.Schedule{}
	for _, p := range domain.Plan(inc, s.cfg.Policy, now) {
		sc := s.scheduleFor(inc, p.Key, p.Due, now)
		want[sc.Name] = sc
	}
	var created []schedule.Schedule
	var deleted []string
	for name, sc := range want {
		if _, ok := inc.Scheduled[name]; ok {
			continue
		}
		if err := s.cfg.Scheduler.Create(ctx, sc); err != nil {
			return fmt.Errorf("reconcile %s: create schedule %s: %w", inc.ID, name, err)
		}
		created = append(created, sc)
	}
	for name := range inc.Scheduled {
		if _, ok := want[name]; ok {
			continue
		}
		if err := s.cfg.Scheduler.Delete(ctx, name); err != nil {
			return fmt.Errorf("reconcile %s: delete schedule %s: %w", inc.ID, name, err)
		}
		deleted = append(deleted, name)
	}
	if len(created) == 0 && len(deleted) == 0 {
		return nil
	}
	_, err := s.cfg.Store.Update(ctx, inc.ID, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		changed := false
		for _, sc := range created {
			if _, ok := cur.Scheduled[sc.Name]; ok {
				continue
			}
			cur.RememberSchedule(sc.Name, sc.Step, sc.Due)
			cur.Record(now, domain.EntryScheduled, sc.Step, "due "+sc.Due.Format(time.RFC3339))
			changed = true
		}
		for _, name := range deleted {
			sc, ok := cur.Scheduled[name]
			if !ok {
				continue
			}
			delete(cur.Scheduled, name)
			cur.Record(now, domain.EntryUnscheduled, sc.Key, "no longer wanted")
			changed = true
		}
		if !changed {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reconcile %s: record schedules: %w", inc.ID, err)
	}
	for _, sc := range created {
		s.log.InfoContext(ctx, "step scheduled", "incident", inc.ID, "step", sc.Step, "due", sc.Due)
	}
	for _, name := range deleted {
		s.log.InfoContext(ctx, "schedule deleted", "incident", inc.ID, "schedule", name)
	}
	return nil
}
