package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"

	"github.com/aftercare/aftercare/shared/calendar"
)

// TestICSRoundTrip parses the file with an independent iCalendar parser
// (emersion/go-ical) and checks every field reads back as given, hostile
// text included.
func TestICSRoundTrip(t *testing.T) {
	athens, _ := time.LoadLocation("Europe/Athens")
	e := calendar.Event{
		UID:      "inc_abc@seabreeze.example",
		Sequence: calendar.SequenceOf(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)),
		Stamp:    time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC),
		// 10:00 in Athens (EET, +02:00): 08:00 UTC.
		Start:    time.Date(2026, 11, 25, 10, 0, 0, 0, athens),
		End:      time.Date(2026, 11, 25, 13, 30, 0, 0, athens),
		Summary:  "Sea kayak; sunset, Chania\\Crete",
		Location: "Παλιό λιμάνι, Χανιά; pier 3",
		Description: "With: Νίκος\nBring a swimsuit, sun cream; water.\r\nEND:VEVENT\r\nBEGIN:VALARM " +
			strings.Repeat("Πολύ μεγάλη περιγραφή ", 20),
		URL: "https://www.openstreetmap.org/search?query=Chania",
	}
	raw, err := Write(e)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets, RFC 5545 folds at 75: %q", i, len(line), line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i, line)
		}
	}
	if !bytes.HasSuffix(raw, []byte("END:VCALENDAR\r\n")) {
		t.Errorf("does not end in END:VCALENDAR CRLF")
	}
	if n := bytes.Count(raw, []byte("BEGIN:VEVENT")); n != 1 {
		t.Errorf("%d VEVENTs, want 1 (injected text must stay text)", n)
	}

	cal, err := goical.NewDecoder(bytes.NewReader(raw)).Decode()
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	if got, _ := cal.Props.Text(goical.PropProductID); got != calendar.ProductID {
		t.Errorf("PRODID = %q", got)
	}
	if got, _ := cal.Props.Text(goical.PropMethod); got != "PUBLISH" {
		t.Errorf("METHOD = %q", got)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events", len(events))
	}
	ev := events[0]
	start, err := ev.DateTimeStart(time.UTC)
	if err != nil || !start.Equal(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("DTSTART = %s, %v; want 08:00Z", start, err)
	}
	end, err := ev.DateTimeEnd(time.UTC)
	if err != nil || !end.Equal(e.End) {
		t.Errorf("DTEND = %s, %v; want %s", end, err, e.End.UTC())
	}
	if p := ev.Props.Get(goical.PropDateTimeStart); p == nil || !strings.HasSuffix(p.Value, "Z") {
		t.Errorf("DTSTART is not UTC: %+v", p)
	}
	want := map[string]string{
		goical.PropUID:         e.UID,
		goical.PropSummary:     e.Summary,
		goical.PropLocation:    e.Location,
		goical.PropDescription: strings.TrimSpace(strings.ReplaceAll(e.Description, "\r\n", "\n")),
		goical.PropSequence:    "",
	}
	for name, w := range want {
		if name == goical.PropSequence {
			continue
		}
		got, err := ev.Props.Text(name)
		if err != nil || got != w {
			t.Errorf("%s = %q, %v\nwant %q", name, got, err, w)
		}
	}
	if seq := ev.Props.Get(goical.PropSequence); seq == nil || seq.Value != "3594840" {
		t.Errorf("SEQUENCE = %+v, want 3594840 (minutes since 2020)", seq)
	}
	if stamp, err := ev.Props.DateTime(goical.PropDateTimeStamp, time.UTC); err != nil || !stamp.Equal(e.Stamp) {
		t.Errorf("DTSTAMP = %s, %v", stamp, err)
	}
	if u := ev.Props.Get(goical.PropURL); u == nil || u.Value != e.URL {
		t.Errorf("URL = %+v", u)
	}
}

func TestICSStableUIDAndRisingSequence(t *testing.T) {
	first := calendar.Event{UID: "inc_abc@x.example", Stamp: time.Unix(0, 0), Start: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
		Sequence: calendar.SequenceOf(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))}
	moved := first
	moved.Start = first.Start.Add(48 * time.Hour)
	moved.Sequence = calendar.SequenceOf(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	if moved.Sequence <= first.Sequence {
		t.Errorf("sequence %d after a reschedule, not above %d", moved.Sequence, first.Sequence)
	}
	a, _ := Write(first)
	b, _ := Write(moved)
	uid := func(raw []byte) string {
		cal, err := goical.NewDecoder(bytes.NewReader(raw)).Decode()
		if err != nil {
			t.Fatal(err)
		}
		return cal.Events()[0].Props.Get(goical.PropUID).Value
	}
	if uid(a) != uid(b) {
		t.Errorf("UID changed across a reschedule: %q → %q", uid(a), uid(b))
	}
}

func TestICSRefuses(t *testing.T) {
	start := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	for name, e := range map[string]calendar.Event{
		"no uid":           {Start: start},
		"uid with CRLF":    {UID: "a\r\nBEGIN:VEVENT", Start: start},
		"no start":         {UID: "a@b"},
		"end before start": {UID: "a@b", Start: start, End: start.Add(-time.Hour)},
	} {
		if _, err := Write(e); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// BenchmarkICS measures one calendar file.
func BenchmarkICS(b *testing.B) {
	e := calendar.Event{UID: "inc_abc@seabreeze.example", Stamp: time.Unix(1e9, 0), Start: time.Unix(2e9, 0), End: time.Unix(2e9+10800, 0),
		Summary: "Sunset kayak tour", Location: "Old Port, Chania", Description: strings.Repeat("Bring a swimsuit, a towel; sun cream. ", 20)}
	for b.Loop() {
		if _, err := Write(e); err != nil {
			b.Fatal(err)
		}
	}
}
