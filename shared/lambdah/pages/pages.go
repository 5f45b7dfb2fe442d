// Package pages builds the respond function's handler: the customer's
// rating pages, rating.js and the team's timeline page. It is apart from
// lambdah so that the functions that serve no page link no page templates.
package pages

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/web"
)

// Respond builds the respond function's handler: the rating pages, the
// team's timeline and rating.js (web.New, with no webhook provider).
// Wrap it with HTTP for Lambda.
func Respond(s compose.Settings, p compose.Ports, log *slog.Logger) (http.Handler, error) {
	p.StreamPlanner = true // on AWS the stream planner creates wake-up calls
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	copySet, err := i18n.FromJSON(s.CopyOverrides)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", compose.CopyJSON, err)
	}
	return web.New(web.Config{Service: svc, Brand: s.Brand, Clock: p.Clock, Log: log, Copy: copySet}), nil
}
