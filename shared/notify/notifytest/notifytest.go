// Package notifytest holds a complete sample alert for the notify port's
// tests and its adapters' tests.
package notifytest

import (
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/notify"
)

// Alert is a valid alert with every field set: a negative answer.
func Alert() notify.Alert {
	return notify.Alert{
		Kind:          notify.KindNegativeAnswer,
		IncidentID:    "inc_abc123",
		Provider:      "aftercare",
		Ref:           "BK-1042",
		IncidentKind:  domain.KindBooking,
		Title:         "Sunset sailing",
		Status:        domain.StatusCompleted,
		Step:          "thanks",
		CustomerName:  "María Pérez",
		CustomerEmail: "maria@example.com",
		Survey:        domain.SurveyCSAT,
		Score:         2,
		Comment:       "The boat was late.",
		TimelineURL:   "https://aftercare.example.com/incidents/inc_abc123",
		At:            time.Date(2026, 11, 21, 9, 14, 3, 0, time.UTC),
	}
}
