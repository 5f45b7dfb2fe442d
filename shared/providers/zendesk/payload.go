package zendesk

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

// body holds both shapes: the trigger body (ticket) and an event
// subscription's envelope (type, id, time, detail, event).
type body struct {
	Ticket *ticket `json:"ticket"`

	Type   string `json:"type"`
	Detail struct {
		Status string `json:"status"`
	} `json:"detail"`
	Event struct {
		// current and previous are statuses for status_changed but other
		// things (objects, booleans) for other events: read them raw.
		Current  any `json:"current"`
		Previous any `json:"previous"`
	} `json:"event"`
}

type ticket struct {
	ID        hookutil.Text `json:"id"`
	Title     string        `json:"title"`
	Status    string        `json:"status"`
	UpdatedAt string        `json:"updated_at"`
	// Tags is {{ticket.tags}}: the ticket's tags, space-separated. The
	// tag NoSurveyTag asks for no survey; tags without it lift that.
	Tags     *string `json:"tags"`
	Assignee struct {
		Name string `json:"name"`
	} `json:"assignee"`
	Requester struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Language string `json:"language"`
		TimeZone string `json:"time_zone"`
	} `json:"requester"`
}

// names maps domain field names to the trigger body's.
var names = map[string]string{
	"occurred_at":        "ticket.updated_at",
	"ticket.ref":         "ticket.id",
	"customer.email":     "ticket.requester.email",
	"customer.name":      "ticket.requester.name",
	"customer.time_zone": "ticket.requester.time_zone",
	"customer.locale":    "ticket.requester.language",
	"title":              "ticket.title",
	"agent":              "ticket.assignee.name",
}

// fromTrigger maps Aftercare's trigger body.
func (b body) fromTrigger() (domain.Event, error) {
	tk := b.Ticket
	if tk == nil {
		return domain.Event{}, hookutil.Invalid("ticket", "is required: paste Aftercare's trigger body (docs/providers.md) into the trigger's webhook action")
	}
	for _, f := range []struct{ name, value string }{
		{"ticket.id", string(tk.ID)}, {"ticket.status", tk.Status},
		{"ticket.updated_at", tk.UpdatedAt}, {"ticket.requester.email", tk.Requester.Email},
	} {
		if strings.Contains(f.value, "{{") {
			return domain.Event{}, hookutil.Invalid(f.name, domain.Quote(strings.TrimSpace(f.value))+" is a placeholder Zendesk did not fill in; send this body from a trigger, where placeholders are rendered")
		}
	}
	status := strings.TrimSpace(tk.Status)
	if status == "" {
		return domain.Event{}, hookutil.Invalid("ticket.status", "is required")
	}
	typ, ok := mapStatus(status, "")
	if !ok {
		return domain.Event{}, fmt.Errorf("%w: Zendesk ticket status %s is not one Aftercare maps (new, open, pending, hold, solved, closed, reopened)", providers.ErrIgnored, domain.Quote(status))
	}
	if strings.TrimSpace(tk.UpdatedAt) == "" {
		return domain.Event{}, hookutil.Invalid("ticket.updated_at", "is required: it orders the ticket's changes")
	}
	at, err := hookutil.ParseTime(tk.UpdatedAt)
	if err != nil {
		return domain.Event{}, hookutil.Invalid("ticket.updated_at", err.Error())
	}
	ref := strings.TrimSpace(string(tk.ID))
	e := domain.Event{
		ID:         hookutil.EventID("zd", ref, strings.ToLower(status), tk.UpdatedAt),
		Provider:   Name,
		Type:       typ,
		OccurredAt: at,
		Ref:        ref,
		Customer: domain.Customer{
			Email:    strings.TrimSpace(tk.Requester.Email),
			Name:     hookutil.Clip(tk.Requester.Name),
			Locale:   locale(tk.Requester.Language),
			TimeZone: strings.TrimSpace(tk.Requester.TimeZone),
		},
		Title:    hookutil.Clip(tk.Title),
		Agent:    hookutil.Clip(tk.Assignee.Name),
		NoSurvey: noSurvey(tk.Tags),
	}.Clean()
	if err := hookutil.Validate(e, names); err != nil {
		return domain.Event{}, err
	}
	return e, nil
}

