package replies

import (
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
// It prefers structure to single phrases: a header block of several
// "Label: value" lines, an attribution that carries a date or an address,
// a run of lines that reproduces the message we sent. Single-line rules
// (phone footers, "-- ") apply only at the end of what the customer
// wrote, because cutting a customer's real words is worse than keeping a
// stray quote. The words themselves, per language, are in markers.json.

// cut is where quoted history or a signature begins, and the language the
// marker was written in ("" when it does not tell). after, when positive,
// is the first line after the marker (an attribution, a header block, a
// separator): where the customer's words may be if they wrote below it.
type cut struct {
	line  int
	lang  string
	after int
}

// stripText returns the customer's new words in text and the language of
// the first quote marker found. sent, if not empty, is the text of the
// message the customer answers: a block reproducing it is history.
func stripText(text, sent string) (string, string) {
	got, lang, _ := stripTextCut(text, sent)
	return got, lang
}

// stripTextCut is stripText, and reports whether anything was found to
// remove (history, a signature, a quoted line).
func stripTextCut(text, sent string) (string, string, bool) {
	lines := strings.Split(normalizeNewlines(text), "\n")
	quoted := false
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
		quoted = quoted || isQuoted(lines[i])
	}
	got, lang, cut := stripLines(lines, newOwnText(sent), maxTopMarkers)
	return got, lang, cut || quoted
}

// maxTopMarkers is how many markers in a row (a separator, then a header
// block, say) may open a message before the words below them are taken
// for the customer's.
const maxTopMarkers = 3

// stripLines keeps the lines before the cut, less quotes. When the
// history starts at the very top, nothing was typed above it: rather than
// return nothing, it keeps what follows the marker (the customer wrote
// below it, or forwarded it and it is all there is to read).
func stripLines(lines []string, own *ownText, topMarkers int) (string, string, bool) {
	c, drop := findCut(lines, own)
	if c.line == nextNonBlank(lines, 0) && c.after > c.line && topMarkers > 0 {
		text, lang, _ := stripLines(lines[c.after:], own, topMarkers-1)
		if lang == "" {
			lang = c.lang
		}
		return text, lang, true
	}
	kept := make([]string, 0, c.line)
	for i, l := range lines[:c.line] {
		if !drop[i] && !isQuoted(l) && !wrappedQuote(lines, i) {
			kept = append(kept, l)
		}
	}
	return tidy(kept), c.lang, c.line < len(lines) || len(drop) > 0
}

// findCut returns the first line where history or a signature starts
// (len(lines) if none does), and the attribution lines to drop before it.
//
// An attribution followed by ">"-quoted lines is dropped rather than cut
// at: the quotes go anyway, and words after them are the customer's
// answers written between quoted lines. An attribution followed by
// unquoted text (Yahoo, Outlook) starts the history: cut.
func findCut(lines []string, own *ownText) (cut, map[int]bool) {
	var drop map[int]bool
	lang := ""
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || isQuoted(l) {
			continue
		}
		if own.startsAt(lines, i) {
			return cut{line: own.extendUp(lines, backOver(lines, i)), lang: lang}, drop
		}
		if ml, end, ok := markerAt(lines, i); ok {
			return cut{backOver(lines, i), ml, end + 1}, drop
		}
		if l == "--" && endsSoon(lines, i+1, own) { // "-- " with its space trimmed
			return cut{line: i, lang: lang}, drop
		}
		if fl, ok := footerAt(l); ok && endsHere(lines, i+1, own) {
			return cut{line: i, lang: fl}, drop
		}
		if before, al, ok := sharedAttribution(l); ok {
			lines[i] = before
			return cut{line: i + 1, lang: al}, drop
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
			return cut{backOver(lines, i), al, end + 1}, drop
		}
		// "Name wrote:" alone, right above the quote it introduces.
		if al, ok := bareAttribution(l); ok {
			if k := nextNonBlank(lines, i+1); k < len(lines) && isQuoted(lines[k]) {
				if drop == nil {
					drop = map[int]bool{}
				}
				drop[i] = true
				if lang == "" {
					lang = al
				}
			}
		}
	}
	return cut{line: len(lines), lang: lang}, drop
}

// sharedAttribution splits a line where a client glued the attribution
// to the customer's last words: "Thanks--- On <date>, <addr> wrote:",
// "reply On <date>, <addr> wrote:". It returns the customer's part. The
// attribution must start at a dash rule or a capitalised opening word
// ("On", "Am", "Le"), so a date written before it is not split off.
func sharedAttribution(l string) (string, string, bool) {
	if i := strings.Index(l, "---"); i > 0 {
		if lang, ok := isAttribution(strings.TrimLeft(l[i:], "-")); ok {
			return strings.TrimSpace(l[:i]), lang, true
		}
	}
	if len(l) > maxAttribution+80 || !strings.Contains(l, ":") || startsWithOpener(strings.ToLower(l)) {
		return "", "", false
	}
	for i := 1; i < len(l); i++ {
		if l[i-1] != ' ' {
			continue
		}
		r := firstRune(l[i:])
		if !unicode.IsUpper(r) || !startsWithOpener(strings.ToLower(l[i:])) {
			continue
		}
		// The customer's part is words: no date, no address, not a rule.
		before := l[:i]
		if strings.ContainsAny(before, "0123456789@<") || strings.TrimFunc(before, isDecorationRune) == "" {
			return "", "", false
		}
		if lang, ok := isAttribution(l[i:]); ok {
			return strings.TrimSpace(before), lang, true
		}
	}
	return "", "", false
}

