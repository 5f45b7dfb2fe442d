package replies

import (
	"regexp"
	"strings"
	"unicode"
)

// An attribution is the line a client writes above the message it
// quotes: "On <date>, <name> <address> wrote:", "Am <date> schrieb
// <name>:", "Le <date>, <name> a écrit :", Gmail's older "2014-03-20 8:48
// GMT+01:00 Name <addr>:", Android's "---- Name wrote ----". Clients wrap
// it over two or three lines. A phrase alone is not enough, since
// customers write "my husband wrote:" too: an attribution must also carry
// a date (a year or a time of day) or an address.

// datedRE finds a year or a time of day, the date part of an attribution.
var datedRE = regexp.MustCompile(`\b(19|20)[0-9]{2}\b|[0-9]{1,2}[:.h][0-5][0-9]|[0-9]年`)

const maxAttribution = 320

// attributionAt reports whether an attribution starts at lines[i], its
// language, and the line it ends on.
func attributionAt(lines []string, i int) (lang string, end int, ok bool) {
	first := strings.TrimSpace(lines[i])
	if len(first) > maxAttribution || !attributionEnding(first, lines, i) {
		return "", 0, false
	}
	joined := ""
	for j := i; j < len(lines) && j < i+3; j++ {
		l := strings.TrimSpace(lines[j])
		// An address wrapped after its "<" puts the ">" first on the next
		// line, where it looks like a quote: "… <a@b.com\n>:".
		unclosed := strings.Count(joined, "<") > strings.Count(joined, ">")
		if l == "" || (j > i && isQuoted(l) && !unclosed) {
			return "", 0, false
		}
		if j > i {
			if !continuesAttribution(first) {
				return "", 0, false
			}
			joined += " "
		}
		joined += l
		if len(joined) > maxAttribution {
			return "", 0, false
		}
		if lang, ok := isAttribution(joined); ok {
			return lang, j, true
		}
		// No colon, no verb, but a date and an address right above the
		// quote: "2011/4/7 Name <addr>" with ">" lines below.
		if k := nextNonBlank(lines, j+1); k < len(lines) && isQuoted(lines[k]) && strings.HasSuffix(joined, ">") &&
			strings.Contains(joined, "@") && datedRE.MatchString(joined) {
			return "", j, true
		}
	}
	return "", 0, false
}

// attributionEnding is a cheap filter: an attribution's last line (one of
// the next three) ends with a colon, a dash rule or a verb of markers.json.
func attributionEnding(first string, lines []string, i int) bool {
	for j := i; j < len(lines) && j < i+3; j++ {
		l := strings.TrimRight(strings.TrimSpace(lines[j]), "-–— ")
		if strings.HasSuffix(l, ":") || strings.HasSuffix(l, "：") || strings.HasSuffix(l, ">") ||
			len(l) < len(strings.TrimSpace(lines[j])) {
			return true
		}
		low := strings.ToLower(l)
		for _, v := range markers.verbs {
			if strings.HasSuffix(low, v.text) {
				return true
			}
		}
		if l == "" {
			return false
		}
	}
	return false
}

// continuesAttribution reports whether an attribution may start with
// first and go on over the next lines: first must not end a sentence and
// must look like the start of one (an opening word, a date, an address).
func continuesAttribution(first string) bool {
	if (strings.HasSuffix(first, ".") && !endsWithOrdinal(first)) || strings.HasSuffix(first, "!") || strings.HasSuffix(first, "?") {
		return false
	}
	low := strings.ToLower(strings.TrimLeft(first, "-–— *"))
	return startsWithOpener(low) || strings.ContainsAny(low, "0123456789@")
}

// endsWithOrdinal reports whether s ends with a day written as an ordinal,
// "28.", where German, Scandinavian and other dates wrap: "… schrieb am
// Fr., 28.\nApr. 2017 um 11:53 Uhr:". The joined lines must still make an
// attribution.
func endsWithOrdinal(s string) bool {
	f := strings.Fields(s)
	day := strings.TrimSuffix(f[len(f)-1], ".")
	return len(day) >= 1 && len(day) <= 2 && strings.Trim(day, "0123456789") == ""
}

