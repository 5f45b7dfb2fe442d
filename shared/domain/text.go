package domain

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// CleanText removes the characters that make text display as something
// other than what it is, and keeps everything else as written:
//
//   - the bidirectional controls: embeddings and overrides (U+202A–U+202E),
//     isolates (U+2066–U+2069) and the implicit marks (U+200E, U+200F,
//     U+061C);
//   - C0 and C1 control characters, and DEL, except line feed and tab.
//
// Names, titles and agents come from customers and from the sender's
// system, and are shown in email headers, page titles and the team's chat
// channel. A right-to-left override turns "evil\u202Egpj.exe" into
// "evilexe.jpg" on screen (the Trojan Source attack), so a customer could
// pose as someone else or hide words from the team; control characters
// move terminals' cursors and break headers. Letters of every script, the
// zero-width joiners emoji and Indic scripts need, and invalid UTF-8 bytes
// (which the decoders refuse before this) are left alone.
func CleanText(s string) string {
	i := strings.IndexFunc(s, unsafeRune)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unsafeRune(r) || (r == utf8.RuneError && size == 1) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune is what CleanText removes. utf8.RuneError stands for an
// invalid byte as well as for U+FFFD; both are kept.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F):
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	case r == '\u200E' || r == '\u200F' || r == '\u061C':
		return true
	}
	return false
}

// Clean returns the event with CleanText applied to every string its sender
// supplied, trimmed. Ingest cleans each event before validating and storing
// it, so that no later reader (the emails, the pages, the alerts, the
// console) has to remember to; the providers clean what they return too.
func (e Event) Clean() Event {
	c := func(s string) string { return strings.TrimSpace(CleanText(s)) }
	e.ID = c(e.ID)
	e.Type = EventType(c(string(e.Type)))
	e.Ref = c(e.Ref)
	e.Customer.Email = c(e.Customer.Email)
	e.Customer.Name = c(e.Customer.Name)
	e.Customer.Locale = c(e.Customer.Locale)
	e.Customer.TimeZone = c(e.Customer.TimeZone)
	e.Title = c(e.Title)
	e.Location = c(e.Location)
	e.Agent = c(e.Agent)
	e.OfferCode = c(e.OfferCode)
	e.Tags = c(e.Tags)
	return e
}

// maxQuoted is how many runes of an input Quote shows.
const maxQuoted = 40

// Quote quotes input for an error message, as strconv.Quote does (control
// and bidi characters escaped), but shows at most its first 40 runes and
// marks a cut with "…" after the closing quote. Errors go back to the
// sender and into logs: a 2,000-character field quoted whole makes a 400
// nobody reads and a log line somebody pays for.
func Quote(s string) string {
	n := 0
	for i := range s {
		if n == maxQuoted {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
}
