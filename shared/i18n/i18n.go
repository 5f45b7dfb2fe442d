// Package i18n holds Aftercare's translations (English, Greek, Spanish,
// German, French, Italian, Portuguese) and picks the closest one for a
// customer's locale. Customers and staff write
// in many languages, so every string an email or page shows comes from here
// rather than from code.
//
// Each language is a directory in catalog/ of JSON files (key →
// printf-style message), one per feature, merged (a key defined twice is
// an error), embedded in the binary so that a Lambda needs no extra files.
// Adding a language means adding a directory and a line to supported.
//
// Portuguese is written in European Portuguese (pt-PT spelling and the
// formal third person), the variant of the Mediterranean and Atlantic
// destinations this serves first; the bare tag "pt" carries it, so that
// Brazilian customers (pt-BR) are matched to it too rather than to English.
//
// An operator can re-word any message per language (Overrides, New)
// without touching the embedded catalogs; For serves the catalogs as
// shipped.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

//go:embed catalog/*/*.json
var files embed.FS

// supported lists the languages with a catalog; the first is the fallback
// for locales we do not speak.
var supported = []language.Tag{
	language.English, language.Greek, language.Spanish,
	language.German, language.French, language.Italian, language.Portuguese,
}

// Codes lists the two-letter codes of the languages with a catalog, English
// first, for callers that show or test every language (the preview, the
// golden files).
func Codes() []string {
	out := make([]string, len(supported))
	for i, t := range supported {
		out[i] = t.String()
	}
	return out
}

// Lang is one language's catalog and printer. Values are shared and
// immutable once loaded, so a *Lang may be used from many goroutines.
// Its catalog is read and built on first use (load): a function that
// writes in one language pays for that one, not for seven.
type Lang struct {
	code string
	tag  language.Tag
	// overrides are the operator's messages for this language, laid over
	// the catalog when it is loaded.
	overrides map[string]string

	once    sync.Once
	printer *message.Printer
	keys    map[string]string
}

// load reads and builds the language's catalog once. The catalogs are
// embedded and checked by the tests, so a failure is a build defect.
func (l *Lang) load() {
	l.once.Do(func() {
		keys, err := catalogOf(l.code)
		if err != nil {
			panic(err)
		}
		if len(l.overrides) > 0 {
			keys = maps.Clone(keys)
			maps.Copy(keys, l.overrides)
		}
		b := catalog.NewBuilder(catalog.Fallback(l.tag))
		for k, v := range keys {
			if err := b.SetString(l.tag, k, v); err != nil {
				panic(fmt.Errorf("i18n: %s: key %q: %w", l.code, k, err))
			}
		}
		l.keys, l.printer = keys, message.NewPrinter(l.tag, message.Catalog(b))
	})
}

// Set is one set of catalogs, as shipped or with an operator's overrides,
// and the matcher that picks among them. Values are immutable, so a *Set
// may be shared by many goroutines and handlers.
type Set struct {
	langs   []*Lang
	matcher language.Matcher
}

// catalogs reads each language's embedded catalog once, on first use.
var catalogs = func() map[string]func() (map[string]string, error) {
	out := map[string]func() (map[string]string, error){}
	for _, tag := range supported {
		code := tag.String()
		out[code] = sync.OnceValues(func() (map[string]string, error) { return readCatalog(code) })
	}
	return out
}()

// catalogOf is a supported language's catalog as shipped.
func catalogOf(code string) (map[string]string, error) {
	read, ok := catalogs[code]
	if !ok {
		return nil, fmt.Errorf("i18n: no catalog for %s", code)
	}
	return read()
}

// shipped is the Set without overrides.
var shipped = sync.OnceValue(func() *Set {
	s, err := New(nil)
	if err != nil {
		panic(err)
	}
	return s
})

// Default is the catalogs as shipped, for callers with no operator copy.
func Default() *Set { return shipped() }

// New builds a Set from the embedded catalogs with ov laid over them, so
// that each renderer or handler can speak with its operator's words without
// touching state shared by others. ov is validated here (Validate), so a
// Set never holds a message that would misformat; only the languages ov
// names are read to check it, and each language's catalog is built when it
// is first used.
func New(ov Overrides) (*Set, error) {
	if err := ov.Validate(); err != nil {
		return nil, err
	}
	out := make([]*Lang, 0, len(supported))
	for _, tag := range supported {
		out = append(out, &Lang{code: tag.String(), tag: tag, overrides: ov[tag.String()]})
	}
	return &Set{langs: out, matcher: language.NewMatcher(supported)}, nil
}

func readCatalog(code string) (map[string]string, error) {
	names, err := fs.Glob(files, "catalog/"+code+"/*.json")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("i18n: no catalog for %s", code)
	}
	keys := map[string]string{}
	for _, name := range names {
		raw, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		var part map[string]string
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		for k, v := range part {
			if _, dup := keys[k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is defined twice for %s", name, k, code)
			}
			keys[k] = v
		}
	}
	return keys, nil
}

// For returns the language closest to locale, which may be a BCP 47 tag
// ("es-MX"), a POSIX-style one ("el_GR") or a whole Accept-Language header.
// Anything we do not speak, or an empty locale, gets English, so a caller
// never has to handle "no language".
func For(locale string) *Lang { return Default().For(locale) }

// For is the package-level For, in this Set's words.
func (s *Set) For(locale string) *Lang {
	langs, matcher := s.langs, s.matcher
	locale = strings.ReplaceAll(strings.TrimSpace(locale), "_", "-")
	if locale == "" {
		return langs[0]
	}
	_, i := language.MatchStrings(matcher, locale)
	if i < 0 || i >= len(langs) {
		return langs[0]
	}
	return langs[i]
}

// Code is the language's two-letter code ("en", "el", "de", …), for lang
// attributes and for recording which language a customer was written in.
func (l *Lang) Code() string { return l.code }

// Tag is the language's BCP 47 tag.
func (l *Lang) Tag() language.Tag { return l.tag }

// T translates key, formatting args printf-style with the language's
// conventions. An unknown key comes back as itself, which is visible in a
// page or an email without breaking it; the catalog tests keep that from
// shipping.
func (l *Lang) T(key string, args ...any) string {
	l.load()
	return l.printer.Sprintf(key, args...)
}

// Has reports whether the catalog defines key, so that callers can offer an
// optional string (such as a score's label) and fall back when it is absent.
func (l *Lang) Has(key string) bool {
	l.load()
	_, ok := l.keys[key]
	return ok
}

// Date is t's calendar date written out in full ("Friday, 20 November 2026",
// "Παρασκευή, 20 Νοεμβρίου 2026"), in t's own location. Names come from the
// catalog rather than from a locale database, so Greek months take the
// genitive that a date needs.
func (l *Lang) Date(t time.Time) string {
	// The year goes in as a string: the printer would group its digits
	// ("2,026") if it were a number.
	key := "date.long"
	if t.Day() == 1 {
		// French and Italian write the first of a month as an ordinal
		// ("1er février", "1º maggio"); the others repeat date.long.
		key = "date.long.first"
	}
	return l.T(key,
		l.T("weekday."+strconv.Itoa(int(t.Weekday()))),
		t.Day(),
		l.T("month."+strconv.Itoa(int(t.Month()))),
		strconv.Itoa(t.Year()))
}

// OnDate is Date as the complement of a sentence ("on Friday, …",
// "την Παρασκευή, …", "el viernes, …"). Greek articles agree with the
// weekday, so the preposition cannot live in the sentence itself.
func (l *Lang) OnDate(t time.Time) string {
	return l.T("date.on."+strconv.Itoa(int(t.Weekday())), l.Date(t))
}
