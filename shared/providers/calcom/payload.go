package calcom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

// The triggers Aftercare acts on.
const (
	created       = "BOOKING_CREATED"
	rescheduled   = "BOOKING_RESCHEDULED"
	cancelled     = "BOOKING_CANCELLED"
	rejected      = "BOOKING_REJECTED"
	noShowUpdated = "BOOKING_NO_SHOW_UPDATED"
	meetingEnded  = "MEETING_ENDED"
)

// body is both shapes at once: the envelope (createdAt, payload) and, for
// MEETING_* triggers, the booking flat at the top level.
type body struct {
	CreatedAt string   `json:"createdAt"`
	Payload   *booking `json:"payload"`
	booking
}

// booking is the part of Cal.com's booking payload Aftercare reads. Times
// are strings so a bad one is reported under its own field name.
type booking struct {
	UID           string `json:"uid"`
	BookingUID    string `json:"bookingUid"` // BOOKING_NO_SHOW_UPDATED
	RescheduleUID string `json:"rescheduleUid"`
	// The old booking's times, on BOOKING_RESCHEDULED.
	RescheduleStartTime string `json:"rescheduleStartTime"`
	RescheduleEndTime   string `json:"rescheduleEndTime"`
	Title               string `json:"title"`
	EventTitle          string `json:"eventTitle"`
	StartTime           string `json:"startTime"`
	EndTime             string `json:"endTime"`
	Location            string `json:"location"`
	Status              string `json:"status"`
	// Metadata is the booking's metadata (booking-page URL parameters
	// metadata[key]=value); metadata[no_survey]=true asks for no survey.
	Metadata  map[string]any `json:"metadata"`
	Organizer *person        `json:"organizer"`
	User      *person        `json:"user"` // MEETING_* bodies
	Attendees []attendee     `json:"attendees"`
	Responses struct {
		Name  response `json:"name"`
		Email response `json:"email"`
		// OfferCode is a booking question with the identifier
		// "offer_code" (metadata[offer_code] on the booking link works too).
		OfferCode response `json:"offer_code"`
	} `json:"responses"`
}

type person struct {
	Name string `json:"name"`
}

type attendee struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	TimeZone string `json:"timeZone"`
	Locale   string `json:"locale"` // MEETING_* bodies
	Language struct {
		Locale string `json:"locale"`
	} `json:"language"`
	NoShow *bool `json:"noShow"`
}

// response is one booking-form answer; its value is a string for name and
// email but an object for others, so it is read only when it is a string.
type response struct {
	Value json.RawMessage `json:"value"`
}

func (r response) text() string {
	var s string
	if bytes.HasPrefix(bytes.TrimSpace(r.Value), []byte(`"`)) && json.Unmarshal(r.Value, &s) == nil {
		return s
	}
	return ""
}

// mapping is one event to emit and how to name its fields in errors.
type mapping struct {
	event domain.Event
	names map[string]string
}

// events maps a decoded body of a known trigger onto domain events.
func (b body) events(trigger string) ([]domain.Event, error) {
	if trigger == meetingEnded {
		return b.meetingEnded()
	}
	if b.Payload == nil {
		return nil, hookutil.Invalid("payload", fmt.Sprintf("is required for %s", trigger))
	}
	if strings.TrimSpace(b.CreatedAt) == "" {
		return nil, hookutil.Invalid("createdAt", "is required")
	}
	at, err := hookutil.ParseTime(b.CreatedAt)
	if err != nil {
		return nil, hookutil.Invalid("createdAt", err.Error())
	}
	pl := b.Payload
	var ms []mapping
	switch trigger {
	case noShowUpdated:
		m, err := pl.noShow(at, b.CreatedAt)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	case rescheduled:
		if old := strings.TrimSpace(pl.RescheduleUID); old != "" {
			m, err := pl.toEvent(domain.BookingCancelled, at, "payload.")
			if err != nil {
				return nil, err
			}
			// The old booking is its own incident: cancel it, with its own
			// times rather than the new ones.
			m.event.Ref = old
			m.event.ID = hookutil.EventID("cal", trigger+":previous", old, b.CreatedAt)
			m.event.CompletesAtEnd = false
			if m.event.StartsAt, err = hookutil.OptionalTime("payload.rescheduleStartTime", pl.RescheduleStartTime); err != nil {
				return nil, err
			}
			if m.event.EndsAt, err = hookutil.OptionalTime("payload.rescheduleEndTime", pl.RescheduleEndTime); err != nil {
				return nil, err
			}
			m.names["booking.ref"] = "payload.rescheduleUid"
			m.names["booking.ends_at"] = "payload.rescheduleEndTime"
			ms = append(ms, m)
		}
		fallthrough
	default:
		m, err := pl.toEvent(eventType(trigger), at, "payload.")
		if err != nil {
			return nil, err
		}
		m.event.ID = hookutil.EventID("cal", trigger, m.event.Ref, b.CreatedAt)
		ms = append(ms, m)
	}
	return validate(ms)
}

// eventType is the domain type of an enveloped booking trigger.
func eventType(trigger string) domain.EventType {
	switch trigger {
	case created, rescheduled:
		return domain.BookingCreated
	default: // cancelled, rejected
		return domain.BookingCancelled
	}
}

// meetingEnded maps the flat MEETING_ENDED body: the booking completed at
// its end time, which is also when Cal.com sends it.
func (b body) meetingEnded() ([]domain.Event, error) {
	if strings.TrimSpace(b.EndTime) == "" {
		return nil, hookutil.Invalid("endTime", "is required: MEETING_ENDED completes the booking at its end time")
	}
	end, err := hookutil.ParseTime(b.EndTime)
	if err != nil {
		return nil, hookutil.Invalid("endTime", err.Error())
	}
	m, err := b.booking.toEvent(domain.BookingCompleted, end, "")
	if err != nil {
		return nil, err
	}
	m.event.ID = hookutil.EventID("cal", meetingEnded, m.event.Ref, b.EndTime)
	m.names["occurred_at"] = "endTime"
	return validate([]mapping{m})
}

