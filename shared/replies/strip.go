package replies

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The text stripper keeps what the customer typed above (or between) the
// history their mail client quoted. It works line by line: it finds the
// first line where quoted history or a signature begins and cuts there,
// then drops any remaining ">"-quoted lines, so an answer written between
// quoted lines (inline reply) survives while the quotes go.
//
// Every rule is anchored to a whole line and most need a second clue (an
// attribution must carry a digit and an address or be followed by a quote;
// a header block needs From plus Sent/Date plus To/Subject), because
// cutting a customer's real words is worse than keeping a stray quote.

// Attribution lines: "On <date>, <name> wrote:" as English clients write
// it, and the forms of the languages we ship: Spanish "El <date>, <name>
// escribió:", Greek "Στις <date>, ο/η <name> έγραψε:". Gmail wraps the
// line, so it is matched on up to three joined lines.
var (
	attribOpenRE  = regexp.MustCompile(`(?i)^(on|el|στις)\s`)
	attribCloseRE = regexp.MustCompile(`(?i)\s(wrote|escribió|έγραψε)\s?:$`)
	digitRE       = regexp.MustCompile(`[0-9]`)
)

// attribLang maps the verb of an attribution to the language it is in,
// a hint for Reply.Lang when the customer's words alone do not tell.
var attribLang = map[string]string{"wrote": "en", "escribió": "es", "έγραψε": "el"}

// separatorRE matches the lines Outlook and others put above a quoted or
// forwarded message, in English, Spanish and Greek.
var separatorRE = regexp.MustCompile(`(?i)^-{2,}\s*(original message|mensaje original|αρχικό μήνυμα|forwarded message|mensaje reenviado|προωθημένο μήνυμα)\s*-{2,}$`)

var separatorLang = map[string]string{
	"original message": "en", "forwarded message": "en",
	"mensaje original": "es", "mensaje reenviado": "es",
	"αρχικό μήνυμα": "el", "προωθημένο μήνυμα": "el",
}

// Header block fields of Outlook's quoted message ("From: … Sent: … To: …
// Subject:"), localised; "*From:*" is how some text conversions render the
// bold labels.
var (
	hdrFromRE    = regexp.MustCompile(`(?i)^\*?(from|de|από)\s?:\*?(\s|$)`)
	hdrSentRE    = regexp.MustCompile(`(?i)^\*?(sent|date|enviado|enviado el|fecha|στάλθηκε|ημερομηνία)\s?:\*?(\s|$)`)
	hdrToRE      = regexp.MustCompile(`(?i)^\*?(to|para|προς)\s?:\*?(\s|$)`)
	hdrSubjectRE = regexp.MustCompile(`(?i)^\*?(subject|asunto|θέμα)\s?:\*?(\s|$)`)
	hdrCcRE      = regexp.MustCompile(`(?i)^\*?(cc|cco|bcc|κοιν\.?)\s?:\*?(\s|$)`)
)

var headerLang = map[string]string{"from": "en", "de": "es", "από": "el"}

// underscoreRE is Outlook's rule above the quoted header block.
var underscoreRE = regexp.MustCompile(`^_{10,}$`)

// mobileSigRE matches the footers phone mail apps append: "Sent from my
// iPhone", "Enviado desde mi iPhone", "Στάλθηκε από το iPhone μου", "Get
// Outlook for iOS", "Sent from Yahoo Mail on Android" and the like. Only a
// short line that starts with one of these counts.
var mobileSigRE = regexp.MustCompile(`(?i)^(sent from|sent with|sent via|get outlook for|enviado desde|enviado con|obtener outlook para|στάλθηκε από|απεστάλη από|αποστολή από)\s`)

const maxMobileSigLen = 80

// mobileSigLang is the language of a phone footer's opening words.
func mobileSigLang(l string) string {
	switch m := strings.ToLower(mobileSigRE.FindStringSubmatch(l)[1]); {
	case strings.HasPrefix(m, "enviado"), strings.HasPrefix(m, "obtener"):
		return "es"
	case strings.ContainsAny(m, "αεοή"):
		return "el"
	}
	return "en"
}

// cut is where quoted history or a signature begins, and the language the
// marker was written in ("" when it does not tell).
type cut struct {
	line int
	lang string
}

