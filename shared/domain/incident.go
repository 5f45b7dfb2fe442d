package domain

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is where a booking or ticket stands in its sender's system.
type Status string

// Booking and ticket statuses. Policies match rules on these.
const (
	StatusBooked    Status = "booked"
	StatusCancelled Status = "cancelled"
	StatusCompleted Status = "completed"
	// StatusNoShow: the customer did not come to the booking.
	StatusNoShow Status = "no_show"
	StatusOpen   Status = "open"
	StatusSolved Status = "solved"
	StatusClosed Status = "closed"
)

// resolved reports whether a status ends a cycle of service, the moment
// follow-ups are anchored to.
func (s Status) resolved() bool {
	return s == StatusCompleted || s == StatusSolved || s == StatusClosed
}

// Incident is Aftercare's record of one booking or ticket: its latest known
// state, the follow-ups done for it, the customer's answers and a timeline.
type Incident struct {
	ID       string    `json:"id"`
	Provider string    `json:"provider"`
	Ref      string    `json:"ref"`
	Kind     Kind      `json:"kind"`
	Status   Status    `json:"status"`
	Customer Customer  `json:"customer"`
	Title    string    `json:"title,omitempty"`
	Location string    `json:"location,omitempty"`
	Agent    string    `json:"agent,omitempty"`
	StartsAt time.Time `json:"starts_at,omitzero"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	// Tags are the sender's labels for the booking, comma-separated
	// (Event.Tags).
	Tags string `json:"tags,omitempty"`
	// CompletesAtEnd is set once any event says the booking completes at
	// its end time (see Event.CompletesAtEnd); Plan then treats a booking
	// still booked as resolved at EndsAt.
	CompletesAtEnd bool `json:"completes_at_end,omitempty"`
	// NoSurvey: the sender asked for no survey for this incident; its
	// survey steps are skipped, with why, when they fall due.
	NoSurvey bool `json:"no_survey,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// LastEventAt is the occurrence time of the newest applied event; older
	// events never overwrite the state it describes.
	LastEventAt time.Time `json:"last_event_at"`
	// Cycle counts how often the incident was resolved. Step keys carry it,
	// so a ticket solved, reopened and solved again is followed up again.
	Cycle int `json:"cycle"`
	// ResolvedAt is when the current cycle was resolved; follow-ups are due
	// relative to it.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`

	Steps   map[string]StepState `json:"steps,omitempty"`
	Answers map[string]Answer    `json:"answers,omitempty"`
	// Attention is set while the incident needs the team: a negative answer
	// or a reply raised it, and a good recovery answer clears it.
	Attention *Attention `json:"attention,omitempty"`
	// Escalations are the moments the team was (to be) alerted, each
	// planned as an alert step; Episodes counts attention periods.
	Escalations []Escalation `json:"escalations,omitempty"`
	Episodes    int          `json:"episodes,omitempty"`
	// RepliedAt is the latest email reply; a reminder is not sent after it.
	RepliedAt time.Time `json:"replied_at,omitzero"`
	// Recovered says whether the recovery survey found the problem fixed
	// (nil: no recovery survey answered yet).
	Recovered *bool `json:"recovered,omitempty"`
	// NoShowAt is when the customer was reported not to have come.
	NoShowAt time.Time `json:"no_show_at,omitzero"`
	// Loyalty is the loyalty note of this booking, once claimed.
	Loyalty *LoyaltyNote `json:"loyalty,omitempty"`
	// Review is the review invitation decided when the booking last
	// completed (nil: none decided; see DecideReview).
	Review *ReviewDecision `json:"review,omitempty"`
	// Team is the team's work on the incident (nil until somebody acts).
	Team *Handling `json:"team,omitempty"`

	// Seen holds the most recent event ids (long ones as short hashes, see
	// seenKey), to apply each delivery once.
	Seen     []string `json:"seen,omitempty"`
	Timeline []Entry  `json:"timeline,omitempty"`
	// TimelineDropped counts the oldest timeline entries let go to keep
	// the incident within its size budget (see Budget).
	TimelineDropped int `json:"timeline_dropped,omitempty"`

	// Replan marks a write that adds a wake-up call to the plan, for the
	// stream planner (the store writes it beside the document; it is not
	// part of it). The use cases set it on every write.
	Replan bool `json:"-"`

	// Version is maintained by the store for optimistic concurrency.
	Version int64 `json:"version"`
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// IncidentID derives an incident's id from its sender and reference, so an
// upsert needs no lookup and a repeated webhook lands on the same record.
func IncidentID(provider, ref string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + ref))
	return "inc_" + strings.ToLower(idEncoding.EncodeToString(sum[:10]))
}

