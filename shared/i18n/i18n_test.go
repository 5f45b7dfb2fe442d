package i18n

import (
	"encoding/json"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

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
		{"de-DE", "de"},
		{"de-AT", "de"},
		{"de-CH", "de"},
		{"fr-CA,fr;q=0.9", "fr"},
		{"fr_BE", "fr"},
		{"it-IT", "it"},
		{"it-CH", "it"},
		{"pt-PT", "pt"},
		{"pt-BR", "pt"},
		{"pt_BR", "pt"},
		{"zh-Hant-TW", "en"},
		{"ja-JP,de;q=0.5", "de"},
		{"nl-NL,el;q=0.8,en;q=0.5", "el"},
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
	for code, want := range map[string]language.Tag{
		"en": language.English, "el": language.Greek, "es": language.Spanish,
		"de": language.German, "fr": language.French, "it": language.Italian, "pt": language.Portuguese,
	} {
		if got := For(code).Tag(); got != want {
			t.Errorf("For(%q).Tag() = %v, want %v", code, got, want)
		}
	}
}

// sameAsEnglish lists the messages that are rightly identical to English
// in another language: cognates and loanwords a native speaker would write
// the same way. Anything else equal to the English text is taken to be
// untranslated, which is what a new key copied across looks like.
var sameAsEnglish = map[string][]string{
	"de": {"month.4", "month.8", "month.9", "month.11", "loyalty.month.4", "loyalty.month.8", "loyalty.month.9", "loyalty.month.11", "team_alert.status", "score.csat.3"},
	"fr": {"reason.communication"},
	"it": {},
	"pt": {},
	"es": {},
	"el": {"team_alert.email"},
}

// noWords reports whether msg has no letters outside its verbs, such as
// "%[1]s (%[2]s)": a format, not a phrase, the same in every language.
func noWords(msg string) bool {
	rest := verbRE.ReplaceAllString(msg, "")
	return !strings.ContainsFunc(rest, unicode.IsLetter)
}

// TestCatalogsAgree is what keeps every language complete: each key of each
// English catalog file must exist in every other language, with the same
// placeholders, and be translated. Its failures name the language, the
// English file the key comes from and every missing or untranslated key,
// so whoever adds a template sees at once what is left to write.
func TestCatalogsAgree(t *testing.T) {
	enFiles, err := fs.Glob(files, "catalog/en/*.json")
	if err != nil || len(enFiles) == 0 {
		t.Fatalf("no English catalog files: %v", err)
	}
	cats := map[string]map[string]string{}
	for _, code := range Codes() {
		keys, err := readCatalog(code)
		if err != nil {
			t.Fatal(err)
		}
		cats[code] = keys
	}
	en := cats["en"]
	for _, code := range Codes()[1:] {
		keys := cats[code]
		allowed := map[string]bool{}
		for _, k := range sameAsEnglish[code] {
			allowed[k] = true
			if v, ok := keys[k]; ok && v != en[k] {
				t.Errorf("%s: %q is allowed to equal English but does not: drop it from sameAsEnglish", code, k)
			}
		}
		for _, file := range enFiles {
			raw, err := files.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var part map[string]string
			if err := json.Unmarshal(raw, &part); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var missing, untranslated []string
			for k, ref := range part {
				v, ok := keys[k]
				switch {
				case !ok:
					missing = append(missing, k)
				case v == ref && !allowed[k] && !noWords(ref):
					untranslated = append(untranslated, k)
				}
			}
			slices.Sort(missing)
			slices.Sort(untranslated)
			if len(missing) > 0 {
				t.Errorf("%s: %d keys of %s are missing from catalog/%s/%s:\n\t%s",
					code, len(missing), file, code, path.Base(file), strings.Join(missing, "\n\t"))
			}
			if len(untranslated) > 0 {
				t.Errorf("%s: %d keys of %s are still in English in catalog/%s (translate them, or list true cognates in sameAsEnglish):\n\t%s",
					code, len(untranslated), file, code, strings.Join(untranslated, "\n\t"))
			}
		}
	}
	for code, keys := range cats {
		for k, v := range keys {
			ref, ok := en[k]
			if !ok {
				t.Errorf("%s: key %q is not in the English catalog", code, k)
				continue
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: key %q is empty", code, k)
			}
			if got, want := Verbs(v), Verbs(ref); !slices.Equal(got, want) {
				t.Errorf("%s: key %q has verbs %v, English has %v", code, k, got, want)
			}
		}
	}
}

// TestEveryLanguageRenders formats every message of every language with
// sample arguments and fails on the printer's error markers, so a verb
// that parses but cannot format (a %d given a word) is caught too.
func TestEveryLanguageRenders(t *testing.T) {
	for _, code := range Codes() {
		l := For(code)
		if l.Code() != code {
			t.Fatalf("For(%q) = %q: a supported language is not reachable", code, l.Code())
		}
		for k := range l.keys {
			var args []any
			for _, v := range Verbs(l.keys[k]) {
				if strings.HasSuffix(v, ":d") {
					args = append(args, 7)
				} else {
					args = append(args, "X")
				}
			}
			if got := l.T(k, args...); strings.Contains(got, "%!") || got == k {
				t.Errorf("%s: %q formats as %q", code, k, got)
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
		"page.team.title", "page.team.older", "page.team.from", "page.team.timeline", "page.team.answers",
		"page.team.agent", "page.team.starts", "page.team.attention", "page.team.attention.open",
		"page.team.escalations", "page.team.recovered", "page.team.not_recovered",
	}
	for _, code := range Codes() {
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
		{"de", "page.thanks.body", []any{4, 5}, "Sie haben uns mit 4 von 5 bewertet."},
		{"fr", "page.thanks.body", []any{4, 5}, "Vous nous avez attribué la note de 4 sur 5."},
		{"it", "page.thanks.body", []any{4, 5}, "Ci ha dato 4 su 5."},
		{"pt", "page.thanks.body", []any{4, 5}, "Atribuiu-nos 4 de 5."},
		{"de", "team_alert.score.value", []any{2, 1, 5, "CSAT"}, "2 auf einer Skala von 1 bis 5 (CSAT)"},
		{"fr", "page.thanks.title", nil, "Merci\u00a0!"},
		{"pt-BR", "page.comment.submit", nil, "Enviar"},
		// A count stands apart from the words, so no language needs a
		// plural form for it.
		{"de", "page.team.older", []any{1}, "Nicht aufbewahrte ältere Einträge: 1"},
		{"en", "page.team.older", []any{12}, "Older entries not kept: 12"},
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
		{"de", fri, "Freitag, 20. November 2026", "am Freitag, 20. November 2026"},
		{"de", mon, "Montag, 1. Februar 2027", "am Montag, 1. Februar 2027"},
		{"fr", fri, "vendredi 20 novembre 2026", "le vendredi 20 novembre 2026"},
		{"fr", mon, "lundi 1er février 2027", "le lundi 1er février 2027"},
		{"it", fri, "venerdì 20 novembre 2026", "venerdì 20 novembre 2026"},
		{"pt", fri, "sexta-feira, 20 de novembro de 2026", "na sexta-feira, 20 de novembro de 2026"},
		{"pt", sat, "sábado, 2 de maio de 2026", "no sábado, 2 de maio de 2026"},
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
			l := For(Codes()[i%len(Codes())])
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
		if got := slices.Equal(Verbs(tc.a), Verbs(tc.b)); got != tc.same {
			t.Errorf("Verbs(%q) vs Verbs(%q): same = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