// stripText returns the customer's new words in text and the language of
// the first quote marker found.
func stripText(text string) (string, string) {
	lines := strings.Split(normalizeNewlines(text), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	c, drop := findCut(lines)
	kept := lines[:0]
	for i, l := range lines[:c.line] {
		if !drop[i] && !isQuoted(l) {
			kept = append(kept, l)
		}
	}
	return tidy(kept), c.lang
}

// findCut returns the first line where history or a signature starts
// (len(lines) if none does), and the attribution lines to drop before it.
//
// An attribution followed by ">"-quoted lines is dropped rather than cut
// at: the quotes go anyway, and words after them are the customer's
// answers written between quoted lines. An attribution followed by
// unquoted text (Yahoo, Outlook) starts the history: cut.
func findCut(lines []string) (cut, map[int]bool) {
	var drop map[int]bool
	lang := ""
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || isQuoted(l) {
			continue
		}
		switch {
		case l == "--": // "-- " with its space trimmed, as many clients send it
			return cut{i, lang}, drop
		case separatorRE.MatchString(l):
			m := separatorRE.FindStringSubmatch(l)
			return cut{i, separatorLang[strings.ToLower(m[1])]}, drop
		case underscoreRE.MatchString(l) && headerBlockAt(lines, nextNonBlank(lines, i+1)) != "":
			return cut{i, headerBlockAt(lines, nextNonBlank(lines, i+1))}, drop
		case len(l) <= maxMobileSigLen && mobileSigRE.MatchString(l):
			return cut{i, mobileSigLang(l)}, drop
		}
		if hl := headerBlockAt(lines, i); hl != "" {
			return cut{i, hl}, drop
		}
		if al, end, ok := attributionAt(lines, i); ok {
			if k := nextNonBlank(lines, end+1); k < len(lines) && isQuoted(lines[k]) {
				if drop == nil {
					drop = map[int]bool{}
				}
				for j := i; j <= end; j++ {
					drop[j] = true
				}
				if lang == "" {
					lang = al
				}
				i = end
				continue
			}
			return cut{i, al}, drop
		}
	}
	return cut{len(lines), lang}, drop
}

// attributionAt reports whether an attribution starts at lines[i], and
// the line it ends on.
func attributionAt(lines []string, i int) (lang string, end int, ok bool) {
	if !attribOpenRE.MatchString(strings.TrimSpace(lines[i])) {
		return "", 0, false
	}
	joined := ""
	for j := i; j < len(lines) && j < i+3; j++ {
		l := strings.TrimSpace(lines[j])
		if l == "" || (j > i && isQuoted(l)) {
			return "", 0, false
		}
		if joined != "" {
			joined += " "
		}
		joined += l
		if len(joined) > 400 {
			return "", 0, false
		}
		m := attribCloseRE.FindStringSubmatch(joined)
		if m == nil {
			continue
		}
		// A second clue: a date has digits, and the quoted author has an
		// address or the quote follows. "On Monday we wrote:" has neither.
		if !digitRE.MatchString(joined) {
			return "", 0, false
		}
		quoteFollows := false
		if k := nextNonBlank(lines, j+1); k < len(lines) && isQuoted(lines[k]) {
			quoteFollows = true
		}
		if !strings.Contains(joined, "@") && !quoteFollows {
			return "", 0, false
		}
		return attribLang[strings.ToLower(m[1])], j, true
	}
	return "", 0, false
}

// headerBlockAt returns the language of a quoted-message header block
// starting at lines[i] ("" if there is none): a From line followed, within
// the next six lines, by a Sent/Date line and a To or Subject line.
func headerBlockAt(lines []string, i int) string {
	if i >= len(lines) {
		return ""
	}
	m := hdrFromRE.FindStringSubmatch(strings.TrimSpace(lines[i]))
	if m == nil {
		return ""
	}
	var sent, toOrSubject bool
block:
	for j := i + 1; j < len(lines) && j <= i+6; j++ {
		l := strings.TrimSpace(lines[j])
		switch {
		case hdrSentRE.MatchString(l):
			sent = true
		case hdrToRE.MatchString(l), hdrSubjectRE.MatchString(l):
			toOrSubject = true
		case hdrCcRE.MatchString(l), l == "":
		case strings.HasPrefix(lines[j], " "), strings.HasPrefix(lines[j], "\t"):
			// Outlook wraps long To lists onto indented lines.
		default:
			break block
		}
	}
	if !sent || !toOrSubject {
		return ""
	}
	return headerLang[strings.ToLower(m[1])]
}

func nextNonBlank(lines []string, i int) int {
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return i
}

func isQuoted(l string) bool {
	return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">")
}

// tidy trims blank lines at both ends and runs of blank lines inside, so
// what is stored reads as the customer wrote it.
func tidy(lines []string) string {
	var b strings.Builder
	blank := 0
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
			if blank > 0 {
				b.WriteString("\n")
			}
		}
		blank = 0
		b.WriteString(l)
	}
	return b.String()
}

// normalizeNewlines turns CRLF and lone CR into LF, non-breaking spaces
// (which Outlook and Apple Mail write for blank lines) into spaces, and
// drops zero-width and byte-order marks that clients insert into quotes.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u00a0':
			return ' '
		case '\ufeff', '\u200b', '\u200c', '\u200d', '\u2060':
			return -1
		}
		return r
	}, s)
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}
