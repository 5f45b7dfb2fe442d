package mail

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aftercare/aftercare/shared/domain"
)

// MaxName is the most runes of a display name written in From, To or
// Reply-To; a longer one is cut, ending in "…". Nobody's name is longer,
// and a mail client shows fewer.
const MaxName = 100

// DisplayName is name as Build writes it in an address header: one line
// (OneLine), cut to MaxName runes with an ellipsis.
func DisplayName(name string) string {
	name = OneLine(name)
	if utf8.RuneCountInString(name) <= MaxName {
		return name
	}
	return strings.TrimRightFunc(string([]rune(name)[:MaxName-1]), unicode.IsSpace) + "…"
}

// OneLine makes s safe as a header value: every run of whitespace or
// control characters, CR and LF included, becomes one space, and the bidi
// controls domain.CleanText removes are dropped.
func OneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(domain.CleanText(s)), " ")
}
