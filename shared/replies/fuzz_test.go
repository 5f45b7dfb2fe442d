package replies

import (
	"testing"
	"unicode/utf8"

	"github.com/aftercare/aftercare/shared/domain"
)

// FuzzParse: any bytes parse or fail with an error, never panic, and the
// bounds hold. The seeds are small sketches of each client's shape rather
// than the fixtures: the fuzzer minimises every input that finds new
// coverage, which for a 4 KB message takes longer than a short run lasts.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nYes\r\n\r\nOn Fri, 20 Nov 2026 X <\r\ncare+a@x.example> wrote:\r\n> q\r\n--b\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<div>Yes</div><div class=3D\"gmail_quote\">q</div>\r\n--b--\r\n",
		"Content-Type: text/html\r\n\r\n<div>ok</div><div id=appendonsend></div><hr><div id=divRplyFwdMsg><b>From:</b> x</div><div>q</div>",
		"Content-Type: text/html\r\n\r\n<p class=MsoNormal>ok</p><div style='border-top:solid'><p><b>De:</b> x</p></div>",
		"Content-Type: text/html\r\n\r\n<div>ok</div><blockquote type=cite>El 20 nov 2026 escribi\xc3\xb3:</blockquote><div class=ydp1yahoo_quoted>q</div>",
		"To: care+a@x.example\r\nDelivered-To: <b@x.example>\r\nSubject: =?utf-8?b?zpHOoA==?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nzpHOoA==\r\n",
		"Content-Type: text/plain\r\n\r\nok\r\n-----Original Message-----\r\nFrom: a\r\nSent: b\r\nTo: c\r\n\r\n-- \r\nsig\r\nSent from my iPhone\r\n",
		"Auto-Submitted: auto-replied\r\nContent-Type: multipart/report; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--",
		"X-SES-Spam-Verdict: GRAY\r\nAuthentication-Results: amazonses.com; spf=pass (a; \\) b) x=\"y;z\"; dkim/1=none; dmarc=fail\r\nFrom: \"A, B\" <a@x.example>\r\nSubject: =?utf-8?q?AW:_R=C3=A9ponse_automatique_:?=\r\n\r\nok\r\n",
	} {
		f.Add([]byte(seed))
	}
	a := testAddresses(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw)
		if err != nil {
			return
		}
		if len(r.Text) > MaxText || len(r.Full) > MaxFull {
			t.Fatalf("Text %d, Full %d bytes: over the limits", len(r.Text), len(r.Full))
		}
		if !utf8.ValidString(r.Text) {
			t.Fatalf("Text is not UTF-8: %q", r.Text)
		}
		_, _, _ = a.Match(Candidates(r)...)
		if reason, bad := r.Untrusted(); bad == (reason == "") {
			t.Fatalf("Untrusted() = %q, %v", reason, bad)
		}
		if r.Automatic == (r.AutomaticReason == "") {
			t.Fatalf("Automatic = %v, AutomaticReason = %q", r.Automatic, r.AutomaticReason)
		}
		if r.From.Address != "" && !SameAddress(r.From.Address, r.From.String()) {
			t.Fatalf("From %q is not the same address as its display form %q", r.From.Address, r.From.String())
		}
		_, _ = Score(r.Text, domain.SurveyNPS)
	})
}

// FuzzScore: no panics; a score is always in range.
func FuzzScore(f *testing.F) {
	for _, s := range []string{"5", "4/5", "cinco", "πέντε", "10/10", "5 stars", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []domain.SurveyKind{domain.SurveyCSAT, domain.SurveyNPS, domain.SurveyCES} {
			if n, ok := Score(s, k); ok && k.Check(n) != nil {
				t.Fatalf("Score(%q, %s) = %d: out of range", s, k, n)
			}
		}
	})
}