// NoSurveyTag on a Zendesk ticket asks Aftercare for no survey about it.
const NoSurveyTag = "aftercare_no_survey"

// noSurvey reads the ticket's tags: nil when the body carries none (or an
// unrendered placeholder), else whether NoSurveyTag is among them.
func noSurvey(tags *string) *bool {
	if tags == nil || strings.Contains(*tags, "{{") {
		return nil
	}
	v := slices.Contains(strings.Fields(strings.ToLower(*tags)), NoSurveyTag)
	return &v
}

// The event-subscription types that would change a follow-up.
const (
	eventCreated       = "zen:event-type:ticket.created"
	eventStatusChanged = "zen:event-type:ticket.status_changed"
)

// fromEvent handles an event-subscription delivery. Ticket events carry
// detail.requester_id, never an address, so the ones that matter cannot be
// followed up: they are refused with what to do instead.
func (b body) fromEvent() (domain.Event, error) {
	typ := strings.TrimSpace(b.Type)
	var status, previous string
	switch typ {
	case eventCreated:
		status = b.Detail.Status
	case eventStatusChanged:
		status, _ = b.Event.Current.(string)
		previous, _ = b.Event.Previous.(string)
	default:
		return domain.Event{}, fmt.Errorf("%w: Zendesk event %s is not one Aftercare acts on", providers.ErrIgnored, domain.Quote(typ))
	}
	if _, ok := mapStatus(status, previous); !ok {
		return domain.Event{}, fmt.Errorf("%w: Zendesk ticket status %s is not one Aftercare maps", providers.ErrIgnored, domain.Quote(status))
	}
	return domain.Event{}, hookutil.Invalid("detail.requester_id",
		"Zendesk event subscriptions carry the requester's id, not an email address, so Aftercare cannot follow this ticket up; "+
			"connect the webhook to a trigger with Aftercare's JSON body instead (docs/providers.md)")
}

// mapStatus maps a Zendesk status, as {{ticket.status}} renders it or as
// the API writes it, onto an event type. previous, when known, tells a
// reopening from an opening.
func mapStatus(status, previous string) (domain.EventType, bool) {
	switch norm(status) {
	case "new":
		return domain.TicketOpened, true
	case "open":
		if p := norm(previous); p == "solved" || p == "closed" {
			return domain.TicketReopened, true
		}
		return domain.TicketOpened, true
	case "pending", "hold", "on-hold", "on hold":
		return domain.TicketUpdated, true
	case "solved":
		return domain.TicketSolved, true
	case "closed":
		return domain.TicketClosed, true
	case "reopened":
		return domain.TicketReopened, true
	}
	return "", false
}

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// tagPattern is a BCP 47-looking language tag ("es", "pt-BR", "el-GR").
var tagPattern = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// languageNames maps the language names {{ticket.requester.language}}
// renders (in English or in the language itself) to tags, for the
// languages Aftercare has translations for and their neighbours.
var languageNames = map[string]string{
	"english": "en", "spanish": "es", "español": "es", "greek": "el", "ελληνικά": "el",
	"french": "fr", "français": "fr", "german": "de", "deutsch": "de",
	"italian": "it", "italiano": "it", "portuguese": "pt", "português": "pt",
}

// locale turns {{ticket.requester.language}} into a language tag: a tag is
// kept, a known language name ("Español", "English (United States)") is
// translated, anything else is dropped (the customer gets the default).
func locale(s string) string {
	s = strings.TrimSpace(s)
	if tagPattern.MatchString(s) {
		return s
	}
	name, _, _ := strings.Cut(strings.ToLower(s), " (")
	return languageNames[strings.TrimSpace(name)]
}
