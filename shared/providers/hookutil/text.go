package hookutil

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// MaxText is domain.Event.Validate's limit on display texts (title,
// location, agent, customer name), in bytes. A test pins the two together.
const MaxText = 500

// Clip trims s and cuts it to at most MaxText bytes on a character
// boundary. Display texts come from the sender's system, which the sender
// cannot shorten for us: a long event title is worth a truncated email
// line, not a rejected booking.
func Clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= MaxText {
		return s
	}
	i := MaxText
	for i > 0 && !utf8.RuneStart(s[i]) { // do not split a character
		i--
	}
	return strings.TrimSpace(s[:i])
}

// EventID derives a stable event id from the parts that identify one event
// in the sender's system (its trigger, the booking or ticket, and the time
// the sender stamped on it). A redelivery of the same event yields the same
// id, so it is applied once; the prefix names the provider for humans.
// Parts are separated by NUL so that ("ab","c") and ("a","bc") differ.
func EventID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + "_" + hex.EncodeToString(h.Sum(nil)[:16])
}
