package calendly

import (
	"maps"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

// The events Aftercare acts on.
const (
	inviteeCreated  = "invitee.created"
	inviteeCanceled = "invitee.canceled"
	noShowCreated   = "invitee_no_show.created"
	noShowDeleted   = "invitee_no_show.deleted"
)

// delivery is the webhook body; times are strings so that a bad one is
// reported under its own name.
type delivery struct {
	CreatedAt string   `json:"created_at"`
	Payload   *invitee `json:"payload"`
}

// OfferCodeQuestion is the custom question of a Calendly event type whose
// answer is an offer code.
const OfferCodeQuestion = "Offer code"

// NoSurveyUTM, as a booking link's utm_content, asks for no survey.
const NoSurveyUTM = "aftercare_no_survey"

type invitee struct {
	URI        string `json:"uri"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Timezone   string `json:"timezone"`
	OldInvitee string `json:"old_invitee"`
	// Tracking carries the booking link's UTM parameters; utm_content
	// NoSurveyUTM asks for no survey (Calendly has no other field a link
	// can set).
	Tracking struct {
		UTMContent *string `json:"utm_content"`
	} `json:"tracking"`
	// QuestionsAndAnswers are the booking form's custom questions; the
	// answer to one titled "Offer code" (OfferCodeQuestion, any case) is
	// an offer code the booking redeems.
	QuestionsAndAnswers []struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	} `json:"questions_and_answers"`
	ScheduledEvent *struct {
		Name      string `json:"name"`
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
		Location  struct {
			Location string `json:"location"`
		} `json:"location"`
		Memberships []struct {
			UserName string `json:"user_name"`
		} `json:"event_memberships"`
	} `json:"scheduled_event"`
}

// names maps domain field names to Calendly's.
var names = map[string]string{
	"occurred_at":        "created_at",
	"booking.ref":        "payload.uri",
	"booking.ends_at":    "payload.scheduled_event.end_time",
	"customer.email":     "payload.email",
	"customer.name":      "payload.name",
	"customer.time_zone": "payload.timezone",
	"title":              "payload.scheduled_event.name",
	"location":           "payload.scheduled_event.location.location",
	"agent":              "payload.scheduled_event.event_memberships[0].user_name",
}

// events maps a decoded delivery of a known event onto domain events.
func (d delivery) events(event string) ([]domain.Event, error) {
	if d.Payload == nil {
		return nil, hookutil.Invalid("payload", "is required for "+event)
	}
	if strings.TrimSpace(d.CreatedAt) == "" {
		return nil, hookutil.Invalid("created_at", "is required")
	}
	at, err := hookutil.ParseTime(d.CreatedAt)
	if err != nil {
		return nil, hookutil.Invalid("created_at", err.Error())
	}
	e, err := d.Payload.toEvent(at)
	if err != nil {
		return nil, err
	}
	e = e.Clean()
	e.ID = hookutil.EventID("cly", event, e.Ref, d.CreatedAt)
	var out []domain.Event
	switch event {
	case inviteeCreated:
		e.Type, e.CompletesAtEnd = domain.BookingCreated, true
		if old := strings.TrimSpace(d.Payload.OldInvitee); old != "" {
			prev := e
			prev.Type, prev.CompletesAtEnd, prev.Ref = domain.BookingCancelled, false, old
			// The old invitee's own times are not in this payload; keep
			// the ones its incident already has.
			prev.StartsAt, prev.EndsAt = time.Time{}, time.Time{}
			prev.ID = hookutil.EventID("cly", event+":old_invitee", old, d.CreatedAt)
			if err := hookutil.Validate(prev, withRef("payload.old_invitee")); err != nil {
				return nil, err
			}
			out = append(out, prev)
		}
	case noShowDeleted:
		e.Type, e.CompletesAtEnd = domain.BookingCreated, true
	case noShowCreated:
		e.Type = domain.BookingNoShow
	default: // invitee.canceled
		e.Type = domain.BookingCancelled
	}
	if err := hookutil.Validate(e, names); err != nil {
		return nil, err
	}
	return append(out, e), nil
}

// toEvent maps the invitee; the caller sets the type and id.
func (in *invitee) toEvent(at time.Time) (domain.Event, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = strings.TrimSpace(strings.TrimSpace(in.FirstName) + " " + strings.TrimSpace(in.LastName))
	}
	e := domain.Event{
		Provider:   Name,
		OccurredAt: at,
		Ref:        strings.TrimSpace(in.URI),
		Customer: domain.Customer{
			Email:    strings.TrimSpace(in.Email),
			Name:     hookutil.Clip(name),
			TimeZone: strings.TrimSpace(in.Timezone),
		},
	}
	if c := in.Tracking.UTMContent; c != nil && strings.EqualFold(strings.TrimSpace(*c), NoSurveyUTM) {
		yes := true
		e.NoSurvey = &yes
	}
	for _, qa := range in.QuestionsAndAnswers {
		if strings.EqualFold(strings.TrimSpace(qa.Question), OfferCodeQuestion) {
			e.OfferCode = strings.TrimSpace(qa.Answer)
		}
	}
	se := in.ScheduledEvent
	if se == nil {
		return e, nil
	}
	e.Title = hookutil.Clip(se.Name)
	e.Location = hookutil.Clip(se.Location.Location)
	if len(se.Memberships) > 0 {
		e.Agent = hookutil.Clip(se.Memberships[0].UserName)
	}
	var err error
	if e.StartsAt, err = hookutil.OptionalTime("payload.scheduled_event.start_time", se.StartTime); err != nil {
		return e, err
	}
	if e.EndsAt, err = hookutil.OptionalTime("payload.scheduled_event.end_time", se.EndTime); err != nil {
		return e, err
	}
	return e, nil
}

// withRef is names with the reference read from another field.
func withRef(field string) map[string]string {
	m := maps.Clone(names)
	m["booking.ref"] = field
	return m
}