func startsWithOpener(low string) bool {
	for o := range markers.openers {
		if startsWithWord(low, o) {
			return true
		}
	}
	return false
}

// isAttribution reports whether s, one or more joined lines, is an
// attribution, and its language ("" when no verb tells).
func isAttribution(s string) (string, bool) {
	low := strings.ToLower(strings.ReplaceAll(s, "：", ":"))
	core := strings.TrimSpace(strings.TrimLeft(low, "-–—* "))
	framedLeft := len(core) < len(low)
	trimmed := strings.TrimSpace(strings.TrimRight(core, "-–— "))
	framed := framedLeft && len(trimmed) < len(core) // "---- Name wrote ----"
	core = trimmed
	colon := strings.HasSuffix(core, ":")
	core = strings.TrimSpace(strings.TrimSuffix(core, ":"))
	at := strings.Contains(core, "@")
	dated := datedRE.MatchString(core)
	if !at && !dated && !framed {
		return "", false
	}
	for _, v := range markers.verbs {
		if endsWithWord(core, v.text) {
			if colon || framed || (at && dated) {
				return v.lang, true
			}
			return "", false
		}
	}
	if !colon {
		return "", false
	}
	// The verb before the author: "Am … schrieb Name <addr>:", "Op …
	// schreef Name:". After the verb comes only a name and an address.
	// Or the author first and the date after the verb, as Gmail's apps
	// write it: "Name <addr> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:".
	for _, v := range markers.verbs {
		if end, ok := hasWord(core, v.text); ok {
			rest := core[end:]
			if strings.Contains(rest, "@") || (startsWithOpener(core) && len(strings.Fields(rest)) <= 5) {
				return v.lang, true
			}
			if author := strings.TrimSpace(core[:end-len(v.text)]); strings.HasSuffix(author, ">") && strings.Contains(author, "@") &&
				datedRE.MatchString(rest) && len(strings.Fields(rest)) <= 10 {
				return v.lang, true
			}
		}
	}
	// No verb: Gmail's "2014-03-20 8:48 GMT+01:00 Name <addr>:", mail.ru's
	// and Yandex's "<date>, Name <addr>:".
	if at && dated && (strings.HasSuffix(core, ">") || strings.HasSuffix(core, ")")) {
		return "", true
	}
	return "", false
}

// bareAttribution reports whether l is an attribution that gives the
// author's name and nothing else: "Lisa Dusseault wrote:", "Joel M.
// Halpern wrote:" (Netscape, older Thunderbird, SeaMonkey). It carries no
// date or address, so it is only taken right above ">"-quoted lines (see
// findCut), and the name must look like one: two to four capitalised
// words or initials, so "my husband wrote:" or "I wrote:" stay.
func bareAttribution(l string) (string, bool) {
	core, ok := strings.CutSuffix(strings.TrimSpace(l), ":")
	if !ok {
		return "", false
	}
	core = strings.TrimSpace(core)
	low := strings.ToLower(core)
	if len(low) != len(core) || len(core) > maxAttribution {
		return "", false
	}
	for _, v := range markers.verbs {
		if !endsWithWord(low, v.text) {
			continue
		}
		name := strings.Fields(core[:len(core)-len(v.text)])
		if len(name) < 2 || len(name) > 4 {
			return "", false
		}
		for _, w := range name {
			letters := strings.TrimRight(w, ".")
			initial := len(letters) < len(w) && len([]rune(letters)) == 1
			if r := firstRune(w); !unicode.IsUpper(r) || (len([]rune(letters)) < 2 && !initial) ||
				strings.IndexFunc(letters, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && r != '\'' }) >= 0 {
				return "", false
			}
		}
		return v.lang, true
	}
	return "", false
}
