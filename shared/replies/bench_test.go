package replies

import (
	"os"
	"strings"
	"testing"
)

// benchFiles is a fixed set, so that results stay comparable as fixtures
// are added.
var benchFiles = []string{
	"gmail_en.eml", "gmail_el.eml", "outlook_es.eml", "outlook_desktop_en.eml",
	"outlook_el_plain.eml", "apple_el.eml", "apple_es_score.eml", "apple_mac_en.eml",
	"yahoo_es.eml", "plain_en.eml", "bcc_es.eml", "forged_en.eml", "notours_en.eml",
	"autoreply_en.eml",
}

// BenchmarkParse parses benchFiles once per iteration: the cost of
// typical inbound replies, headers, verdicts and stripping included.
func BenchmarkParse(b *testing.B) {
	var raws [][]byte
	for _, f := range benchFiles {
		raws = append(raws, readFixture(b, f))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range raws {
			if _, err := Parse(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/msg")
}

// BenchmarkStripPathological strips github/email_reply_parser's
// pathological message (a regular-expression trap for others' parsers)
// and a long message of marker-like lines, to keep the line rules linear.
func BenchmarkStripPathological(b *testing.B) {
	path, err := os.ReadFile("testdata/corpus/github/en_pathological.txt")
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Repeat("On Monday, 2026 wrote\n--\nFrom: a@b.c\nSent from my x\n> q\n", 2000)
	b.ReportAllocs()
	for b.Loop() {
		stripText(string(path), "")
		stripText(lines, "Hello there, thank you for joining us on the trip")
	}
}