// Outcome says what applying an event did.
type Outcome string

// Apply outcomes.
const (
	Applied   Outcome = "applied"
	Duplicate Outcome = "duplicate"
	Stale     Outcome = "stale"
)

// ErrKindMismatch is returned when a ticket event names a booking's id or
// the other way round; the sender has confused two references.
var ErrKindMismatch = errors.New("event kind does not match the incident")

// Apply folds one event into the incident. A repeated event id changes
// nothing; an event older than the newest applied one is recorded on the
// timeline but does not change the state, so late and out-of-order
// deliveries converge to the same incident.
func (inc *Incident) Apply(e Event, now time.Time) (Outcome, error) {
	seen := seenKey(e.ID)
	if slices.Contains(inc.Seen, seen) || slices.Contains(inc.Seen, e.ID) {
		return Duplicate, nil
	}
	if inc.ID == "" {
		inc.ID = IncidentID(e.Provider, e.Ref)
		inc.Provider, inc.Ref, inc.Kind = e.Provider, e.Ref, e.Type.Kind()
		inc.CreatedAt = now
	} else if inc.Kind != e.Type.Kind() {
		return "", fmt.Errorf("%w: %s event for a %s", ErrKindMismatch, e.Type.Kind(), inc.Kind)
	}
	inc.Seen = append(inc.Seen, seen)
	if len(inc.Seen) > maxSeen {
		inc.Seen = inc.Seen[len(inc.Seen)-maxSeen:]
	}
	inc.UpdatedAt = now
	if e.OccurredAt.Before(inc.LastEventAt) {
		inc.record(Entry{At: now, Kind: EntryStale, Detail: fmt.Sprintf("%s from %s, older than the state kept", e.Type, e.OccurredAt.UTC().Format(time.RFC3339))})
		return Stale, nil
	}
	inc.LastEventAt = e.OccurredAt
	inc.mergeDetails(e)
	prev := inc.Status
	inc.Status = nextStatus(inc.Status, e.Type)
	if inc.Status == StatusNoShow && prev != StatusNoShow {
		inc.NoShowAt = e.OccurredAt
	}
	if inc.Status.resolved() && !prev.resolved() {
		inc.Cycle++
		inc.ResolvedAt = e.OccurredAt
	}
	detail := string(e.Type)
	if prev != inc.Status {
		detail += fmt.Sprintf(" (status %s)", inc.Status)
	}
	inc.record(Entry{At: now, Kind: EntryEvent, Detail: detail})
	return Applied, nil
}

// mergeDetails copies the fields an event carries; an absent field keeps
// what an earlier event said.
func (inc *Incident) mergeDetails(e Event) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&inc.Customer.Email, e.Customer.Email)
	set(&inc.Customer.Name, e.Customer.Name)
	set(&inc.Customer.Locale, e.Customer.Locale)
	set(&inc.Customer.TimeZone, e.Customer.TimeZone)
	set(&inc.Title, e.Title)
	set(&inc.Location, e.Location)
	set(&inc.Agent, e.Agent)
	if !e.StartsAt.IsZero() {
		inc.StartsAt = e.StartsAt
	}
	if !e.EndsAt.IsZero() {
		inc.EndsAt = e.EndsAt
	}
	// Sticky, like the other details: a later event that does not say it
	// (a cancellation, a no-show) does not take it back; the status does.
	if e.CompletesAtEnd && inc.Kind == KindBooking {
		inc.CompletesAtEnd = true
	}
	if e.NoSurvey != nil {
		inc.NoSurvey = *e.NoSurvey
	}
	set(&inc.Tags, e.Tags)
}

func nextStatus(cur Status, t EventType) Status {
	switch t {
	case BookingCreated:
		return StatusBooked
	case BookingUpdated:
		if cur == "" {
			return StatusBooked
		}
		return cur
	case BookingCancelled:
		return StatusCancelled
	case BookingCompleted:
		return StatusCompleted
	case BookingNoShow:
		return StatusNoShow
	case TicketOpened, TicketReopened:
		return StatusOpen
	case TicketUpdated:
		if cur == "" {
			return StatusOpen
		}
		return cur
	case TicketSolved:
		return StatusSolved
	case TicketClosed:
		return StatusClosed
	}
	return cur
}
