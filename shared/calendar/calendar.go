// Package calendar describes a booking as a calendar entry, for the .ics
// file the pre-arrival email attaches so the customer adds it to their
// calendar in one tap. Writing the file (package ical) is apart, so that
// only the functions that send pre-arrival emails link the iCalendar
// library.
//
// Times are written in UTC ("20261125T150000Z"), not with a TZID: a TZID
// needs a VTIMEZONE with the zone's rules, which Go's time.Location does
// not expose, and a wrong VTIMEZONE shows the wrong hour. A UTC instant is
// unambiguous, and every calendar shows it in the viewer's own zone; the
// email says the customer's local time and zone in words.
package calendar

import "time"

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
