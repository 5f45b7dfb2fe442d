package lambdah

import (
	"log/slog"
	"net/http"

	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/web"
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

// Respond builds the respond function's handler: the rating pages, the
// team's timeline and rating.js (web.New, with no webhook provider).
// Wrap it with HTTP for Lambda.
func Respond(s compose.Settings, p compose.Ports, log *slog.Logger) (http.Handler, error) {
	p.StreamPlanner = true // on AWS the stream planner creates wake-up calls
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	return web.New(web.Config{Service: svc, Brand: s.Brand, Clock: p.Clock, Log: log}), nil
}

// Dispatch builds the dispatch function's handler.
func Dispatch(s compose.Settings, p compose.Ports, log *slog.Logger) (DispatchFunc, error) {
	p.StreamPlanner = true // on AWS the stream planner creates wake-up calls
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	return DispatchHandler(svc.Dispatch), nil
}
