package lambdah

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/schedule"
)

// Dispatcher is the use case the dispatch function runs (Service.Dispatch).
// It is a function, not an interface: turning *app.Service into an
// interface value would make the linker keep every exported method of it
// (the renderer's templates use reflection), and with them code the
// function never runs, such as reply parsing.
type Dispatcher func(ctx context.Context, f schedule.Fire) (app.DispatchResult, error)

// DispatchFunc is the dispatch function's Lambda handler.
type DispatchFunc func(ctx context.Context, f schedule.Fire) (app.DispatchResult, error)

// ErrBadFire is returned for a scheduler input that is not a schedule.Fire.
// It is returned rather than swallowed so the event ends up in the
// function's on-failure queue, where an operator sees it.
var ErrBadFire = errors.New("dispatch input lacks incident_id or step")

// DispatchHandler runs a fired schedule. EventBridge Scheduler invokes the
// function asynchronously with the schedule.Fire JSON as input. An error
// comes back only for failures a retry can fix (Dispatch records permanent
// ones and returns nil), so Lambda's asynchronous retries and then the
// on-failure queue in template.yaml take over; the claim on the step keeps
// a retried event from sending twice.
func DispatchHandler(d Dispatcher) DispatchFunc {
	return func(ctx context.Context, f schedule.Fire) (app.DispatchResult, error) {
		if f.IncidentID == "" || f.Step == "" {
			return app.DispatchResult{}, fmt.Errorf("%w: %+v", ErrBadFire, f)
		}
		return d(ctx, f)
	}
}
