package replies

import (
	"strings"
	"unicode"
)

// Common short words that tell English from Spanish in a reply of a few
// lines. Greek needs no list: its script gives it away.
var (
	englishWords = wordSet("the and was were very thank thanks you we it is great good our with for but not all this had lovely")
	spanishWords = wordSet("el la los las y fue muy gracias muchas hola todo pero que con por una para excelente bien nuestro estuvo")
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// guessLang guesses the language of a short reply among the ones we ship
// ("en", "el", "es"), or "" when it cannot tell (a lone number, an
// emoji). It is a hint for answering in the customer's language, not a
// classifier: the incident's locale stays the authority.
func guessLang(text string) string {
	var greek, latin int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Greek, r):
			greek++
		case unicode.Is(unicode.Latin, r):
			latin++
		}
	}
	if greek > 0 && greek >= latin {
		return "el"
	}
	if latin == 0 {
		return ""
	}
	en, es := 0, 0
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r)
	}) {
		if englishWords[w] {
			en++
		}
		if spanishWords[w] {
			es++
		}
		if strings.ContainsAny(w, "ñáéíóú") {
			es++
		}
	}
	if strings.ContainsAny(text, "¿¡") {
		es += 2
	}
	switch {
	case es > en:
		return "es"
	case en > es:
		return "en"
	}
	return ""
}
