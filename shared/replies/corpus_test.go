package replies

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The corpus (testdata/corpus/<source>/) holds replies from other
// projects' reply-parser test suites and cases of our own, each with the
// text its project asserts is the new reply. A case is <lang>_<name> with
// one input (.txt: a text body, .html: an HTML body, .eml: a whole
// message), a .want file and, optionally, a .sent file holding the text
// of the message we sent, which the reply quotes. Each source directory
// says where it comes from (SOURCE.md) and under which licence (LICENSE).

// ownSource is the directory of the cases we wrote ourselves.
const ownSource = "aftercare"

type corpusCase struct {
	source, lang, name, kind string
	in, want, sent           string
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	var cases []corpusCase
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*", "*.want"))
	if err != nil {
		t.Fatal(err)
	}
	for _, wf := range files {
		base := strings.TrimSuffix(wf, ".want")
		c := corpusCase{source: filepath.Base(filepath.Dir(wf)), name: filepath.Base(base)}
		c.lang, _, _ = strings.Cut(c.name, "_")
		c.want = readCorpusFile(t, wf)
		for _, kind := range []string{".txt", ".html", ".eml"} {
			if _, err := os.Stat(base + kind); err == nil {
				c.kind, c.in = kind, readCorpusFile(t, base+kind)
			}
		}
		if c.kind == "" {
			t.Fatalf("%s: no input next to it", wf)
		}
		if _, err := os.Stat(base + ".sent"); err == nil {
			c.sent = readCorpusFile(t, base+".sent")
		}
		cases = append(cases, c)
	}
	if len(cases) < 150 {
		t.Fatalf("corpus has %d cases, want at least 150", len(cases))
	}
	return cases
}

func readCorpusFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// strip runs a case through the path the application uses for its kind
// of input.
func (c corpusCase) strip(t *testing.T) string {
	t.Helper()
	switch c.kind {
	case ".eml":
		r, err := ParseWith([]byte(c.in), Options{Sent: c.sent})
		if err != nil {
			t.Fatalf("%s/%s: %v", c.source, c.name, err)
		}
		return r.Text
	case ".html":
		got, _ := stripBody("", c.in, c.sent)
		return got
	}
	got, _ := stripBody(c.in, "", c.sent)
	return got
}

// normalizeForCompare makes the comparison blind to what the projects'
// own assertions ignore: spacing inside lines, blank lines, CRLF.
func normalizeForCompare(s string) string {
	var out []string
	for _, l := range strings.Split(normalizeNewlines(s), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return strings.Join(out, "\n")
}

type tally struct{ pass, total int }

func (t tally) String() string {
	return fmt.Sprintf("%3d/%3d %5.1f%%", t.pass, t.total, 100*float64(t.pass)/float64(max(t.total, 1)))
}

// TestCorpus reports the pass rate per source and per language and fails
// below 95% overall.
func TestCorpus(t *testing.T) {
	bySource, byLang := map[string]*tally{}, map[string]*tally{}
	var all, others tally // others: the third-party sources, without our own cases
	var failed []string
	for _, c := range loadCorpus(t) {
		got := normalizeForCompare(c.strip(t))
		ok := got == normalizeForCompare(c.want)
		counts := []*tally{entry(bySource, c.source), entry(byLang, c.lang), &all}
		if c.source != ownSource {
			counts = append(counts, &others)
		}
		for _, tl := range counts {
			tl.total++
			if ok {
				tl.pass++
			}
		}
		if !ok {
			failed = append(failed, fmt.Sprintf("%s/%s:\n got: %q\nwant: %q", c.source, c.name, got, normalizeForCompare(c.want)))
		}
	}
	t.Logf("corpus pass rate\n%s\n%s\n%-16s %s\n%-16s %s", table("source", bySource), table("language", byLang), "total", all, "third-party", others)
	for _, f := range failed {
		t.Log("FAIL " + f)
	}
	for _, tl := range []tally{all, others} {
		if tl.pass*100 < tl.total*95 {
			t.Errorf("pass rate %s, want at least 95%%", tl)
		}
	}
}

func entry(m map[string]*tally, key string) *tally {
	if m[key] == nil {
		m[key] = &tally{}
	}
	return m[key]
}

func table(title string, m map[string]*tally) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s pass/total\n", title)
	for _, k := range keys {
		fmt.Fprintf(&b, "%-16s %s\n", k, m[k])
	}
	return strings.TrimRight(b.String(), "\n")
}

var sentenceEnd = regexp.MustCompile(`[.!?…]+(\s|$)`)

// sentences splits text into its sentences, normalized, each at least a
// few characters long: what must survive stripping word for word.
func sentences(text string) []string {
	var out []string
	for _, l := range strings.Split(normalizeForCompare(text), "\n") {
		for _, s := range sentenceEnd.Split(l, -1) {
			if s = strings.TrimSpace(s); len([]rune(s)) >= 3 {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestCorpusKeepsCustomersWords is the guarantee that matters most:
// whatever else a case gets wrong, no sentence the customer wrote is cut.
func TestCorpusKeepsCustomersWords(t *testing.T) {
	for _, c := range loadCorpus(t) {
		got := normalizeForCompare(c.strip(t))
		flat := strings.ReplaceAll(got, "\n", " ")
		for _, s := range sentences(c.want) {
			if !strings.Contains(got, s) && !strings.Contains(flat, s) {
				t.Errorf("%s/%s: the customer's words %q were cut; got %q", c.source, c.name, s, got)
			}
		}
	}
}
