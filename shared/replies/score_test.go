package replies

import (
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

func TestScore(t *testing.T) {
	csat, nps, ces := domain.SurveyCSAT, domain.SurveyNPS, domain.SurveyCES
	tests := []struct {
		text string
		kind domain.SurveyKind
		want int // 0 with ok=false when want < 0
	}{
		{"5", csat, 5},
		{"  4\n", csat, 4},
		{"5.", csat, 5},
		{"5!!", csat, 5},
		{"4/5", csat, 4},
		{"4 / 5", csat, 4},
		{"05", csat, 5},
		{"0", nps, 0},
		{"10", nps, 10},
		{"9/10", nps, 9},
		{"7/7", ces, 7},
		{"five", csat, 5},
		{"Cinco", csat, 5},
		{"πέντε", csat, 5},
		{"πεντε", csat, 5},
		{"ΠΈΝΤΕ", csat, 5},
		{"δέκα", nps, 10},
		{"cero", nps, 0},
		{"uno", csat, 1},

		{"6", csat, -1},    // out of range
		{"0", csat, -1},    // CSAT starts at 1
		{"11", nps, -1},    // out of range
		{"4/5", nps, -1},   // another scale: no guessing
		{"8/10", csat, -1}, // likewise
		{"4/4", csat, -1},
		{"4 stars", csat, -1},
		{"5 :)", csat, -1},
		{"4.5", csat, -1},
		{"-1", nps, -1},
		{"+5", csat, -1},
		{"5 5", csat, -1},
		{"room 5 was noisy", csat, -1},
		{"2 of us came", csat, -1},
		{"five/5", csat, -1},
		{"", csat, -1},
		{"5", domain.SurveyNone, -1}, // no survey pending
		{"5", "bogus", -1},
	}
	for _, tc := range tests {
		got, ok := Score(tc.text, tc.kind)
		if tc.want < 0 {
			if ok {
				t.Errorf("Score(%q, %s) = %d, true; want no score", tc.text, tc.kind, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("Score(%q, %s) = %d, %v; want %d", tc.text, tc.kind, got, ok, tc.want)
		}
	}
}

func TestGuessLang(t *testing.T) {
	for text, want := range map[string]string{
		"Everything was great, thank you": "en",
		"Todo fue muy bien, gracias":      "es",
		"¿Pueden revisarlo?":              "es",
		"Όλα ήταν υπέροχα":                "el",
		"Τέλεια εμπειρία με το Wi-Fi":     "el",
		"5":     "",
		"👍":     "",
		"Ok":    "",
		"Nikos": "",
	} {
		if got := guessLang(text); got != want {
			t.Errorf("guessLang(%q) = %q, want %q", text, got, want)
		}
	}
}
