package lambdah

import (
	"log/slog"
	"net/http"

	"github.com/aftercare/aftercare/shared/compose"
)

// Ingest builds the ingest function's handler: the webhooks alone, on
// the given adapters (DynamoDB and Scheduler on AWS; embedded ones in
// tests, which so run the very composition the function runs).
// Wrap it with HTTP for Lambda.
func Ingest(s compose.Settings, p compose.Ports, log *slog.Logger) (http.Handler, error) {
	p.StreamPlanner = true // on AWS the stream planner creates wake-up calls
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	return compose.Webhooks(s, svc, p.Clock, log)
}

// Dispatch builds the dispatch function's handler: fired schedules, and
// remote renders on p.Renderer for the functions that do not link one.
func Dispatch(s compose.Settings, p compose.Ports, log *slog.Logger) (DispatchFunc, error) {
	p.StreamPlanner = true // on AWS the stream planner creates wake-up calls
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	var render RenderFunc
	if p.Renderer != nil {
		render = p.Renderer.Render
	}
	return DispatchHandler(svc.Dispatch, render), nil
}
