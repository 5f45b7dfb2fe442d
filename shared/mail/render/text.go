package render

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/aftercare/aftercare/shared/mail/draft"
)

// Limits on customer-supplied text, in runes.
const (
	maxText  = 500
	maxLabel = 60
	// maxQuote bounds a comment or reply in a team alert: enough for what
	// a person writes (the rating page allows 4,000), while a pasted log
	// or a runaway thread stays on the timeline instead of the inbox.
	maxQuote = 4000
	// maxReasons bounds the reason list; the page offers six.
	maxReasons = 12
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
	req.CustomerEmail = clean(req.CustomerEmail, maxText)
	req.Provider = clean(req.Provider, maxText)
	req.Ref = clean(req.Ref, maxText)
	req.Status = clean(req.Status, maxLabel)
	req.Cause = clean(req.Cause, maxLabel)
	req.Kind = clean(req.Kind, maxLabel)
	req.Comment = multiline(req.Comment, maxQuote)
	req.ReplyText = multiline(req.ReplyText, maxQuote)
	req.Reasons = reasonCodes(req.Reasons)
	req.TimelineURL = safeLink(req.TimelineURL)
	req.UnsubscribeURL = safeLink(req.UnsubscribeURL)
	req.Advice = multiline(req.Advice, maxQuote)
	return req
}

// safeLink returns raw as a canonical absolute http(s) URL, or "" when it
// is anything else. A bad timeline link loses the button, not the alert:
// the team still needs to hear that a customer is unhappy. Re-encoding
// escapes quotes and angle brackets, so even the plain-text part, which
// nothing escapes, shows no markup.
func safeLink(raw string) string {
	if raw == "" || checkURL(raw) != nil {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.String()
}

// reasonCodes cleans the reason codes into a new slice (the caller's is
// left alone), dropping empty and repeated ones.
func reasonCodes(codes []string) []string {
	var out []string
	for _, c := range codes {
		c = clean(c, maxLabel)
		if c == "" || slices.Contains(out, c) {
			continue
		}
		if len(out) == maxReasons {
			break
		}
		out = append(out, c)
	}
	return out
}

// lineBreaks turns every kind of line or paragraph break into LF, so that
// customer text keeps its shape whatever client wrote it.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n\n")

// multiline is clean for text whose lines matter (a comment, an email
// reply): each line is cleaned on its own, runs of blank lines become one
// paragraph break, and the whole is cut to max runes. Lines stay text; the
// templates put each in its own escaped slot.
func multiline(s string, max int) string {
	var paras []string
	var lines []string
	flush := func() {
		if len(lines) > 0 {
			paras = append(paras, strings.Join(lines, "\n"))
			lines = nil
		}
	}
	for _, ln := range strings.Split(lineBreaks.Replace(strings.ToValidUTF8(s, "")), "\n") {
		if ln = clean(ln, max); ln == "" {
			flush()
			continue
		}
		lines = append(lines, ln)
	}
	flush()
	return truncate(strings.Join(paras, "\n\n"), max)
}

// paragraphs splits multiline's output into paragraphs of lines.
func paragraphs(s string) [][]string {
	if s == "" {
		return nil
	}
	var out [][]string
	for _, p := range strings.Split(s, "\n\n") {
		out = append(out, strings.Split(p, "\n"))
	}
	return out
}

// clean collapses whitespace and control characters (draft.CleanLine).
func clean(s string, max int) string { return draft.CleanLine(s, max) }

// truncate cuts s to at most n runes (draft.Truncate).
func truncate(s string, n int) string { return draft.Truncate(s, n) }

// oneLine makes a header-safe subject: no CR, LF or other controls, ever.
func oneLine(s string) string { return clean(s, 200) }

var blankLines = regexp.MustCompile(`\n{3,}`)

// tidyText normalises hermes' plain-text output: LF line ends, no trailing
// blanks, at most one empty line in a row, a final newline.
func tidyText(s string) string {
	// Non-breaking hyphens keep a code on one line in HTML; plain text
	// wraps nothing, and a reader copying from it gets a plain hyphen.
	s = strings.ReplaceAll(s, "\u2011", "-")
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
