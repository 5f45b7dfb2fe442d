// Package ical writes a booking's calendar entry as an iCalendar (RFC
// 5545) file, with github.com/arran4/golang-ical for the format's details
// (CRLF, folding at 75 octets, TEXT escaping of commas, semicolons,
// backslashes and newlines). Only the compositions that send pre-arrival
// emails link it (app.Config.Calendar).
package ical

import (
	"errors"
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/aftercare/aftercare/shared/calendar"
	"github.com/aftercare/aftercare/shared/domain"
)

// Write writes the event as a VCALENDAR with one VEVENT.
func Write(e calendar.Event) ([]byte, error) {
	switch {
	case strings.TrimSpace(e.UID) == "" || strings.ContainsAny(e.UID, "\r\n"):
		return nil, errors.New("ical: an event needs a one-line UID")
	case e.Start.IsZero():
		return nil, errors.New("ical: an event needs a start")
	case !e.End.IsZero() && e.End.Before(e.Start):
		return nil, fmt.Errorf("ical: end %s before start %s", e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))
	}
	cal := ics.NewCalendar()
	cal.SetProductId(calendar.ProductID)
	cal.SetMethod(ics.MethodPublish)
	ev := cal.AddEvent(e.UID)
	ev.SetSequence(e.Sequence)
	ev.SetDtStampTime(e.Stamp)
	ev.SetStartAt(e.Start)
	if !e.End.IsZero() {
		ev.SetEndAt(e.End)
	}
	if s := text(e.Summary); s != "" {
		ev.SetSummary(s)
	}
	if s := text(e.Location); s != "" {
		ev.SetLocation(s)
	}
	if s := text(e.Description); s != "" {
		ev.SetDescription(s)
	}
	if e.URL != "" && !strings.ContainsAny(e.URL, "\r\n\" ") {
		ev.SetURL(e.URL)
	}
	// RFC 5545 lines end in CRLF; the library defaults to the OS newline.
	return []byte(cal.Serialize(ics.WithNewLine("\r\n"), ics.WithLineLength(75))), nil
}

// text readies a customer-supplied TEXT value: control characters other
// than newlines dropped (a bare CR would end the line), newlines in one
// form; the library escapes the rest.
func text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if r < 0x20 || r == 0x7f || r == '\r' {
			return -1
		}
		return r
	}, domain.CleanText(s)))
}
