package app

// pre_arrival.go adds to a pre-arrival email what only the use case
// knows: the operator's advice for the booking and its calendar file.

import (
	"fmt"
	"time"

	"github.com/aftercare/aftercare/shared/advice"
	"github.com/aftercare/aftercare/shared/calendar"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/draft"
)

// CalendarFileName is the .ics attachment's name.
const CalendarFileName = "booking.ics"

// adviceFor picks the operator's advice for a booking in the customer's
// language, and logs which entry gave it (never the customer's details),
// so an operator can see why a booking got the advice it got.
func (s *Service) adviceFor(inc domain.Incident) string {
	text, entry := s.cfg.Advice.For(advice.Booking{
		Title: inc.Title, Location: inc.Location, Provider: inc.Provider, Kind: string(inc.Kind), Tags: domain.TagList(inc.Tags),
	}, inc.Customer.Locale)
	if entry != "" {
		s.log.Info("pre-arrival advice chosen", "incident", inc.ID, "entry", entry)
	}
	return text
}

// calendarFile is the booking as an .ics attachment. Its UID is the
// incident's id at the sender's domain, stable per booking, so a calendar
// that imports a later version (a reschedule) updates the entry; SEQUENCE
// rises with the booking's newest event.
func (s *Service) calendarFile(inc domain.Incident, subject, adviceText string, now time.Time) (mail.Attachment, error) {
	summary := inc.Title
	if summary == "" {
		summary = subject
	}
	end := inc.EndsAt
	if end.Before(inc.StartsAt) {
		end = time.Time{} // a sender's mistake costs the end, not the email
	}
	data, err := s.cfg.Calendar(calendar.Event{
		UID:      inc.ID + "@" + domainOf(s.cfg.From.Address),
		Sequence: calendar.SequenceOf(inc.LastEventAt),
		Stamp:    now,
		Start:    inc.StartsAt, End: end,
		Summary: summary, Location: inc.Location, Description: adviceText,
		URL: draft.MapURL(inc.Location),
	})
	if err != nil {
		return mail.Attachment{}, fmt.Errorf("calendar file for %s: %w", inc.ID, err)
	}
	return mail.Attachment{Name: CalendarFileName, ContentType: calendar.ContentType, Data: data}, nil
}
