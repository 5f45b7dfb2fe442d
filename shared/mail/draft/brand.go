package draft

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Defaults used when the Brand leaves a field empty.
const (
	DefaultName  = "Aftercare"
	DefaultColor = "#2b6cb0"
)

// maxBrandText bounds each of the brand's texts, in runes.
const maxBrandText = 500

// WithDefaults cleans the brand and fills in what is empty, so that emails
// and the customer pages show the same brand.
func WithDefaults(b Brand) Brand {
	b.Name = CleanLine(b.Name, maxBrandText)
	if b.Name == "" {
		b.Name = DefaultName
	}
	if !colorRE.MatchString(b.Color) {
		b.Color = DefaultColor
	}
	b.Copyright = CleanLine(b.Copyright, maxBrandText)
	b.Signature = CleanLine(b.Signature, maxBrandText)
	return b
}

// CopyrightLine is the footer line: Copyright, or "© <year> <Name>".
func CopyrightLine(b Brand, now time.Time) string {
	if b.Copyright != "" {
		return b.Copyright
	}
	return fmt.Sprintf("© %d %s", now.Year(), b.Name)
}

var colorRE = regexp.MustCompile(`^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$`)

// CleanLine collapses whitespace and control characters to single spaces,
// drops bidi embedding/override/isolate marks and invalid UTF-8, trims, and
// cuts the result to max runes.
func CleanLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	pendingSpace := false
	for _, r := range s {
		switch {
		case isBidiControl(r):
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r)
	}
	return Truncate(b.String(), max)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// Truncate cuts s to at most n runes, marking a cut with an ellipsis.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return strings.TrimRightFunc(s[:pos], unicode.IsSpace) + "…"
		}
		i++
	}
	return s
}
