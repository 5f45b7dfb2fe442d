// Package domain holds Aftercare's model: incidents, the events that change
// them, follow-up policies, plans and survey answers. It performs no I/O so
// that every decision can be tested as a pure function of its inputs.
package domain

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	// Customers' zones must resolve even where the OS has no zone data
	// (Lambda's provided.al2023 image); without it planning falls back to UTC.
	_ "time/tzdata"
)

// Kind tells bookings from tickets; policies and templates differ per kind.
type Kind string

// The kinds of incident Aftercare follows up.
const (
	KindBooking Kind = "booking"
	KindTicket  Kind = "ticket"
)

// EventType is a normalised event name. Every provider maps its own payloads
// onto these, so planning never needs to know where an event came from.
type EventType string

// The normalised event types.
const (
	BookingCreated   EventType = "booking.created"
	BookingUpdated   EventType = "booking.updated"
	BookingCancelled EventType = "booking.cancelled"
	BookingCompleted EventType = "booking.completed"
	// BookingNoShow: the customer did not come. Not a cancellation: no
	// thank-you or survey, but perhaps a "we missed you" note.
	BookingNoShow  EventType = "booking.no_show"
	TicketOpened   EventType = "ticket.opened"
	TicketUpdated  EventType = "ticket.updated"
	TicketSolved   EventType = "ticket.solved"
	TicketReopened EventType = "ticket.reopened"
	TicketClosed   EventType = "ticket.closed"
)

var eventKinds = map[EventType]Kind{
	BookingCreated: KindBooking, BookingUpdated: KindBooking,
	BookingCancelled: KindBooking, BookingCompleted: KindBooking, BookingNoShow: KindBooking,
	TicketOpened: KindTicket, TicketUpdated: KindTicket, TicketSolved: KindTicket,
	TicketReopened: KindTicket, TicketClosed: KindTicket,
}

// Known reports whether t is an event type Aftercare acts on. Providers answer
// unknown types with 202 "ignored" so that senders do not retry them.
func (t EventType) Known() bool { _, ok := eventKinds[t]; return ok }

// Kind is the incident kind an event type belongs to.
func (t EventType) Kind() Kind { return eventKinds[t] }

