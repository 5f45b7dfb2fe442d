// Package i18n holds Aftercare's translations (English, Greek, Spanish) and
// picks the closest one for a customer's locale. Customers and staff write
// in many languages, so every string an email or page shows comes from here
// rather than from code.
//
// Each language is a directory in catalog/ of JSON files (key →
// printf-style message), one per feature, merged (a key defined twice is
// an error), embedded in the binary so that a Lambda needs no extra files.
// Adding a language means adding a directory and a line to supported.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
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
var supported = []language.Tag{language.English, language.Greek, language.Spanish}

// Lang is one language's catalog and printer. Values are shared and
// immutable, so a *Lang may be used from many goroutines.
type Lang struct {
	code    string
	tag     language.Tag
	printer *message.Printer
	keys    map[string]string
}

// loaded builds the catalogs on first use rather than at package init, so
// that a function that never writes in a language (ingest, the planner)
// does not pay for them at cold start, and one that does pays once.
var loaded = sync.OnceValues(func() ([]*Lang, language.Matcher) {
	langs, err := load()
	if err != nil {
		// The catalogs are embedded: a broken one is a build defect that the
		// tests catch, not a runtime condition.
		panic(err)
	}
	return langs, language.NewMatcher(supported)
})

// load reads every supported language's catalog into one x/text catalog.
func load() ([]*Lang, error) {
	b := catalog.NewBuilder(catalog.Fallback(supported[0]))
	out := make([]*Lang, 0, len(supported))
	for _, tag := range supported {
		code := tag.String()
		keys, err := readCatalog(code)
		if err != nil {
			return nil, err
		}
		for k, v := range keys {
			if err := b.SetString(tag, k, v); err != nil {
				return nil, fmt.Errorf("i18n: %s: key %q: %w", code, k, err)
			}
		}
		out = append(out, &Lang{code: code, tag: tag, keys: keys})
	}
	for _, l := range out {
		l.printer = message.NewPrinter(l.tag, message.Catalog(b))
	}
	return out, nil
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
func For(locale string) *Lang {
	langs, matcher := loaded()
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

// Code is the language's two-letter code ("en", "el", "es"), for lang
// attributes and for recording which language a customer was written in.
func (l *Lang) Code() string { return l.code }

// Tag is the language's BCP 47 tag.
func (l *Lang) Tag() language.Tag { return l.tag }

// T translates key, formatting args printf-style with the language's
// conventions. An unknown key comes back as itself, which is visible in a
// page or an email without breaking it; the catalog tests keep that from
// shipping.
func (l *Lang) T(key string, args ...any) string {
	return l.printer.Sprintf(key, args...)
}

// Has reports whether the catalog defines key, so that callers can offer an
// optional string (such as a score's label) and fall back when it is absent.
func (l *Lang) Has(key string) bool {
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
	return l.T("date.long",
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
