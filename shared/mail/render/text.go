package render

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Limits on customer-supplied text, in runes.
const (
	maxText  = 500
	maxLabel = 60
)

// sanitize cleans the customer-supplied fields of a request. Escaping is
// html/template's job; this removes what escaping cannot: line breaks that
// would reach a subject, control characters, and bidi overrides that could
// make a name display as something else.
func sanitize(req Request) Request {
	req.CustomerName = clean(req.CustomerName, maxText)
	req.Title = clean(req.Title, maxText)
	req.Location = clean(req.Location, maxText)
	req.Agent = clean(req.Agent, maxText)
	return req
}

// clean collapses whitespace and control characters to single spaces,
// drops bidi embedding/override/isolate marks and invalid UTF-8, trims, and
// cuts the result to max runes.
func clean(s string, max int) string {
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
	return truncate(b.String(), max)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// truncate cuts s to at most n runes, marking a cut with an ellipsis.
func truncate(s string, n int) string {
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

// oneLine makes a header-safe subject: no CR, LF or other controls, ever.
func oneLine(s string) string { return clean(s, 200) }

var blankLines = regexp.MustCompile(`\n{3,}`)

// tidyText normalises hermes' plain-text output: LF line ends, no trailing
// blanks, at most one empty line in a row, a final newline.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, ln := range lines {
		lines[i] = strings.TrimRightFunc(ln, unicode.IsSpace)
	}
	s = blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.TrimSpace(s) + "\n"
}

// checkURL accepts absolute http(s) links only: a rating link is opened by
// the customer's mail client, and anything else is a bug upstream.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("empty link")
	}
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errors.New("link contains whitespace or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("link must be an absolute http(s) URL")
	}
	return nil
}
