// Package schedule defines the wake-up call port. A schedule is not a
// decision: when it fires, dispatch re-plans and sends only if the step is
// still wanted. Adapters: local (persistent in-process timer) and
// eventbridge (EventBridge Scheduler one-time schedules).
package schedule

import (
	"context"
	"errors"
	"time"
)

// Schedule is one wake-up call for one follow-up step.
type Schedule struct {
	// Name is domain.ScheduleName(incident, step, due): deterministic.
	Name       string `json:"name"`
	IncidentID string `json:"incident_id"`
	Step       string `json:"step"`
	// Due is the planned time; At is when to fire, which is Due unless Due
	// has already passed (then a moment from now).
	Due time.Time `json:"due"`
	At  time.Time `json:"at"`
	// TimeZone is the customer's IANA zone, for display and for
	// EventBridge's ScheduleExpressionTimezone.
	TimeZone string `json:"time_zone,omitempty"`
}

// Fire is the input a schedule delivers to dispatch when it fires: small,
// because dispatch reloads everything else.
type Fire struct {
	IncidentID string `json:"incident_id"`
	Step       string `json:"step"`
	Schedule   string `json:"schedule"`
}

// Fire returns the input this schedule delivers.
func (s Schedule) Fire() Fire { return Fire{IncidentID: s.IncidentID, Step: s.Step, Schedule: s.Name} }

// Scheduler creates and deletes wake-up calls. Both are idempotent: creating
// an existing name and deleting a missing one succeed.
type Scheduler interface {
	Create(ctx context.Context, s Schedule) error
	Delete(ctx context.Context, name string) error
}

// Target is what a fired schedule calls: the dispatch use case.
type Target func(ctx context.Context, f Fire) error

// None is the scheduler of a composition that plans nothing (the feedback
// function records bounces and complaints, which change no plan). Every
// call fails, naming why, and its role may not touch the scheduler.
type None struct{}

var errNone = errors.New("schedule: this composition schedules nothing")

// Create fails: there is no scheduler.
func (None) Create(context.Context, Schedule) error { return errNone }

// Delete fails: there is no scheduler.
func (None) Delete(context.Context, string) error { return errNone }