// Customer is the person a follow-up goes to.
type Customer struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Locale   string `json:"locale,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
}

// Location returns the customer's time zone, falling back to UTC when it is
// unset or unknown, so that planning never fails on a bad zone name.
func (c Customer) Location() *time.Location {
	if c.TimeZone == "" {
		return time.UTC
	}
	loc, err := LoadZone(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Event is one normalised webhook delivery.
type Event struct {
	// ID is the sender's delivery id; a repeated id is applied once.
	ID         string    `json:"id"`
	Provider   string    `json:"provider"`
	Type       EventType `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	// Ref is the booking or ticket reference in the sender's system.
	Ref      string    `json:"ref"`
	Customer Customer  `json:"customer"`
	Title    string    `json:"title,omitempty"`
	Location string    `json:"location,omitempty"`
	Agent    string    `json:"agent,omitempty"`
	StartsAt time.Time `json:"starts_at,omitzero"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	// CompletesAtEnd says the booking counts as completed at EndsAt unless
	// it is cancelled first. Providers whose senders never report a
	// completion (Calendly), or report it unreliably (Cal.com's
	// fire-and-forget MEETING_ENDED), set it so that the thank-you is
	// planned from the booking itself. Ignored for tickets.
	CompletesAtEnd bool `json:"completes_at_end,omitempty"`
	// NoSurvey, when set, says whether the sender wants surveys for this
	// booking or ticket left out (true) or back (false); nil leaves it as
	// an earlier event said.
	NoSurvey *bool `json:"no_survey,omitempty"`
	// OfferCode is an offer code the customer gave when booking (a
	// loyalty note's): the booking redeems it.
	OfferCode string `json:"offer_code,omitempty"`
	// Tags are the sender's labels for the booking, comma-separated
	// ("family,vip"), which the operator's pre-arrival advice can match on
	// (see TagList). A string, not a slice, so that an Event stays
	// comparable; empty leaves earlier ones.
	Tags string `json:"tags,omitempty"`
}

// TagList splits comma-separated tags, trimmed, dropping empty ones.
func TagList(tags string) []string {
	var out []string
	for _, t := range strings.Split(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// maxOfferCodeLen bounds an offer code (pool codes are at most 64).
const maxOfferCodeLen = 64

// FieldError names the offending field of an invalid event, so that the
// sender gets a 400 that says exactly what to fix.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// ErrInvalidEvent is wrapped by every validation failure.
var ErrInvalidEvent = errors.New("invalid event")

func invalid(field, reason string) error {
	return fmt.Errorf("%w: %w", ErrInvalidEvent, &FieldError{Field: field, Reason: reason})
}

// Limits on customer-supplied strings, so one sender cannot bloat an item.
const (
	maxRefLen  = 200
	maxTextLen = 500
	// maxEmailLen is RFC 5321's limit on an address; no mailer sends to
	// a longer one.
	maxEmailLen = 254
)

// MaxFutureSkew is how far after the receiver's clock an event may say it
// occurred: enough for a sender's clock running fast, too little to plan a
// follow-up from a typo'd year. An event from 2099 would otherwise schedule
// its email for 2099 and, being the newest, make every real event after it
// stale, wedging the incident.
const MaxFutureSkew = time.Hour

// ValidateAt is Validate for a receiver that knows the time: it also
// refuses an event that occurred more than MaxFutureSkew after now.
func (e Event) ValidateAt(now time.Time) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.OccurredAt.After(now.Add(MaxFutureSkew)) {
		return invalid("occurred_at", "is more than "+skewText+" in the future")
	}
	return nil
}

// skewText is MaxFutureSkew as the error says it ("1h", not "1h0m0s").
var skewText = strings.TrimSuffix(strings.TrimSuffix(MaxFutureSkew.String(), "0s"), "0m")

// Validate checks an event before anything is stored. Field names are those
// of the native JSON format, which the other providers map onto.
func (e Event) Validate() error {
	switch {
	case e.ID == "":
		return invalid("id", "is required")
	case len(e.ID) > maxRefLen:
		return invalid("id", "is too long")
	case e.Provider == "":
		return invalid("provider", "is required")
	case !e.Type.Known():
		return invalid("type", "unknown event type "+Quote(string(e.Type)))
	case e.OccurredAt.IsZero():
		return invalid("occurred_at", "is required")
	case strings.TrimSpace(e.Ref) == "":
		return invalid(string(e.Type.Kind())+".ref", "is required")
	case len(e.Ref) > maxRefLen:
		return invalid(string(e.Type.Kind())+".ref", "is too long")
	case e.Customer.Email == "":
		return invalid("customer.email", "is required")
	case len(e.Customer.Email) > maxEmailLen:
		return invalid("customer.email", "is longer than 254 characters")
	}
	if !plainAddress(e.Customer.Email) {
		return invalid("customer.email", "is not a plain email address")
	}
	if e.Customer.TimeZone != "" {
		if _, err := LoadZone(e.Customer.TimeZone); err != nil {
			return invalid("customer.time_zone", "unknown IANA time zone "+Quote(e.Customer.TimeZone))
		}
	}
	for _, f := range [...]struct{ field, v string }{
		{"customer.name", e.Customer.Name}, {"customer.locale", e.Customer.Locale},
		{"title", e.Title}, {"location", e.Location}, {"agent", e.Agent}, {string(e.Type.Kind()) + ".tags", e.Tags},
	} {
		if len(f.v) > maxTextLen {
			return invalid(f.field, "is too long")
		}
	}
	if !e.StartsAt.IsZero() && !e.EndsAt.IsZero() && e.EndsAt.Before(e.StartsAt) {
		return invalid(string(e.Type.Kind())+".ends_at", "is before starts_at")
	}
	if len(e.OfferCode) > maxOfferCodeLen {
		return invalid("booking.offer_code", "is longer than 64 characters")
	}
	if e.OfferCode != "" && e.Type.Kind() != KindBooking {
		return invalid("ticket.offer_code", "belongs to bookings")
	}
	return nil
}

// plainAddress reports whether s is an email address alone, as
// net/mail.ParseAddress reads it: no display name, comment or spaces.
func plainAddress(s string) bool {
	if simpleAddress(s) {
		return true
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// simpleAddress is plainAddress's allocation-free fast path for the usual
// address: ASCII dot-atoms on either side of one "@". Every string it
// accepts, mail.ParseAddress parses to itself (an addr-spec whose
// local part is not quoted and whose domain is no literal); everything
// else (quoted local parts, domain literals, non-ASCII, malformed input)
// is left to mail.ParseAddress.
func simpleAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && dotAtom(local) && dotAtom(domain)
}

// dotAtom reports whether s is an RFC 5322 dot-atom of ASCII atext: one
// or more atoms of atext joined by single full stops.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !atext[c] {
			return false
		}
	}
	return true
}

// atext marks RFC 5322's atext among ASCII bytes: the visible characters
// other than the specials (and so other than "@", quotes and brackets).
var atext = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`()<>[]:;@\,."`, c)
	}
	return t
}()
