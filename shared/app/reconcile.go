package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store"
)

// A schedule's name derives from its incident, step and due time, and
// creating or deleting one is idempotent, so what is scheduled follows from
// the plan alone: no record of it is kept on the incident, and no write
// is spent on one. A write that changes the plan is followed by the
// schedules it adds and removes (settle); on AWS the table's stream, with
// the item's images before and after the write, creates the ones it adds
// (ReconcileChange), and only for writes that add one (Incident.Replan),
// so a write is never lost between storing and scheduling and the planner
// never runs for nothing.

// change is what one write did to the plan: the wake-up calls it wanted
// before and after.
type change struct {
	inc           domain.Incident
	before, after map[string]schedule.Schedule
}

// update runs fn on the incident in one store write and notes how the
// write changed the plan, flagging it for the stream planner when it adds
// a wake-up call that handled (created by the caller before the write)
// does not cover.
func (s *Service) update(ctx context.Context, id string, fn func(*domain.Incident) error, handled ...string) (change, error) {
	return s.updateFrom(ctx, domain.Incident{ID: id}, fn, handled...)
}

// updateFrom is update starting from an incident just read (see
// store.Store.UpdateFrom), which saves a read when nobody wrote since.
func (s *Service) updateFrom(ctx context.Context, from domain.Incident, fn func(*domain.Incident) error, handled ...string) (change, error) {
	now := s.cfg.Clock.Now()
	var c change
	inc, err := s.cfg.Store.UpdateFrom(ctx, from, func(cur *domain.Incident) error {
		c.before, c.after = s.wanted(*cur, now), nil
		if err := fn(cur); err != nil {
			return err
		}
		c.after = s.wanted(*cur, now)
		cur.Replan = false
		for name := range c.after {
			if _, ok := c.before[name]; !ok && !slices.Contains(handled, name) {
				cur.Replan = true
			}
		}
		return nil
	})
	if c.after == nil { // unchanged
		c.after = c.before
	}
	c.inc = inc
	return c, err
}

// wanted is the wake-up calls the plan wants for inc, by name.
func (s *Service) wanted(inc domain.Incident, now time.Time) map[string]schedule.Schedule {
	if inc.ID == "" {
		return map[string]schedule.Schedule{}
	}
	plan := domain.Plan(inc, s.cfg.Policy, now)
	out := make(map[string]schedule.Schedule, len(plan))
	for _, p := range plan {
		sc := s.scheduleFor(inc, p.Key, p.Due, now)
		out[sc.Name] = sc
	}
	return out
}

// settle makes the scheduler follow a write: it deletes the wake-up calls
// the write made obsolete and, unless a stream planner creates them (AWS),
// the ones it added. A deletion that fails is logged and left: the call
// fires, finds its step unwanted and is skipped.
func (s *Service) settle(ctx context.Context, c change) error {
	s.prune(ctx, c)
	if s.cfg.StreamPlanner {
		return nil
	}
	return s.create(ctx, c.inc.ID, c.before, c.after)
}

// prune deletes the wake-up calls a write made obsolete.
func (s *Service) prune(ctx context.Context, c change) {
	for _, name := range slices.Sorted(maps.Keys(c.before)) {
		if _, ok := c.after[name]; ok {
			continue
		}
		if err := s.cfg.Scheduler.Delete(ctx, name); err != nil {
			s.log.WarnContext(ctx, "could not delete an obsolete wake-up call; it will fire and be skipped", "incident", c.inc.ID, "schedule", name, "error", err)
			continue
		}
		s.log.InfoContext(ctx, "schedule deleted", "incident", c.inc.ID, "schedule", name)
	}
}

// create creates the wake-up calls in after that are not in before.
func (s *Service) create(ctx context.Context, id string, before, after map[string]schedule.Schedule) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[name]; ok {
			continue
		}
		sc := after[name]
		if err := s.cfg.Scheduler.Create(ctx, sc); err != nil {
			errs = append(errs, fmt.Errorf("create schedule %s: %w", name, err))
			continue
		}
		s.log.InfoContext(ctx, "step scheduled", "incident", id, "step", sc.Step, "due", sc.Due)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reconcile %s: %w", id, err)
	}
	return nil
}

// ReconcileChange is the stream planner's use case: given an incident's
// images before and after one write, it creates the wake-up calls the
// write added and deletes those it removed. It reads nothing: the stream
// carries both images. Creating and deleting are idempotent, so a batch
// the stream delivers again is harmless.
func (s *Service) ReconcileChange(ctx context.Context, before, after domain.Incident) error {
	now := s.cfg.Clock.Now()
	b, a := s.wanted(before, now), s.wanted(after, now)
	for _, name := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[name]; ok {
			continue
		}
		if err := s.cfg.Scheduler.Delete(ctx, name); err != nil {
			return fmt.Errorf("reconcile %s: delete schedule %s: %w", after.ID, name, err)
		}
	}
	return s.create(ctx, after.ID, b, a)
}

// ReconcileID reloads an incident and creates every wake-up call its plan
// wants (see Reconcile).
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

// Reconcile creates every wake-up call the incident's plan wants, whether
// or not it exists (creating is idempotent). It is the repair for a write
// whose scheduling died with its process: the local runtime runs it at
// start on recent incidents, and dispatch runs it when a fire turns out
// not to be wanted. It deletes nothing: an obsolete call it cannot know
// of fires once and is skipped.
func (s *Service) Reconcile(ctx context.Context, inc domain.Incident) error {
	return s.create(ctx, inc.ID, nil, s.wanted(inc, s.cfg.Clock.Now()))
}
