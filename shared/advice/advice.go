// Package advice holds the operator's pre-arrival advice: what to bring,
// where to park, when to arrive, written per booking type and language.
// The operator keeps it in a JSON file (AFTERCARE_ADVICE locally, an SSM
// String parameter on AWS); the pre_arrival email shows the entry chosen
// for the booking.
//
// The file:
//
//	{
//	  "entries": [
//	    {"name": "kayak",
//	     "match": {"title": "kayak", "location": "chania"},
//	     "text": {"en": "Bring a swimsuit…", "es": "Trae bañador…"}}
//	  ],
//	  "default": {"text": {"en": "Please arrive 10 minutes early."}}
//	}
//
// Matching: an entry matches when every field of its match that is set
// does: title and location are case-insensitive substrings of the
// booking's; provider and kind are equal, ignoring case; every tag listed
// is among the booking's tags, ignoring case. Entries are tried in order and
// the first match wins; no match takes the default; no default, no advice.
// Text is chosen for the customer's locale ("es-MX", then "es", then "en").
//
// Advice is the operator's own words, shown as escaped paragraphs, never
// as markup (hermes' FreeMarkdown is not sanitised).
package advice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aftercare/aftercare/shared/domain"
)

// Limits keep the file a short list an operator can reason about, and one
// piece of advice a short email section.
const (
	maxEntries  = 200
	maxText     = 2000
	maxMatchLen = 200
	maxTags     = 20
	// FallbackLocale is the language every entry must be written in: what
	// a customer in any other language reads.
	FallbackLocale = "en"
)

// ErrInvalid is wrapped by every error about an advice file.
var ErrInvalid = errors.New("invalid advice file")

// File is an advice file as written.
type File struct {
	Entries []Entry `json:"entries"`
	Default *Text   `json:"default,omitempty"`
}

// Entry is advice for the bookings its Match selects.
type Entry struct {
	// Name identifies the entry in errors and on the incident's timeline;
	// optional.
	Name  string            `json:"name,omitempty"`
	Match Match             `json:"match"`
	Text  map[string]string `json:"text"`
}

// Text is the default entry: advice for every booking no entry matched.
type Text struct {
	Text map[string]string `json:"text"`
}

