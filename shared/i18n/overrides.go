package i18n

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Overrides is an operator's own wording: language code → catalog key →
// message, laid over the shipped catalogs by New. A hotel can then say
// "Thank you for staying with us" where the catalog says "joining us",
// without a code change, and in every language it cares about.
//
// Its JSON form is the file an operator edits:
//
//	{"de": {"thank_you.subject": "Danke für Ihren Aufenthalt!"},
//	 "en": {"thank_you.intro": "Thank you for staying with us."}}
type Overrides map[string]map[string]string

// ParseOverrides reads the JSON form of Overrides and validates it, so a
// typo in a key or a lost placeholder is refused when the operator deploys
// rather than shown to a guest. Empty input (or only whitespace) means no
// overrides.
func ParseOverrides(data []byte) (Overrides, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var ov Overrides
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ov); err != nil {
		return nil, fmt.Errorf("i18n: copy overrides: want {\"<language>\": {\"<key>\": \"<message>\"}}: %w", err)
	}
	if err := ov.Validate(); err != nil {
		return nil, err
	}
	return ov, nil
}

// LoadOverrides reads and validates the overrides file at path; an empty
// path means none, so callers can pass a setting through unchanged.
func LoadOverrides(path string) (Overrides, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("i18n: copy overrides: %w", err)
	}
	ov, err := ParseOverrides(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return ov, nil
}

// Validate refuses a language we have no catalog for, a key the catalog
// does not define, an empty message, and a message whose placeholders
// differ from the catalog's (a different count, verb or argument), since
// any of these would show a guest a raw key, a "%!d(MISSING)" or the wrong
// value. It reports every problem at once, sorted, each naming the
// language and key.
func (ov Overrides) Validate() error {
	if len(ov) == 0 {
		return nil
	}
	var problems []string
	for code, msgs := range ov {
		cat, err := catalogOf(code)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%q: not a supported language (have %s)", code, strings.Join(Codes(), ", ")))
			continue
		}
		for key, msg := range msgs {
			ref, ok := cat[key]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: %q: no such key in the catalog", code, key))
			case strings.TrimSpace(msg) == "":
				problems = append(problems, fmt.Sprintf("%s: %q: empty message", code, key))
			default:
				if got, want := Verbs(msg), Verbs(ref); !slices.Equal(got, want) {
					problems = append(problems, fmt.Sprintf("%s: %q: placeholders %s, the catalog's message %q has %s",
						code, key, verbList(got), ref, verbList(want)))
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("i18n: copy overrides refused:\n  %s", strings.Join(problems, "\n  "))
}

func verbList(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return "[" + strings.Join(v, " ") + "]"
}

// verbRE finds printf verbs, with an optional explicit argument index.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// Verbs lists a message's printf verbs as "argument:verb", sorted, so that
// a translation or an override may reorder its arguments with %[n] but not
// drop, add or change one. A literal %% is not a verb.
func Verbs(msg string) []string {
	var out []string
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(msg, -1) {
		v := m[0]
		if strings.HasSuffix(v, "%") {
			continue // a literal %%
		}
		arg := next
		if m[1] != "" {
			arg, _ = strconv.Atoi(strings.Trim(m[1], "[]"))
		}
		next = arg + 1
		out = append(out, strconv.Itoa(arg)+":"+v[len(v)-1:])
	}
	slices.Sort(out)
	return out
}

// FromJSON is the catalogs with the operator's wording laid over them, from
// the overrides file's JSON ("" for none: the catalogs as shipped). The
// compositions that write to customers call it at start, so a typo in a key
// or a lost placeholder stops a deploy instead of reaching a guest.
func FromJSON(js string) (*Set, error) {
	if strings.TrimSpace(js) == "" {
		return Default(), nil
	}
	ov, err := ParseOverrides([]byte(js))
	if err != nil {
		return nil, err
	}
	return New(ov)
}
