package replies

import (
	"encoding/json"
	"strings"
	"testing"
)

// supportedLangs are the languages the README promises in full.
var supportedLangs = []string{"en", "el", "es", "de", "fr", "it", "pt", "nl", "ru", "pl"}

// TestMarkersCoverSupportedLanguages: every language we promise has each
// kind of marker and its number words, so no rule silently lacks one.
func TestMarkersCoverSupportedLanguages(t *testing.T) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(markersJSON, &raw); err != nil {
		t.Fatal(err)
	}
	for _, lang := range supportedLangs {
		var m langMarkers
		if err := json.Unmarshal(raw[lang], &m); err != nil {
			t.Errorf("%s: %v", lang, err)
			continue
		}
		for kind, list := range map[string][]string{
			"wrote": m.Wrote, "from": m.From, "sent": m.Sent, "to": m.To, "subject": m.Subject,
			"separators": m.Separators, "footers": m.Footers,
		} {
			if len(list) == 0 {
				t.Errorf("%s: no %s markers", lang, kind)
			}
		}
		if len(m.Numbers) != 11 {
			t.Errorf("%s: %d number entries, want zero to ten", lang, len(m.Numbers))
		}
	}
}

func TestLoadMarkersRejectsBadData(t *testing.T) {
	for name, data := range map[string]string{
		"not JSON":          `{`,
		"a language, wrong": `{"en": {"wrote": "wrote"}}`,
		"numbers miscount":  `{"en": {"numbers": ["zero", "one"]}}`,
	} {
		if _, err := loadMarkers([]byte(data)); err == nil || !strings.HasPrefix(err.Error(), "replies: markers") {
			t.Errorf("%s: loadMarkers error = %v, want one saying it is the markers", name, err)
		}
	}
}

// TestNumberWords: a rating typed as a word counts in every supported
// language, accents or not.
func TestNumberWords(t *testing.T) {
	five := map[string]string{"en": "five", "el": "πεντε", "es": "cinco", "de": "fünf", "fr": "cinq",
		"it": "cinque", "pt": "cinco", "nl": "vijf", "ru": "пять", "pl": "pięć"}
	for _, lang := range supportedLangs {
		if n, ok := markers.numbers[five[lang]]; !ok || n != 5 {
			t.Errorf("%s: %q = %d, %v; want 5", lang, five[lang], n, ok)
		}
	}
}
