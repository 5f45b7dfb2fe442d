// Package feedback is the Lambda handler of the feedback function: the
// EventBridge rule hands it each bounce, complaint and delivery-delay
// event SES publishes through the configuration set.
package feedback

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/sesevents"
)

// Recorder is the use case the function runs (Service.RecordMailEvent).
type Recorder func(ctx context.Context, ev app.MailEvent) (app.MailEventResult, error)

// Handler reads one event and records it. An event that is not an SES
// sending event is dropped (logged, answered, not failed: a retry would
// not change it); a store failure fails the invocation, so Lambda retries
// it twice and then leaves it in the dead-letter queue.
func Handler(record Recorder, log *slog.Logger) func(ctx context.Context, raw json.RawMessage) (app.MailEventResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, raw json.RawMessage) (app.MailEventResult, error) {
		ev, err := sesevents.Parse(raw)
		if errors.Is(err, sesevents.ErrNotAnEvent) {
			log.WarnContext(ctx, "mail event dropped", "reason", err.Error())
			return app.MailEventResult{Outcome: app.MailDropped, Reason: err.Error()}, nil
		}
		if err != nil {
			return app.MailEventResult{}, err
		}
		res, err := record(ctx, ev)
		if err != nil {
			log.ErrorContext(ctx, "mail event not recorded; Lambda retries it", "incident", ev.Incident, "error", err)
		}
		return res, err
	}
}

// Feedback composes the function: the store and the contact key; it
// schedules, sends and renders nothing.
func Feedback(s compose.Settings, p compose.Ports, log *slog.Logger) (func(ctx context.Context, raw json.RawMessage) (app.MailEventResult, error), error) {
	if p.Scheduler == nil {
		p.Scheduler = schedule.None{}
	}
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	return Handler(svc.RecordMailEvent, log), nil
}
