package replies

import (
	"regexp"
	"strings"
)

// Phone and webmail apps append a footer below what the customer typed:
// "Sent from my iPhone", "Von meinem iPhone gesendet", "Envoyé de mon
// iPhone", "Get Outlook for iOS<https://aka.ms/…>". A footer is a short
// line that starts with one of markers.json's footers and reads as a
// label, not a sentence: "Sent from my desk, is much easier than my
// mobile phone." is the customer's, and stays. findCut also requires it
// to end the customer's words.

const (
	maxFooterLen   = 100
	maxFooterWords = 10
)

// bracketedRE removes what footers carry besides words: links in angle
// brackets or parentheses, bare URLs.
var bracketedRE = regexp.MustCompile(`<[^>]*>|\([^)]*\)|\[[^\]]*\]|https?://\S+`)

// footerAt reports whether l is a known footer, and its language.
func footerAt(l string) (string, bool) {
	if len(l) > maxFooterLen {
		return "", false
	}
	low := strings.ToLower(l)
	for _, f := range markers.footers {
		if !startsWithWord(low, f.text) {
			continue
		}
		rest := strings.TrimSpace(bracketedRE.ReplaceAllString(low, " "))
		rest = strings.TrimSuffix(rest, ".")
		if strings.ContainsAny(rest, ",;!?") || strings.Contains(rest, ". ") || len(strings.Fields(rest)) > maxFooterWords {
			return "", false
		}
		return f.lang, true
	}
	return "", false
}
