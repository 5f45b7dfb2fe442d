package i18n

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"
)

func TestFor(t *testing.T) {
	tests := []struct {
		locale string
		want   string
	}{
		{"", "en"},
		{"en", "en"},
		{"en-GB", "en"},
		{"es", "es"},
		{"es-MX", "es"},
		{"es_ES", "es"},
		{"el", "el"},
		{"el-GR", "el"},
		{"el_GR", "el"},
		{"EL-gr", "el"},
		{"de-DE", "en"},
		{"zh-Hant-TW", "en"},
		{"fr-CA,fr;q=0.9", "en"},
		{"de-DE,el;q=0.8,en;q=0.5", "el"},
		{"es-419,es;q=0.9,en;q=0.8", "es"},
		{"not a locale!", "en"},
	}
	for _, tc := range tests {
		if got := For(tc.locale).Code(); got != tc.want {
			t.Errorf("For(%q).Code() = %q, want %q", tc.locale, got, tc.want)
		}
	}
}

func TestTag(t *testing.T) {
	for code, want := range map[string]language.Tag{"en": language.English, "el": language.Greek, "es": language.Spanish} {
		if got := For(code).Tag(); got != want {
			t.Errorf("For(%q).Tag() = %v, want %v", code, got, want)
		}
	}
}

// verbRE finds printf verbs, with an optional explicit argument index.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs lists a message's verbs as "argument:verb", sorted, so that a
// translation may reorder its arguments with %[n] but not change them.
func verbs(msg string) []string {
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

func TestCatalogsAgree(t *testing.T) {
	cats := map[string]map[string]string{}
	for _, tag := range supported {
		keys, err := readCatalog(tag.String())
		if err != nil {
			t.Fatal(err)
		}
		cats[tag.String()] = keys
	}
	en := cats["en"]
	for code, keys := range cats {
		for k := range en {
			if _, ok := keys[k]; !ok {
				t.Errorf("%s: missing key %q", code, k)
			}
		}
		for k, v := range keys {
			ref, ok := en[k]
			if !ok {
				t.Errorf("%s: key %q is not in the English catalog", code, k)
				continue
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: key %q is empty", code, k)
			}
			if got, want := verbs(v), verbs(ref); !slices.Equal(got, want) {
				t.Errorf("%s: key %q has verbs %v, English has %v", code, k, got, want)
			}
		}
	}
}

// TestPageKeys pins the keys the web pages use, so a rename here does not
// quietly show raw keys to customers.
func TestPageKeys(t *testing.T) {
	keys := []string{
		"page.thanks.title", "page.thanks.body", "page.change", "page.comment.label",
		"page.comment.submit", "page.comment.thanks", "page.invalid.title", "page.invalid.body",
		"page.expired.title", "page.error.title", "page.error.body",
		"score.csat.1", "score.csat.2", "score.csat.3", "score.csat.4", "score.csat.5",
		// The answer page: the question per survey, the scale's ends, the
		// low-score reasons, and the confirm/saving/saved states. NPS and
		// CES reuse the email's wording (ask.*, score.ces.1/7) so the page
		// and the email ask the same question.
		"page.csat.question", "ask.nps", "ask.ces",
		"page.nps.low", "page.nps.high", "score.ces.1", "score.ces.7",
		"page.reasons.label", "reason.waiting", "reason.staff", "reason.quality",
		"reason.price", "reason.communication", "reason.other",
		"page.confirm.submit", "page.saving", "page.saved",
		// The team's incident timeline page.
		"page.team.title",
	}
	for _, code := range []string{"en", "el", "es"} {
		l := For(code)
		for _, k := range keys {
			if !l.Has(k) {
				t.Errorf("%s: missing %q", code, k)
			}
		}
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		code, key string
		args      []any
		want      string
	}{
		{"en", "page.thanks.body", []any{4, 5}, "You rated us 4 out of 5."},
		{"el", "page.thanks.body", []any{4, 5}, "Μας βαθμολογήσατε με 4 στα 5."},
		{"es", "page.thanks.body", []any{4, 5}, "Nos ha puntuado con un 4 de 5."},
		{"en", "score.csat.5", nil, "Very happy"},
		{"el", "page.comment.submit", nil, "Αποστολή"},
		{"es", "page.thanks.title", nil, "¡Gracias!"},
		{"es", "no.such.key", nil, "no.such.key"},
		{"en", "reason.quality", nil, "Quality of the service"},
		{"el", "page.reasons.label", nil, "Τι δεν πήγε καλά; (προαιρετικό)"},
		{"es", "page.saving", nil, "Guardando su respuesta…"},
		{"en", "team_alert.score.value", []any{2, 1, 5, "CSAT"}, "2 on a 1–5 scale (CSAT)"},
		{"es", "team_alert.score.value", []any{0, 0, 10, "NPS"}, "0 en una escala de 0 a 10 (NPS)"},
	}
	for _, tc := range tests {
		if got := For(tc.code).T(tc.key, tc.args...); got != tc.want {
			t.Errorf("%s T(%q) = %q, want %q", tc.code, tc.key, got, tc.want)
		}
	}
}

func TestDate(t *testing.T) {
	athens, err := time.LoadLocation("Europe/Athens")
	if err != nil {
		t.Fatal(err)
	}
	fri := time.Date(2026, time.November, 20, 10, 0, 0, 0, time.UTC)
	sat := time.Date(2026, time.May, 2, 9, 0, 0, 0, time.UTC)
	mon := time.Date(2027, time.February, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		code   string
		t      time.Time
		date   string
		onDate string
	}{
		{"en", fri, "Friday, 20 November 2026", "on Friday, 20 November 2026"},
		{"el", fri, "Παρασκευή, 20 Νοεμβρίου 2026", "την Παρασκευή, 20 Νοεμβρίου 2026"},
		{"es", fri, "viernes, 20 de noviembre de 2026", "el viernes, 20 de noviembre de 2026"},
		{"el", sat, "Σάββατο, 2 Μαΐου 2026", "το Σάββατο, 2 Μαΐου 2026"},
		{"el", mon, "Δευτέρα, 1 Φεβρουαρίου 2027", "τη Δευτέρα, 1 Φεβρουαρίου 2027"},
		{"es", sat, "sábado, 2 de mayo de 2026", "el sábado, 2 de mayo de 2026"},
		// 23:30 UTC on the 20th is already the 21st in Athens: the date is
		// the one the customer lived.
		{"en", time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC).In(athens), "Saturday, 21 November 2026", "on Saturday, 21 November 2026"},
	}
	for _, tc := range tests {
		l := For(tc.code)
		if got := l.Date(tc.t); got != tc.date {
			t.Errorf("%s Date(%v) = %q, want %q", tc.code, tc.t, got, tc.date)
		}
		if got := l.OnDate(tc.t); got != tc.onDate {
			t.Errorf("%s OnDate(%v) = %q, want %q", tc.code, tc.t, got, tc.onDate)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	done := make(chan string)
	for i := range 8 {
		go func() {
			l := For([]string{"en", "el", "es"}[i%3])
			done <- l.T("page.thanks.body", i, 5) + l.Date(time.Now())
		}()
	}
	for range 8 {
		<-done
	}
}

func TestVerbs(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"%d of %s", "%[2]s: %[1]d", true},
		{"%d of %d", "%d de %d", true},
		{"%s", "%d", false},
		{"%s", "no verb", false},
		{"100%% %s", "%s", true},
	}
	for _, tc := range tests {
		if got := slices.Equal(verbs(tc.a), verbs(tc.b)); got != tc.same {
			t.Errorf("verbs(%q) vs verbs(%q): same = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
