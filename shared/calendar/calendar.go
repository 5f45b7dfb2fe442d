// Package calendar writes a booking as an iCalendar (RFC 5545) file that
// the pre-arrival email attaches, so the customer adds it to their
// calendar in one tap. It uses github.com/arran4/golang-ical for the
// format's details (CRLF, folding at 75 octets, TEXT escaping of commas,
// semicolons, backslashes and newlines).
//
// Times are written in UTC ("20261125T150000Z"), not with a TZID: a TZID
// needs a VTIMEZONE with the zone's rules, which Go's time.Location does
// not expose, and a wrong VTIMEZONE shows the wrong hour. A UTC instant is
// unambiguous, and every calendar shows it in the viewer's own zone; the
// email says the customer's local time and zone in words.
package calendar

import (
	"errors"
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/aftercare/aftercare/shared/domain"
)

// ContentType is the attachment's MIME type. METHOD:PUBLISH says it is
// information to file, not an invitation that expects a reply.
const ContentType = "text/calendar; charset=utf-8; method=PUBLISH"

// ProductID names the writer in PRODID, as RFC 5545 requires.
const ProductID = "-//Aftercare//Pre-arrival advice//EN"

// Event is one booking as a calendar entry.
type Event struct {
	// UID is stable per booking ("<incident id>@<sender's domain>"), so a
	// calendar that imports a later version replaces the entry.
	UID string
	// Sequence orders versions of the entry: a higher one replaces a
	// lower one (see SequenceOf).
	Sequence int
	// Stamp is when this version was written (DTSTAMP).
	Stamp      time.Time
	Start, End time.Time
	Summary    string
	Location   string
	// Description is plain text; newlines are kept.
	Description string
	// URL is a link about the event (the location's map).
	URL string
}

// sequenceEpoch anchors SequenceOf.
var sequenceEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// SequenceOf derives a SEQUENCE from the time of the booking's newest
// change: minutes since 2020, so it rises with every reschedule without a
// stored counter, and fits 32 bits for thousands of years.
func SequenceOf(changed time.Time) int {
	if changed.Before(sequenceEpoch) {
		return 0
	}
	return int(changed.Sub(sequenceEpoch) / time.Minute)
}

// ICS writes the event as a VCALENDAR with one VEVENT.
func ICS(e Event) ([]byte, error) {
	switch {
	case strings.TrimSpace(e.UID) == "" || strings.ContainsAny(e.UID, "\r\n"):
		return nil, errors.New("calendar: an event needs a one-line UID")
	case e.Start.IsZero():
		return nil, errors.New("calendar: an event needs a start")
	case !e.End.IsZero() && e.End.Before(e.Start):
		return nil, fmt.Errorf("calendar: end %s before start %s", e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))
	}
	cal := ics.NewCalendar()
	cal.SetProductId(ProductID)
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
