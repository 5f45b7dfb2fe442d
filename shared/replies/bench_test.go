package replies

import "testing"

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
}
