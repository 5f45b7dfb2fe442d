package render

import (
	"strings"

	"github.com/matcornic/hermes/v2"

	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/draft"
)

// preArrival is the advice a customer gets before a booking starts:
// when (their local time, naming the zone, since a traveller's phone may
// be set to another), where (with a map link), who will meet them, and
// the operator's advice chosen for this booking (req.Advice, shown as
// escaped paragraphs). It asks for nothing; the .ics the dispatcher
// attaches adds the booking to the customer's calendar.
func preArrival(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		subject:  l.T("pre_arrival.subject"),
	}
	if in.Title != "" {
		c.subject = l.T("pre_arrival.subject.title", truncate(in.Title, maxSubjectPart))
	}
	loc := location(in.TimeZone)
	zone := strings.ReplaceAll(loc.String(), "_", " ")
	var intro string
	if in.StartsAt.IsZero() {
		intro = l.T("pre_arrival.intro")
		if in.Title != "" {
			intro = l.T("pre_arrival.intro.title", in.Title)
		}
	} else {
		start := in.StartsAt.In(loc)
		on, at := l.OnDate(start), start.Format("15:04")
		if in.Title != "" {
			intro = l.T("pre_arrival.intro.title_date", in.Title, on, at)
		} else {
			intro = l.T("pre_arrival.intro.date", on, at)
		}
		when := l.T("pre_arrival.when", l.Date(start), at, zone)
		if end := in.EndsAt.In(loc); !in.EndsAt.IsZero() && end.After(start) && end.YearDay() == start.YearDay() && end.Year() == start.Year() {
			when = l.T("pre_arrival.when.range", l.Date(start), at, end.Format("15:04"), zone)
		}
		c.details = append(c.details, hermes.Entry{Key: l.T("pre_arrival.when.label"), Value: when})
	}
	c.intros = []string{intro}
	c.preheader = intro
	if in.Location != "" {
		c.details = append(c.details, hermes.Entry{Key: l.T("email.where"), Value: in.Location})
		if u := safeLink(draft.MapURL(in.Location)); u != "" {
			c.button = &button{Text: l.T("pre_arrival.map"), URL: u}
		}
	}
	if in.Agent != "" {
		c.details = append(c.details, hermes.Entry{Key: l.T("pre_arrival.with.label"), Value: in.Agent})
	}
	if advice := paragraphLines(in.Advice); len(advice) > 0 {
		c.outros = append(c.outros, l.T("pre_arrival.advice"))
		c.outros = append(c.outros, advice...)
	}
	if !in.StartsAt.IsZero() {
		c.outros = append(c.outros, l.T("pre_arrival.calendar"))
	}
	c.outros = append(c.outros, l.T("pre_arrival.outro"))
	return c
}
