package replies

import (
	"hash/maphash"
	"slices"
	"strings"
	"unicode"
)

// We know the message the customer answers: we sent it. A block of the
// reply that reproduces its text is quoted history, whatever marks it or
// if nothing does (a client that pastes the history without a ">" or an
// attribution, an attribution in a language we do not know). The check
// compares runs of shingleSize words, so it survives rewrapping,
// punctuation and case changes, and ignores the rating links' signed URLs.

const (
	shingleSize = 4
	// ownMatch is the share of a line's shingles found in our message
	// for the line to count as a copy of it.
	ownMatchPercent = 70
	// minOwnWords is how many copied words, over one or more lines, make
	// a copy: a customer may repeat a few of our words in a sentence.
	minOwnWords = 10
)

var ownSeed = maphash.MakeSeed()

// ownText is the message we sent, as a set of word shingles. A nil
// *ownText knows nothing and matches nothing.
type ownText struct {
	shingles map[uint64]struct{}
	// opening is the first words of our message (the greeting), which
	// a copy starts with on a line too short to compare by shingles.
	opening []string
}

func newOwnText(sent string) *ownText {
	words := ownWords(normalizeNewlines(sent))
	if len(words) < shingleSize {
		return nil
	}
	o := &ownText{shingles: make(map[uint64]struct{}, len(words)), opening: words[:min(len(words), shingleSize)]}
	for i := 0; i+shingleSize <= len(words); i++ {
		o.shingles[shingle(words[i:i+shingleSize])] = struct{}{}
	}
	return o
}

// ownWords splits s into lower-case words of letters and digits.
func ownWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func shingle(words []string) uint64 {
	var h maphash.Hash
	h.SetSeed(ownSeed)
	for _, w := range words {
		h.WriteString(w)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// copied reports how many words of line belong to shingles of our
// message, or 0 if the line is too short to tell or mostly new.
func (o *ownText) copied(line string) int {
	words := ownWords(strings.TrimLeft(strings.TrimSpace(line), ">* "))
	if len(words) < shingleSize {
		return 0
	}
	found, total := 0, 0
	for i := 0; i+shingleSize <= len(words); i++ {
		total++
		if _, ok := o.shingles[shingle(words[i:i+shingleSize])]; ok {
			found++
		}
	}
	if found*100 < total*ownMatchPercent {
		return 0
	}
	return len(words)
}

// startsAt reports whether a copy of our message starts at lines[i]: the
// line and those after it (blank and short lines aside) reproduce at
// least minOwnWords of it.
func (o *ownText) startsAt(lines []string, i int) bool {
	if o == nil || o.copied(lines[i]) == 0 {
		return false
	}
	n := 0
	for k := i; k < len(lines) && n < minOwnWords; k++ {
		l := strings.TrimSpace(lines[k])
		if l == "" || len(ownWords(l)) < shingleSize {
			continue
		}
		c := o.copied(l)
		if c == 0 {
			break
		}
		n += c
	}
	return n >= minOwnWords
}

// maxIntroLines is how many lines above a copy of our message may be its
// introduction (an attribution or header block in a form we do not know).
const maxIntroLines = 6

// extendUp moves a cut at a copy of our message up over the lines that
// introduce it: short lines right above it (no blank line between them
// and the copy, bar one) that carry a date or an address and end with a
// colon, or read "Label: value" with a header label of markers.json.
func (o *ownText) extendUp(lines []string, i int) int {
	if k := prevNonBlank(lines, i-1, 1); k >= 0 && o.opensWith(lines[k]) {
		i = k
	}
	blank := 0
	for k := i - 1; k >= 0 && k >= i-maxIntroLines-1; k-- {
		l := strings.TrimSpace(lines[k])
		if l == "" {
			if blank++; blank > 1 {
				return i
			}
			continue
		}
		if !introLine(l) {
			return i
		}
		i, blank = k, 0
	}
	return i
}

func introLine(l string) bool {
	if len(l) > maxAttribution {
		return false
	}
	if isDecoration(l) {
		return true
	}
	if !strings.ContainsAny(l, "@0123456789") {
		return false
	}
	if strings.HasSuffix(l, ":") || strings.HasSuffix(l, "：") {
		return true
	}
	_, _, _, ok := labelOf(l)
	return ok
}

// opensWith reports whether line is the opening of our message (as in
// "Hello Nikos,"): a line too short for shingles whose words are the
// first words we wrote.
func (o *ownText) opensWith(line string) bool {
	words := ownWords(line)
	if len(words) == 0 || len(words) >= shingleSize || len(words) > len(o.opening) {
		return false
	}
	return slices.Equal(words, o.opening[:len(words)])
}

// prevNonBlank returns the last non-blank line at or before i, skipping
// at most maxBlank blank lines; -1 if there is none.
func prevNonBlank(lines []string, i, maxBlank int) int {
	for blank := 0; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			return i
		}
		if blank++; blank > maxBlank {
			return -1
		}
	}
	return -1
}
