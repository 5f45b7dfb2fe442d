package replies

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/aftercare/aftercare/shared/domain"
)

// A reply scores only when it is nothing but a rating, because a number
// inside a sentence ("2 of us came", "room 5 was noisy", "I'd give it 4,
// but…") is not one. Accepted, after trimming whitespace and trailing
// punctuation (".", "!", …):
//
//   - a lone integer: "5", "5.", " 9 !"
//   - an integer out of the survey's top score: "4/5" for CSAT, "8/10" or
//     "8 / 10" for NPS, "6/7" for CES; "4/5" is not read as an NPS score,
//     since rescaling is a guess;
//   - a lone number word from zero to ten in a language of markers.json
//     ("five", "cinco", "πέντε", "fünf", "cinq", "пять"), with or
//     without Greek accents.
//
// Not accepted: "4 stars", "5 :)", "4.5", "-1", "five/5", several numbers,
// anything with other words. A number outside the survey's range does not
// score either. Those replies are still recorded as comments.
var scoreRE = regexp.MustCompile(`^([0-9]{1,2})(?:\s*/\s*([0-9]{1,2}))?$`)

// Score returns the rating a reply gives for a survey of the given kind,
// if the reply is nothing but one (see above) and it is in range.
func Score(text string, kind domain.SurveyKind) (int, bool) {
	lo, hi := kind.Range()
	if lo > hi || len(text) > 64 {
		return 0, false
	}
	s := strings.TrimRightFunc(strings.TrimSpace(text), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(".!,;:…", r)
	})
	n, ok := -1, false
	if m := scoreRE.FindStringSubmatch(s); m != nil {
		n, _ = strconv.Atoi(m[1])
		ok = m[2] == "" || m[2] == strconv.Itoa(hi)
	} else if v, found := markers.numbers[foldGreek(strings.ToLower(s))]; found {
		n, ok = v, true
	}
	if !ok || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// foldGreek drops Greek tonos and dialytika, which people type or omit
// at will ("πεντε", "πέντε").
func foldGreek(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'ά':
			return 'α'
		case 'έ':
			return 'ε'
		case 'ή':
			return 'η'
		case 'ί', 'ϊ', 'ΐ':
			return 'ι'
		case 'ό':
			return 'ο'
		case 'ύ', 'ϋ', 'ΰ':
			return 'υ'
		case 'ώ':
			return 'ω'
		}
		return r
	}, s)
}