// toEvent maps a booking; prefix is its path in the body ("payload." or
// "" for flat bodies), for error messages.
func (pl *booking) toEvent(t domain.EventType, at time.Time, prefix string) (mapping, error) {
	e := domain.Event{
		Provider:   Name,
		Type:       t,
		OccurredAt: at,
		Ref:        strings.TrimSpace(pl.UID),
		Title:      hookutil.Clip(firstOf(pl.EventTitle, pl.Title)),
		Location:   hookutil.Clip(location(pl.Location)),
		NoSurvey:   hookutil.Flag(pl.Metadata["no_survey"]),
		OfferCode:  strings.TrimSpace(pl.Responses.OfferCode.text()),
	}
	if code, ok := pl.Metadata["offer_code"].(string); ok && e.OfferCode == "" {
		e.OfferCode = strings.TrimSpace(code)
	}
	if o := firstPerson(pl.Organizer, pl.User); o != nil {
		e.Agent = hookutil.Clip(o.Name)
	}
	var err error
	if e.StartsAt, err = hookutil.OptionalTime(prefix+"startTime", pl.StartTime); err != nil {
		return mapping{}, err
	}
	if e.EndsAt, err = hookutil.OptionalTime(prefix+"endTime", pl.EndTime); err != nil {
		return mapping{}, err
	}
	attendeePath := prefix + "attendees[0]"
	if len(pl.Attendees) > 0 {
		e.Customer = pl.Attendees[0].customer()
	} else { // older payloads: the booking form's answers
		attendeePath = prefix + "responses"
		e.Customer.Email = strings.TrimSpace(pl.Responses.Email.text())
		e.Customer.Name = hookutil.Clip(pl.Responses.Name.text())
	}
	// A booking still waiting for the host's confirmation has not been
	// accepted: it completes only once it is (Cal.com then sends
	// BOOKING_CREATED again with status ACCEPTED).
	e.CompletesAtEnd = t == domain.BookingCreated && !strings.EqualFold(strings.TrimSpace(pl.Status), "PENDING")
	title := prefix + "eventTitle"
	if strings.TrimSpace(pl.EventTitle) == "" {
		title = prefix + "title"
	}
	return mapping{event: e, names: map[string]string{
		"occurred_at":        "createdAt",
		"booking.ref":        prefix + "uid",
		"booking.ends_at":    prefix + "endTime",
		"customer.email":     attendeePath + ".email",
		"customer.name":      attendeePath + ".name",
		"customer.time_zone": attendeePath + ".timeZone",
		"customer.locale":    attendeePath + ".language.locale",
		"title":              title,
		"location":           prefix + "location",
		"agent":              prefix + "organizer.name",
	}}, nil
}

// noShow maps BOOKING_NO_SHOW_UPDATED: the payload names the attendees whose
// no-show flag changed, and the booking only by its uid.
func (pl *booking) noShow(at time.Time, createdAt string) (mapping, error) {
	if len(pl.Attendees) == 0 {
		return mapping{}, hookutil.Invalid("payload.attendees", "is required: it says who was marked")
	}
	i, t := 0, domain.BookingCreated
	for j, a := range pl.Attendees {
		if a.NoShow != nil && *a.NoShow {
			i, t = j, domain.BookingNoShow
			break
		}
	}
	ref := strings.TrimSpace(firstOf(pl.BookingUID, pl.UID))
	refField := "payload.bookingUid"
	if strings.TrimSpace(pl.BookingUID) == "" {
		refField = "payload.uid"
	}
	e := domain.Event{
		Provider:   Name,
		Type:       t,
		OccurredAt: at,
		Ref:        ref,
		Customer:   pl.Attendees[i].customer(),
		// Un-marked: booked again, and it completes at the end time the
		// incident already knows (this payload carries none).
		CompletesAtEnd: t == domain.BookingCreated,
	}
	e.ID = hookutil.EventID("cal", noShowUpdated, ref, createdAt, strconv.FormatBool(t == domain.BookingNoShow))
	path := "payload.attendees[" + strconv.Itoa(i) + "]"
	return mapping{event: e, names: map[string]string{
		"occurred_at":        "createdAt",
		"booking.ref":        refField,
		"customer.email":     path + ".email",
		"customer.name":      path + ".name",
		"customer.time_zone": path + ".timeZone",
	}}, nil
}

func (a attendee) customer() domain.Customer {
	return domain.Customer{
		Email:    strings.TrimSpace(a.Email),
		Name:     hookutil.Clip(a.Name),
		TimeZone: strings.TrimSpace(a.TimeZone),
		Locale:   hookutil.Clip(firstOf(a.Language.Locale, a.Locale)),
	}
}

// location drops Cal.com's internal app identifiers
// ("integrations:daily", "integrations:zoom"): they mean nothing in an
// email. Addresses, phone numbers and links are kept.
func location(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "integrations:") {
		return ""
	}
	return s
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func firstPerson(ps ...*person) *person {
	for _, p := range ps {
		if p != nil && strings.TrimSpace(p.Name) != "" {
			return p
		}
	}
	return nil
}

// validate checks every event, naming a bad field as Cal.com writes it.
func validate(ms []mapping) ([]domain.Event, error) {
	out := make([]domain.Event, 0, len(ms))
	for _, m := range ms {
		m.event = m.event.Clean()
		if err := hookutil.Validate(m.event, m.names); err != nil {
			return nil, err
		}
		out = append(out, m.event)
	}
	return out, nil
}
