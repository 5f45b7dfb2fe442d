package render

import (
	"time"

	"github.com/matcornic/hermes/v2"

	"github.com/aftercare/aftercare/shared/i18n"
)

// content is what one template says, already translated; the theme lays
// it out.
type content struct {
	subject   string
	preheader string
	greeting  string
	intros    []string
	details   []hermes.Entry
	ask       string // the rating question for CSAT; NPS and CES bring their own
	outros    []string
}

// builders maps template names, as policies spell them, to their wording.
var builders = map[string]func(*i18n.Lang, Request) content{
	"thank_you":    thankYou,
	"satisfaction": satisfaction,
}

// Subject parts are cut short so that a long title cannot push the point
// of the subject out of the inbox view.
const maxSubjectPart = 60

// thankYou follows up a booking: thank the customer for the visit by name,
// mention what and when, who looked after them, then ask how it went.
func thankYou(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		ask:      l.T("thank_you.ask"),
		outros:   []string{l.T("thank_you.outro")},
		subject:  l.T("thank_you.subject"),
	}
	if in.CustomerName != "" {
		c.subject = l.T("thank_you.subject.name", truncate(in.CustomerName, maxSubjectPart))
	}
	on := ""
	if !in.StartsAt.IsZero() {
		on = l.OnDate(in.StartsAt.In(location(in.TimeZone)))
	}
	var intro string
	switch {
	case in.Title != "" && on != "":
		intro = l.T("thank_you.intro.title_date", in.Title, on)
	case in.Title != "":
		intro = l.T("thank_you.intro.title", in.Title)
	case on != "":
		intro = l.T("thank_you.intro.date", on)
	default:
		intro = l.T("thank_you.intro")
	}
	c.intros = append(c.intros, intro)
	c.preheader = intro
	if in.Agent != "" {
		c.intros = append(c.intros, l.T("thank_you.agent", in.Agent))
	}
	if in.Location != "" {
		c.details = append(c.details, hermes.Entry{Key: l.T("email.where"), Value: in.Location})
	}
	return c
}

// satisfaction follows up a solved ticket: name the request, who worked on
// it, and ask how well it was handled, offering a reply if it is not fixed.
func satisfaction(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		ask:      l.T("satisfaction.ask"),
		outros:   []string{l.T("satisfaction.outro")},
		subject:  l.T("satisfaction.subject"),
	}
	intro := l.T("satisfaction.intro")
	if in.Title != "" {
		c.subject = l.T("satisfaction.subject.title", truncate(in.Title, maxSubjectPart))
		intro = l.T("satisfaction.intro.title", in.Title)
	}
	c.intros = append(c.intros, intro)
	c.preheader = intro
	if in.Agent != "" {
		c.intros = append(c.intros, l.T("satisfaction.agent", in.Agent))
	}
	return c
}

func greeting(l *i18n.Lang, name string) string {
	if name == "" {
		return l.T("email.greeting")
	}
	return l.T("email.greeting.name", name)
}

// location resolves the customer's zone; a bad one falls back to UTC
// rather than failing an email over a date.
func location(tz string) *time.Location {
	if tz == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}