// Match selects bookings; set fields must all hold (see the package doc).
type Match struct {
	Title    string   `json:"title,omitempty"`
	Location string   `json:"location,omitempty"`
	Provider string   `json:"provider,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

// Booking is what matching looks at.
type Booking struct {
	Title, Location, Provider, Kind string
	Tags                            []string
}

// Advice is a validated advice file, ready to match. The zero value (and
// nil) gives no advice.
type Advice struct {
	file File
	// folded holds each entry's title and location folded once, at Parse.
	folded []Match
}

var localePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// Parse reads and validates an advice file, refusing unknown fields (a
// typo like "titel" would otherwise match every booking) and naming the
// entry and field of every problem.
func Parse(b []byte) (*Advice, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalid)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	a := &Advice{file: f, folded: make([]Match, len(f.Entries))}
	for i, e := range f.Entries {
		a.folded[i] = Match{Title: fold(e.Match.Title), Location: fold(e.Match.Location)}
	}
	return a, nil
}

func (f File) validate() error {
	if len(f.Entries) > maxEntries {
		return fmt.Errorf("entries: %d, at most %d", len(f.Entries), maxEntries)
	}
	for i, e := range f.Entries {
		where := fmt.Sprintf("entries[%d]", i)
		if e.Name != "" {
			where += " (" + domain.Quote(e.Name) + ")"
		}
		if len(e.Name) > maxMatchLen {
			return fmt.Errorf("%s.name: longer than %d bytes", where, maxMatchLen)
		}
		m := e.Match
		if m.Title == "" && m.Location == "" && m.Provider == "" && m.Kind == "" && len(m.Tags) == 0 {
			return fmt.Errorf("%s.match: set at least one of title, location, provider, kind, tags (advice for every booking is the default)", where)
		}
		for _, f := range [...]struct{ field, v string }{{"title", m.Title}, {"location", m.Location}, {"provider", m.Provider}} {
			if len(f.v) > maxMatchLen || strings.TrimSpace(f.v) != f.v {
				return fmt.Errorf("%s.match.%s: at most %d bytes, no leading or trailing spaces", where, f.field, maxMatchLen)
			}
		}
		if k := m.Kind; k != "" && k != string(domain.KindBooking) && k != string(domain.KindTicket) {
			return fmt.Errorf("%s.match.kind: %s is not booking or ticket", where, domain.Quote(k))
		}
		if len(m.Tags) > maxTags {
			return fmt.Errorf("%s.match.tags: at most %d", where, maxTags)
		}
		for j, t := range m.Tags {
			if t == "" || len(t) > maxMatchLen || strings.TrimSpace(t) != t {
				return fmt.Errorf("%s.match.tags[%d]: empty, too long or padded", where, j)
			}
		}
		if err := validText(e.Text); err != nil {
			return fmt.Errorf("%s.text%w", where, err)
		}
	}
	if f.Default != nil {
		if err := validText(f.Default.Text); err != nil {
			return fmt.Errorf("default.text%w", err)
		}
	}
	return nil
}

// validText checks one entry's translations; errors start with the key.
func validText(t map[string]string) error {
	if strings.TrimSpace(t[FallbackLocale]) == "" {
		return fmt.Errorf(": %q is required (the language of every other customer)", FallbackLocale)
	}
	// In order, so that a file with several problems always reports the same one.
	for _, loc := range slices.Sorted(maps.Keys(t)) {
		s := t[loc]
		switch {
		case !localePattern.MatchString(loc):
			return fmt.Errorf(".%s: not a locale like \"en\" or \"es-MX\"", domain.Quote(loc))
		case strings.TrimSpace(s) == "":
			return fmt.Errorf(".%s: empty", loc)
		case utf8.RuneCountInString(s) > maxText:
			return fmt.Errorf(".%s: longer than %d characters", loc, maxText)
		case !utf8.ValidString(s):
			return fmt.Errorf(".%s: not valid UTF-8", loc)
		}
	}
	return nil
}

// For returns the advice for a booking in the customer's locale, and the
// name of the entry that gave it ("default" for the default entry); both
// empty when there is none.
func (a *Advice) For(b Booking, locale string) (text, entry string) {
	if a == nil {
		return "", ""
	}
	b.Title, b.Location = fold(b.Title), fold(b.Location)
	for i, e := range a.file.Entries {
		m := e.Match
		m.Title, m.Location = a.folded[i].Title, a.folded[i].Location
		if m.matches(b) {
			name := e.Name
			if name == "" {
				name = fmt.Sprintf("entries[%d]", i)
			}
			return pick(e.Text, locale), name
		}
	}
	if a.file.Default != nil {
		return pick(a.file.Default.Text, locale), "default"
	}
	return "", ""
}

// Len is the number of entries, for logs.
func (a *Advice) Len() int {
	if a == nil {
		return 0
	}
	return len(a.file.Entries)
}

// matches reports whether m selects b; title and location of both are
// already folded.
func (m Match) matches(b Booking) bool {
	contains := func(have, want string) bool {
		return want == "" || strings.Contains(have, want)
	}
	equal := func(have, want string) bool { return want == "" || strings.EqualFold(have, want) }
	if !contains(b.Title, m.Title) || !contains(b.Location, m.Location) || !equal(b.Provider, m.Provider) || !equal(b.Kind, m.Kind) {
		return false
	}
	for _, want := range m.Tags {
		found := false
		for _, t := range b.Tags {
			if strings.EqualFold(strings.TrimSpace(t), want) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// fold lowers s for substring matching; Greek final sigma folds to sigma
// so "Χανιά" matches whatever case the booking system used.
func fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ς", "σ")
}

// pick chooses the text for a locale: the exact locale, its language,
// then the fallback.
func pick(t map[string]string, locale string) string {
	locale = strings.ReplaceAll(strings.TrimSpace(locale), "_", "-")
	if s, ok := t[locale]; ok {
		return s
	}
	lang, _, _ := strings.Cut(strings.ToLower(locale), "-")
	if s, ok := t[lang]; ok {
		return s
	}
	return t[FallbackLocale]
}
