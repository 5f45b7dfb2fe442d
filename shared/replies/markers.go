package replies

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The words mail clients write around quoted history differ by language
// and client, and new ones turn up as customers do. They are data
// (markers.json), not code, so that adding a language or a client's
// phrasing is an edit to one table that every rule picks up.
//
//go:embed markers.json
var markersJSON []byte

// langMarkers is one language's entry in markers.json.
type langMarkers struct {
	Wrote      []string `json:"wrote"`
	Open       []string `json:"open"`
	From       []string `json:"from"`
	Sent       []string `json:"sent"`
	To         []string `json:"to"`
	Subject    []string `json:"subject"`
	Cc         []string `json:"cc"`
	Separators []string `json:"separators"`
	Footers    []string `json:"footers"`
	Lists      []string `json:"lists"`
	Numbers    []string `json:"numbers"`
}

// Header label kinds of a quoted header block.
const (
	labelFrom = "from"
	labelSent = "sent"
	labelTo   = "to"
	labelSubj = "subject"
	labelCc   = "cc"
)

// phrase is a marker phrase (lower case) and the language it belongs to.
type phrase struct{ text, lang string }

// markerSet is markers.json compiled for lookup.
type markerSet struct {
	verbs      []phrase // longest first, so "a écrit" wins over "écrit"
	openers    map[string]string
	labels     map[string]phrase // label -> kind (in text) and language
	separators map[string]string
	footers    []phrase
	lists      []string
	numbers    map[string]int
}

var markers = mustLoadMarkers(markersJSON)

func mustLoadMarkers(data []byte) *markerSet {
	m, err := loadMarkers(data)
	if err != nil {
		panic(err)
	}
	return m
}

// decodeLanguages reads markers.json's languages in one pass (a Decoder
// over the top-level object, not a map of raw messages decoded again):
// the table is read at every cold start of the replies function. Keys
// starting with "_" are comments.
func decodeLanguages(data []byte) (map[string]langMarkers, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("replies: markers: want a JSON object of languages (%v)", err)
	}
	out := map[string]langMarkers{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("replies: markers: %w", err)
		}
		lang, _ := tok.(string)
		if strings.HasPrefix(lang, "_") {
			var comment json.RawMessage
			if err := dec.Decode(&comment); err != nil {
				return nil, fmt.Errorf("replies: markers: %s: %w", lang, err)
			}
			continue
		}
		var lm langMarkers
		if err := dec.Decode(&lm); err != nil {
			return nil, fmt.Errorf("replies: markers for %q: %w", lang, err)
		}
		out[lang] = lm
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("replies: markers: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("replies: markers: data after the object")
	}
	return out, nil
}

func loadMarkers(data []byte) (*markerSet, error) {
	raw, err := decodeLanguages(data)
	if err != nil {
		return nil, err
	}
	m := &markerSet{
		openers: map[string]string{}, labels: map[string]phrase{},
		separators: map[string]string{}, numbers: map[string]int{},
	}
	langs := make([]string, 0, len(raw))
	for lang := range raw {
		langs = append(langs, lang)
	}
	sort.Strings(langs) // "en" before the rest: first language wins a shared word
	sort.SliceStable(langs, func(i, j int) bool { return langs[i] == "en" && langs[j] != "en" })
	for _, lang := range langs {
		lm := raw[lang]
		for _, v := range lm.Wrote {
			m.verbs = append(m.verbs, phrase{strings.ToLower(v), lang})
		}
		for _, o := range lm.Open {
			setOnce(m.openers, strings.ToLower(o), lang)
		}
		for kind, list := range map[string][]string{labelFrom: lm.From, labelSent: lm.Sent, labelTo: lm.To, labelSubj: lm.Subject, labelCc: lm.Cc} {
			for _, l := range list {
				if _, dup := m.labels[strings.ToLower(l)]; !dup {
					m.labels[strings.ToLower(l)] = phrase{kind, lang}
				}
			}
		}
		for _, s := range lm.Separators {
			setOnce(m.separators, strings.ToLower(s), lang)
		}
		for _, f := range lm.Footers {
			m.footers = append(m.footers, phrase{strings.ToLower(f), lang})
		}
		for _, l := range lm.Lists {
			m.lists = append(m.lists, strings.ToLower(l))
		}
		if len(lm.Numbers) != 0 && len(lm.Numbers) != 11 {
			return nil, fmt.Errorf("replies: markers for %q: %d number entries, want 0 to 10", lang, len(lm.Numbers))
		}
		for n, words := range lm.Numbers {
			for _, w := range strings.Fields(words) {
				if _, dup := m.numbers[foldGreek(strings.ToLower(w))]; !dup {
					m.numbers[foldGreek(strings.ToLower(w))] = n
				}
			}
		}
	}
	sort.SliceStable(m.verbs, func(i, j int) bool { return len(m.verbs[i].text) > len(m.verbs[j].text) })
	return m, nil
}

func setOnce(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// wordAt reports whether w occurs in s at byte offset i as a whole word:
// not glued to letters on either side.
func wordAt(s string, i int, w string) bool {
	if i < 0 || i+len(w) > len(s) || s[i:i+len(w)] != w {
		return false
	}
	if r, _ := utf8.DecodeLastRuneInString(s[:i]); i > 0 && isWordRune(r) && isWordRune(firstRune(w)) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(s[i+len(w):]); i+len(w) < len(s) && isWordRune(r) && isWordRune(lastRune(w)) && !isIdeograph(r) {
		return false
	}
	return true
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isIdeograph(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }
func lastRune(s string) rune  { r, _ := utf8.DecodeLastRuneInString(s); return r }

// hasWord reports whether w occurs in s as a whole word, and where the
// last occurrence ends.
func hasWord(s, w string) (end int, ok bool) {
	for end := len(s); ; {
		i := strings.LastIndex(s[:end], w)
		if i < 0 {
			return 0, false
		}
		if wordAt(s, i, w) {
			return i + len(w), true
		}
		end = i
	}
}

// endsWithWord reports whether s ends with the whole word w.
func endsWithWord(s, w string) bool {
	return strings.HasSuffix(s, w) && wordAt(s, len(s)-len(w), w)
}

// startsWithWord reports whether s starts with the whole word w.
func startsWithWord(s, w string) bool {
	return strings.HasPrefix(s, w) && wordAt(s, 0, w)
}
