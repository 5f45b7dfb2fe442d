package lambdah

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/mail/render/remote"
	"github.com/aftercare/aftercare/shared/schedule"
)

// Dispatcher is the use case the dispatch function runs (Service.Dispatch).
// It is a function, not an interface: turning *app.Service into an
// interface value would make the linker keep every exported method of it
// (the renderer's templates use reflection), and with them code the
// function never runs, such as reply parsing.
type Dispatcher func(ctx context.Context, f schedule.Fire) (app.DispatchResult, error)

// DispatchInput is what the dispatch function is invoked with: a fired
// schedule (EventBridge Scheduler, asynchronously, the schedule.Fire JSON)
// or a remote render (the respond function, synchronously: {"render":
// {…}}), which dispatch serves because it is the function that links the
// renderer.
type DispatchInput struct {
	schedule.Fire
	remote.Call
}

// DispatchOutput is the dispatch function's answer: a fired schedule's
// outcome, or a remote render's answer.
type DispatchOutput struct {
	app.DispatchResult
	*remote.Answer
}

// RenderFunc renders an email (the local renderer's Render).
type RenderFunc func(ctx context.Context, req draft.Request) (draft.Rendered, error)

// DispatchFunc is the dispatch function's Lambda handler.
type DispatchFunc func(ctx context.Context, in DispatchInput) (DispatchOutput, error)

// ErrBadFire is returned for a scheduler input that is not a schedule.Fire.
// It is returned rather than swallowed so the event ends up in the
// function's on-failure queue, where an operator sees it.
var ErrBadFire = errors.New("dispatch input lacks incident_id or step")

// DispatchHandler runs a fired schedule. EventBridge Scheduler invokes the
// function asynchronously with the schedule.Fire JSON as input. An error
// comes back only for failures a retry can fix (Dispatch records permanent
// ones and returns nil), so Lambda's asynchronous retries and then the
// on-failure queue in template.yaml take over; the claim on the step keeps
// a retried event from sending twice. A remote render is answered with
// render (remote.Serve); a request it cannot render is an answer, not an
// error, so the caller does not retry it.
func DispatchHandler(d Dispatcher, render RenderFunc) DispatchFunc {
	return func(ctx context.Context, in DispatchInput) (DispatchOutput, error) {
		if in.Render != nil {
			if render == nil {
				return DispatchOutput{Answer: &remote.Answer{Error: "remote render: this function has no renderer"}}, nil
			}
			a := remote.Serve(ctx, render, in.Call)
			return DispatchOutput{Answer: &a}, nil
		}
		f := in.Fire
		if f.IncidentID == "" || f.Step == "" {
			return DispatchOutput{}, fmt.Errorf("%w: %+v", ErrBadFire, f)
		}
		res, err := d(ctx, f)
		return DispatchOutput{DispatchResult: res}, err
	}
}
