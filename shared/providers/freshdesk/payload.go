package freshdesk

import (
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

type body struct {
	Ticket *struct {
		ID             hookutil.Text `json:"id"`
		Subject        string        `json:"subject"`
		Status         hookutil.Text `json:"status"`
		TriggeredEvent string        `json:"triggered_event"`
		UpdatedAt      string        `json:"updated_at"`
		// NoSurvey is the "no_survey" checkbox field (hookutil.Flag).
		NoSurvey any `json:"no_survey"`
		Agent    struct {
			Name string `json:"name"`
		} `json:"agent"`
		Requester struct {
			Email    string `json:"email"`
			Name     string `json:"name"`
			Language string `json:"language"`
			TimeZone string `json:"time_zone"`
		} `json:"requester"`
	} `json:"ticket"`
}

// names maps domain field names to the automation body's.
var names = map[string]string{
	"occurred_at":        "ticket.updated_at",
	"ticket.ref":         "ticket.id",
	"customer.email":     "ticket.requester.email",
	"customer.name":      "ticket.requester.name",
	"customer.time_zone": "ticket.requester.time_zone",
	"customer.locale":    "ticket.requester.language",
	"title":              "ticket.subject",
	"agent":              "ticket.agent.name",
}

// event maps the automation body; now is when it was received.
func (b body) event(now time.Time) (domain.Event, error) {
	tk := b.Ticket
	if tk == nil {
		return domain.Event{}, hookutil.Invalid("ticket", "is required: paste Aftercare's automation body (docs/providers.md) into the Trigger webhook action")
	}
	for _, f := range []struct{ name, value string }{
		{"ticket.id", string(tk.ID)}, {"ticket.status", string(tk.Status)}, {"ticket.requester.email", tk.Requester.Email},
	} {
		if strings.Contains(f.value, "{{") {
			return domain.Event{}, hookutil.Invalid(f.name, domain.Quote(strings.TrimSpace(f.value))+" is a placeholder Freshdesk did not fill in; send this body from an automation rule")
		}
	}
	status := strings.TrimSpace(string(tk.Status))
	if status == "" {
		return domain.Event{}, hookutil.Invalid("ticket.status", "is required")
	}
	typ, ok := mapStatus(status)
	if !ok {
		return domain.Event{}, fmt.Errorf("%w: Freshdesk ticket status %s is not one Aftercare maps (open, pending, resolved, closed, waiting on customer, waiting on third party)", providers.ErrIgnored, domain.Quote(status))
	}
	ref := strings.TrimSpace(string(tk.ID))
	at := now.UTC()
	id := hookutil.EventID("fd", ref, strings.ToLower(status), tk.TriggeredEvent, at.Truncate(time.Minute).Format(time.RFC3339))
	if strings.TrimSpace(tk.UpdatedAt) != "" {
		var err error
		if at, err = hookutil.ParseTime(tk.UpdatedAt); err != nil {
			return domain.Event{}, hookutil.Invalid("ticket.updated_at", err.Error())
		}
		id = hookutil.EventID("fd", ref, strings.ToLower(status), tk.UpdatedAt)
	}
	e := domain.Event{
		ID:         id,
		Provider:   Name,
		Type:       typ,
		OccurredAt: at,
		Ref:        ref,
		Customer: domain.Customer{
			Email:    strings.TrimSpace(tk.Requester.Email),
			Name:     hookutil.Clip(tk.Requester.Name),
			Locale:   hookutil.Clip(tk.Requester.Language),
			TimeZone: strings.TrimSpace(tk.Requester.TimeZone),
		},
		Title:    hookutil.Clip(tk.Subject),
		Agent:    hookutil.Clip(tk.Agent.Name),
		NoSurvey: hookutil.Flag(tk.NoSurvey),
	}.Clean()
	if err := hookutil.Validate(e, names); err != nil {
		return domain.Event{}, err
	}
	return e, nil
}

// mapStatus maps a Freshdesk status name, or its API code, onto an event
// type. "open" is ticket.opened: after a resolution the domain treats it as
// the reopening it is.
func mapStatus(status string) (domain.EventType, bool) {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "open", "2":
		return domain.TicketOpened, true
	case "pending", "3", "waiting on customer", "waiting on third party":
		return domain.TicketUpdated, true
	case "resolved", "4":
		return domain.TicketSolved, true
	case "closed", "5":
		return domain.TicketClosed, true
	case "reopened":
		return domain.TicketReopened, true
	}
	return "", false
}
