package native

import (
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// payload is the wire shape. Times are decoded as strings so that a bad one
// is reported under its own field name rather than as a generic JSON error.
type payload struct {
	Type       string       `json:"type"`
	OccurredAt string       `json:"occurred_at"`
	Customer   customerJSON `json:"customer"`
	Booking    *bookingJSON `json:"booking"`
	Ticket     *ticketJSON  `json:"ticket"`
	// NoSurvey: true asks that this booking or ticket get no survey, false
	// lifts that; absent leaves it as an earlier event said.
	NoSurvey *bool `json:"no_survey"`
}

type customerJSON struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Locale   string `json:"locale"`
	TimeZone string `json:"time_zone"`
}

type bookingJSON struct {
	Ref      string `json:"ref"`
	Title    string `json:"title"`
	StartsAt string `json:"starts_at"`
	EndsAt   string `json:"ends_at"`
	Location string `json:"location"`
	Agent    string `json:"agent"`
	// OfferCode is an offer code the customer entered when booking.
	OfferCode string `json:"offer_code"`
	// Tags label the booking for the pre-arrival advice file.
	Tags []string `json:"tags"`
}

type ticketJSON struct {
	Ref     string `json:"ref"`
	Subject string `json:"subject"`
	Agent   string `json:"agent"`
}

// invalid builds the error shape domain.Event.Validate uses, so the web
// layer handles both alike.
func invalid(field, reason string) error {
	return fmt.Errorf("%w: %w", domain.ErrInvalidEvent, &domain.FieldError{Field: field, Reason: reason})
}

// parseTime reads an optional RFC 3339 time; field names it in errors.
func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(field, domain.Quote(s)+" is not an RFC 3339 time such as 2026-11-20T17:30:00Z")
	}
	return t.UTC(), nil
}

// toEvent maps a decoded payload of known type t onto a domain event. It
// checks what only this format knows (the booking/ticket object, time
// syntax); everything else is left to domain.Event.Validate.
func (p payload) toEvent(t domain.EventType) (domain.Event, error) {
	kind := t.Kind()
	switch {
	case kind == domain.KindBooking && p.Booking == nil:
		return domain.Event{}, invalid("booking", fmt.Sprintf("is required for %s events", t))
	case kind == domain.KindBooking && p.Ticket != nil:
		return domain.Event{}, invalid("ticket", fmt.Sprintf("must not be present in %s events", t))
	case kind == domain.KindTicket && p.Ticket == nil:
		return domain.Event{}, invalid("ticket", fmt.Sprintf("is required for %s events", t))
	case kind == domain.KindTicket && p.Booking != nil:
		return domain.Event{}, invalid("booking", fmt.Sprintf("must not be present in %s events", t))
	}

	e := domain.Event{
		Provider: Name,
		Type:     t,
		NoSurvey: p.NoSurvey,
		Customer: domain.Customer{
			Email:    strings.TrimSpace(p.Customer.Email),
			Name:     strings.TrimSpace(p.Customer.Name),
			Locale:   strings.TrimSpace(p.Customer.Locale),
			TimeZone: strings.TrimSpace(p.Customer.TimeZone),
		},
	}
	var err error
	if strings.TrimSpace(p.OccurredAt) == "" {
		return domain.Event{}, invalid("occurred_at", "is required")
	}
	if e.OccurredAt, err = parseTime("occurred_at", p.OccurredAt); err != nil {
		return domain.Event{}, err
	}
	if b := p.Booking; b != nil {
		e.Ref = strings.TrimSpace(b.Ref)
		e.Title = strings.TrimSpace(b.Title)
		e.Location = strings.TrimSpace(b.Location)
		e.Agent = strings.TrimSpace(b.Agent)
		e.OfferCode = strings.TrimSpace(b.OfferCode)
		// A comma inside a tag would split it: it becomes a space.
		var tags []string
		for _, t := range b.Tags {
			if t = strings.TrimSpace(strings.ReplaceAll(t, ",", " ")); t != "" {
				tags = append(tags, t)
			}
		}
		e.Tags = strings.Join(tags, ",")
		if e.StartsAt, err = parseTime("booking.starts_at", b.StartsAt); err != nil {
			return domain.Event{}, err
		}
		if e.EndsAt, err = parseTime("booking.ends_at", b.EndsAt); err != nil {
			return domain.Event{}, err
		}
	}
	if tk := p.Ticket; tk != nil {
		e.Ref = strings.TrimSpace(tk.Ref)
		e.Title = strings.TrimSpace(tk.Subject)
		e.Agent = strings.TrimSpace(tk.Agent)
	}
	return e, nil
}

// nativeField translates a field name from domain.Event.Validate into the
// path the sender wrote. Validate already uses native names for most fields;
// the event-level ones depend on the kind, and the id comes from a header.
func nativeField(field string, kind domain.Kind) string {
	switch field {
	case "id":
		return stdwebhooks.HeaderID
	case "title":
		if kind == domain.KindTicket {
			return "ticket.subject"
		}
		return "booking.title"
	case "location", "agent":
		return string(kind) + "." + field
	}
	return field
}