// markerAt reports whether history starts at lines[i] by a marker that
// needs no context: a separator ("-----Original Message-----"), a header
// block, or a mailing list's footer; its language and last line.
func markerAt(lines []string, i int) (string, int, bool) {
	l := strings.TrimSpace(lines[i])
	if sl, ok := separatorAt(l); ok {
		return sl, i, true
	}
	if hl, end, ok := headerBlockAt(lines, i); ok {
		return hl, end, true
	}
	if isDecoration(l) && listFooterAt(lines, nextNonBlank(lines, i+1)) {
		return "", len(lines) - 1, true
	}
	return "", 0, false
}

// wrappedQuote reports whether lines[i], unquoted, is the tail of a
// quoted line that a client wrapped without repeating the ">": it sits
// between two quoted lines with no blank line, and the quoted line above
// it was cut mid-sentence. An answer written between quotes follows a
// complete quoted sentence ("> Was it on time?" / "Yes.") and stays.
func wrappedQuote(lines []string, i int) bool {
	if i == 0 || i+1 >= len(lines) || !isQuoted(lines[i-1]) || !isQuoted(lines[i+1]) {
		return false
	}
	cur := strings.TrimSpace(lines[i])
	if bracketedRE.MatchString(cur) && strings.IndexFunc(bracketedRE.ReplaceAllString(cur, ""), isWordRune) < 0 {
		return true // link debris: "(http://…) >"
	}
	prev := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(lines[i-1]), ">"))
	if prev == "" || strings.ContainsRune(".?!:;)", lastRune(prev)) {
		return false
	}
	// A continuation starts in lower case or mid-word; an answer ("Yes",
	// "5", "All good") does not.
	first := firstRune(cur)
	if !unicode.IsLower(first) && (unicode.IsLetter(first) || unicode.IsDigit(first)) {
		return false
	}
	return len(prev) >= 30 || strings.Count(prev, "(") > strings.Count(prev, ")")
}

// historyAt reports whether lines[k] starts quoted history of any kind:
// a quote, a marker, an attribution, or a rule drawn above one of them.
func historyAt(lines []string, k int, own *ownText) bool {
	if k >= len(lines) {
		return false
	}
	if isDecoration(strings.TrimSpace(lines[k])) {
		if n := nextNonBlank(lines, k+1); n < len(lines) && !isDecoration(strings.TrimSpace(lines[n])) {
			k = n
		}
	}
	if isQuoted(lines[k]) || own.startsAt(lines, k) {
		return true
	}
	if _, _, ok := markerAt(lines, k); ok {
		return true
	}
	_, _, ok := attributionAt(lines, k)
	return ok
}

// endsHere reports whether nothing of the customer's follows line i: only
// blank lines, then the end or quoted history.
func endsHere(lines []string, i int, own *ownText) bool {
	k := nextNonBlank(lines, i)
	return k == len(lines) || historyAt(lines, k, own)
}

// maxSignatureLines is how long a block after "-- " may be and still be
// a signature; a longer one is more likely the customer's words after a
// stray delimiter.
const maxSignatureLines = 12

// endsSoon reports whether at most maxSignatureLines non-blank lines
// follow line i before the end or quoted history.
func endsSoon(lines []string, i int, own *ownText) bool {
	n := 0
	for k := i; k < len(lines); k++ {
		if strings.TrimSpace(lines[k]) == "" {
			continue
		}
		if historyAt(lines, k, own) {
			return true
		}
		if n++; n > maxSignatureLines {
			return false
		}
	}
	return true
}

// separatorAt reports whether l is a separator line such as "-----Original
// Message-----", "-------- Message d'origine --------" or "Begin forwarded
// message:", and its language.
func separatorAt(l string) (string, bool) {
	if len(l) > 120 {
		return "", false
	}
	core := strings.TrimFunc(l, isDecorationRune)
	framed := len(core) < len(l)-1
	if strings.HasSuffix(core, ":") {
		core, framed = strings.TrimSpace(strings.TrimSuffix(core, ":")), true
	}
	if !framed {
		return "", false
	}
	lang, ok := markers.separators[strings.ToLower(core)]
	return lang, ok
}

// listFooterAt reports whether a mailing list's footer ("riak-users
// mailing list", Google Groups' notice) starts at lines[k] and ends the
// message within a few lines.
func listFooterAt(lines []string, k int) bool {
	if k >= len(lines) {
		return false
	}
	low := strings.ToLower(lines[k])
	found := false
	for _, p := range markers.lists {
		if strings.Contains(low, p) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	n := 0
	for _, l := range lines[k:] {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n <= 8
}

// backOver moves a cut at line i up over the separator lines (dashes,
// underscores) clients draw above quoted history.
func backOver(lines []string, i int) int {
	for {
		k := i - 1
		for k >= 0 && k >= i-3 && strings.TrimSpace(lines[k]) == "" {
			k--
		}
		if k < 0 || !isDecoration(strings.TrimSpace(lines[k])) {
			return i
		}
		i = k
	}
}

func isDecorationRune(r rune) bool {
	return strings.ContainsRune("-_=*~—–• \t", r)
}

// isDecoration reports whether l is a rule drawn with dashes, underscores
// or the like.
func isDecoration(l string) bool {
	return utf8.RuneCountInString(l) >= 2 && strings.TrimFunc(l, isDecorationRune) == ""
}

func nextNonBlank(lines []string, i int) int {
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return i
}

// isQuoted reports whether l is a ">"-quoted line. A line framed by
// arrows on both sides (">>> http://example.com <<<") is a decoration
// the customer typed, not a quote. A single "<" at the end is not a frame:
// it is a quoted attribution that Gmail wrapped after an address's "<"
// ("> On Tue, …, Name <" above "> name@example.com> wrote:").
func isQuoted(l string) bool {
	t := strings.TrimSpace(l)
	return strings.HasPrefix(t, ">") && !strings.HasSuffix(t, "<<")
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
		case '\u00a0', '\u202f':
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
