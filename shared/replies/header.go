package replies

import (
	"strings"
	"unicode/utf8"
)

// A header block is how Outlook, Windows Mail, Yahoo and most webmails
// introduce the message they quote or forward: "From: … Sent: … To: …
// Subject: …", localised ("Von:/Gesendet:/An:/Betreff:", "De :/Envoyé
// :/À :/Objet :", "От:/Отправлено:/Кому:/Тема:"), sometimes in bold
// ("*From:*"), indented (Yahoo), or with the From value wrapped onto the
// next line (Outlook). One "From:" line is not a block: a customer may
// write "From: Athens" in a sentence. A block needs a From label and a
// Sent/Date label or To and Subject labels (or, From left out, Sent/Date
// and To), and an address or a Subject; Outlook's "From: Name
// [mailto:addr]" needs only a Subject below it.

const maxLabel = 40

// labelOf parses a "Label: value" line whose label is a header label of
// markers.json, and returns the label's kind, its language and the value.
func labelOf(line string) (kind, lang, value string, ok bool) {
	t := strings.TrimLeft(strings.TrimSpace(line), "*_ ")
	i := strings.IndexAny(t, ":：")
	if i <= 0 || i > maxLabel {
		return "", "", "", false
	}
	label := strings.ToLower(strings.Trim(t[:i], "*_ \t"))
	p, found := markers.labels[label]
	if !found {
		return "", "", "", false
	}
	size := 1
	if strings.HasPrefix(t[i:], "：") {
		size = len("：")
	}
	return p.text, p.lang, strings.TrimSpace(strings.TrimLeft(t[i+size:], "*_ ")), true
}

// maxHeaderBlock bounds how far a header block's labels may spread.
const maxHeaderBlock = 14

// headerBlockAt reports whether a quoted-message header block starts at
// lines[i], its language and the line it ends on.
func headerBlockAt(lines []string, i int) (string, int, bool) {
	kind, lang, value, ok := labelOf(lines[i])
	if !ok {
		return "", 0, false
	}
	end := i
	kinds := map[string]string{kind: lang}
	addInline(kinds, value)
	addr := strings.Contains(value, "@")
	// Outlook writes the author as "Name [mailto:addr]", which no sentence
	// does: with it, From and Subject alone make a block (Sent and To cut).
	mailto := kind == labelFrom && strings.Contains(strings.ToLower(value), "[mailto:")
	cont := 0
	for j := i + 1; j < len(lines) && j < i+maxHeaderBlock; j++ {
		l := strings.TrimSpace(lines[j])
		if l == "" {
			break
		}
		if k, lg, v, ok := labelOf(l); ok {
			if _, seen := kinds[k]; !seen {
				kinds[k] = lg
			}
			addInline(kinds, v)
			addr = addr || strings.Contains(v, "@")
			cont, end = 0, j
			continue
		}
		// A wrapped value: the address on the next line, an indented
		// continuation of a long To list.
		if cont < 2 && (strings.Contains(l, "@") || strings.HasPrefix(l, "<") ||
			strings.HasPrefix(lines[j], " ") || strings.HasPrefix(lines[j], "\t")) {
			addr = addr || strings.Contains(l, "@")
			cont, end = cont+1, j
			continue
		}
		break
	}
	_, from := kinds[labelFrom]
	_, sent := kinds[labelSent]
	_, to := kinds[labelTo]
	_, subject := kinds[labelSubj]
	switch {
	case from && (sent || (to && subject)) && (addr || subject):
	case from && subject && mailto:
	// Some clients leave From out: "Date: … To: <address>".
	case !from && sent && to && (addr || subject):
	default:
		return "", 0, false
	}
	// The subject's and date's labels tell the language better than
	// "De:", which French, Spanish and Portuguese share.
	for _, k := range []string{labelSubj, labelSent, labelFrom} {
		if lg, ok := kinds[k]; ok {
			return lg, end, true
		}
	}
	return lang, end, true
}

// addInline adds to kinds the labels a value holds further on, where a
// client ran the header block into one line ("From: bob@example.com
// Date: Thu, 24 Mar 2016", "À : a@b.fr Objet : Bonjour").
func addInline(kinds map[string]string, value string) {
	low := strings.ToLower(value)
	if !strings.Contains(low, ":") {
		return
	}
	for label, p := range markers.labels {
		if _, seen := kinds[p.text]; seen || utf8.RuneCountInString(label) < 2 {
			continue
		}
		for _, form := range [...]string{" " + label + ":", " " + label + " :"} {
			if strings.Contains(low, form) {
				kinds[p.text] = p.lang
				break
			}
		}
	}
}
