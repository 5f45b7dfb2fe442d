package render

import (
	"time"

	"github.com/matcornic/hermes/v2"

	"github.com/aftercare/aftercare/shared/domain"
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
	quotes    []quote // the customer's words, for the team only
	button    *button // a single call to action
	team      bool    // written to the operator's staff, not the customer
	// footer, when set, is the catalog key of a team email's footer
	// (given the brand's name) instead of the alert's.
	footer string
}

// spec is one template: its wording and what it may show.
type spec struct {
	build func(*i18n.Lang, Request) content
	// ratings says whether the email offers one-click rating links. An
	// acknowledgement must not ask again for a score the customer just
	// gave, and a team alert is no survey, so both ignore req.Ratings.
	ratings bool
	// survey is the scale assumed when the request names none.
	survey domain.SurveyKind
}

// templates maps template names, as policies spell them, to their specs.
var templates = map[string]spec{
	"thank_you":       {build: thankYou, ratings: true},
	"satisfaction":    {build: satisfaction, ratings: true},
	"reminder":        {build: reminder, ratings: true},
	"recovery":        {build: recovery, ratings: true, survey: domain.SurveyCSAT},
	"acknowledgement": {build: acknowledgement},
	"team_alert":      {build: teamAlert},
	"team_signin":     {build: teamSignIn},
	"team_message":    {build: teamMessage},
	"loyalty_note":    {build: loyaltyNote},
	"missed_you":      {build: missedYou},
	"review_invite":   {build: reviewInvite},
	"pre_arrival":     {build: preArrival},
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

// reminder nudges a customer who has not answered yet: one short,
// polite paragraph and the same rating choices, so answering still takes a
// single click. It says it is a reminder and lets those who did answer
// ignore it, because an answer may cross the email in transit.
func reminder(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		ask:      l.T("reminder.ask"),
		outros:   []string{l.T("reminder.outro")},
		subject:  l.T("reminder.subject"),
	}
	intro := l.T("reminder.intro")
	if in.Title != "" {
		c.subject = l.T("reminder.subject.title", truncate(in.Title, maxSubjectPart))
		intro = l.T("reminder.intro.title", in.Title)
	}
	c.intros = []string{intro}
	c.preheader = intro
	return c
}

// recovery follows up a problem the team handled: it owns the problem,
// asks whether it is now resolved to the customer's satisfaction, and
// offers a reply for when it is not. Its score is what closes the loop.
func recovery(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		ask:      l.T("recovery.ask"),
		outros:   []string{l.T("recovery.outro")},
		subject:  l.T("recovery.subject"),
	}
	intro := l.T("recovery.intro")
	if in.Title != "" {
		c.subject = l.T("recovery.subject.title", truncate(in.Title, maxSubjectPart))
		intro = l.T("recovery.intro.title", in.Title)
	}
	c.intros = append(c.intros, intro)
	c.preheader = intro
	if in.Agent != "" {
		c.intros = append(c.intros, l.T("recovery.agent", in.Agent))
	}
	c.intros = append(c.intros, l.T("recovery.check"))
	return c
}

// acknowledgement answers a low score or a reply at once, so the customer
// knows a person heard them while the team works on it. It offers no
// rating (asking again would feel like not listening) and never quotes the
// customer's text back: an email can be forwarded or misdirected, and their
// words belong on the timeline, not in more inboxes.
func acknowledgement(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		outros:   []string{l.T("acknowledgement.outro")},
		subject:  l.T("acknowledgement.subject"),
	}
	intro := l.T("acknowledgement.intro")
	if in.Title != "" {
		c.subject = l.T("acknowledgement.subject.title", truncate(in.Title, maxSubjectPart))
		intro = l.T("acknowledgement.intro.title", in.Title)
	}
	c.intros = []string{intro, l.T("acknowledgement.person")}
	c.preheader = intro
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
	loc, err := domain.LoadZone(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}
