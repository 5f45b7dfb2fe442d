package render

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/draft"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// fixedYear keeps the default copyright line stable in golden files.
func testRenderer(b Brand) *Renderer {
	r := New(b)
	r.now = func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }
	return r
}

var testBrand = Brand{Name: "Sea Breeze Tours", Link: "https://seabreeze.example/", Color: "#1f7a8c"}

func ratings(s domain.SurveyKind) []Rating { return sampleRatings(s) }

// goldenRequest is the sample a preview shows: the golden files are what
// an operator sees there.
func goldenRequest(template, locale string) Request { return Sample(template, locale) }

// goldenCase is one golden file pair, testdata/<name>.<locale>.{html,txt}.golden.
type goldenCase struct {
	name, locale string
	req          Request
}

func goldenCases() []goldenCase {
	var out []goldenCase
	// Every template in every language: a template added to the package
	// gets its golden files (and their review) without touching this list.
	for _, template := range Templates() {
		for _, locale := range i18n.Codes() {
			out = append(out, goldenCase{template, locale, goldenRequest(template, locale)})
		}
	}
	withSurvey := func(req Request, s domain.SurveyKind) Request {
		req.Survey, req.Ratings = s, ratings(s)
		return req
	}
	reply := goldenRequest("team_alert", "en")
	reply.Cause, reply.Survey, reply.Score, reply.Reasons, reply.Comment = CauseReply, domain.SurveyNone, 0, nil, ""
	reply.Kind, reply.Title, reply.Ref, reply.Status = "ticket", "Refund for order #4417", "T-88", "solved"
	reply.ReplyText = "Hi,\n\nthe refund has still not arrived.\nCould someone check, please?\n\nJane"
	return append(out,
		goldenCase{"thank_you.nps", "en", withSurvey(goldenRequest("thank_you", "en"), domain.SurveyNPS)},
		goldenCase{"thank_you.ces", "en", withSurvey(goldenRequest("thank_you", "en"), domain.SurveyCES)},
		goldenCase{"thank_you.nps", "el", withSurvey(goldenRequest("thank_you", "el"), domain.SurveyNPS)},
		goldenCase{"thank_you.ces", "es", withSurvey(goldenRequest("thank_you", "es"), domain.SurveyCES)},
		goldenCase{"team_alert.reply", "en", reply},
	)
}

func TestGolden(t *testing.T) {
	r := testRenderer(testBrand)
	for _, gc := range goldenCases() {
		t.Run(gc.name+"_"+gc.locale, func(t *testing.T) {
			out, err := r.Render(context.Background(), gc.req)
			if err != nil {
				t.Fatal(err)
			}
			if out.Lang != gc.locale {
				t.Errorf("Lang = %q, want %q", out.Lang, gc.locale)
			}
			noRawKeys(t, out)
			base := filepath.Join("testdata", gc.name+"."+gc.locale)
			golden(t, base+".html.golden", out.HTML)
			golden(t, base+".txt.golden", "Subject: "+out.Subject+"\n\n"+out.Text)
		})
	}
}

// rawKeyRE finds catalog keys that were printed instead of translated, and
// printf's complaints about a message's arguments.
var rawKeyRE = regexp.MustCompile(`\b(date|weekday|month|email|thank_you|satisfaction|reminder|recovery|acknowledgement|team_alert|team_signin|team_message|ask|scale|score|reason|cause|kind|status)\.[a-z_0-9.]+|%!`)

func noRawKeys(t *testing.T, out Rendered) {
	t.Helper()
	for part, s := range map[string]string{"subject": out.Subject, "html": out.HTML, "text": out.Text} {
		if m := rawKeyRE.FindString(s); m != "" {
			t.Errorf("%s shows %q: a missing key or a bad argument", part, m)
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func TestContent(t *testing.T) {
	r := testRenderer(testBrand)
	tests := []struct {
		name        string
		req         Request
		subject     string
		html, text  []string // substrings that must appear
		notHTMLText []string // substrings that must not appear in either part
	}{
		{
			name:    "thank you in Spanish for es-MX, date in the customer's zone",
			req:     Request{Template: "thank_you", Locale: "es-MX", CustomerName: "José", Title: "Clase de surf", StartsAt: time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC), TimeZone: "Europe/Madrid", Survey: domain.SurveyCSAT, Ratings: ratings(domain.SurveyCSAT)},
			subject: "¡Gracias, José! ¿Qué tal fue?",
			text:    []string{"Hola, José:", "Gracias por acompañarnos en «Clase de surf» el sábado, 21 de noviembre de 2026.", "1 – Muy mal: https://care.example/r/tok1?x=1&y=2", "5 – Muy bien: https://care.example/r/tok5?x=1&y=2"},
		},
		{
			name:    "thank you without name, title, date or agent",
			req:     Request{Template: "thank_you", Locale: "nl-NL"},
			subject: "Thank you! How was it?",
			text:    []string{"Hello,", "Thank you for joining us.", "Warm regards,", "The Sea Breeze Tours team"},
			// No ratings, no question.
			notHTMLText: []string{"One click", "Where"},
		},
		{
			name:    "Greek Saturday takes the neuter article",
			req:     Request{Template: "thank_you", Locale: "el-GR", StartsAt: time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC)},
			subject: "Σας ευχαριστούμε! Πώς σας φάνηκε;",
			text:    []string{"Σας ευχαριστούμε που ήσασταν μαζί μας το Σάββατο, 2 Μαΐου 2026."},
		},
		{
			name:    "satisfaction without a title",
			req:     Request{Template: "satisfaction", Locale: "en", Survey: domain.SurveyCSAT, Ratings: ratings(domain.SurveyCSAT)},
			subject: "How did we do?",
			text:    []string{"Your request was recently marked as solved.", "How would you rate the help you received?", "3 – Neutral: "},
		},
		{
			name:    "NPS shows numbers 0 to 10 and the scale",
			req:     Request{Template: "satisfaction", Locale: "en", Title: "Wi-Fi", Survey: domain.SurveyNPS, Ratings: ratings(domain.SurveyNPS)},
			subject: "How did we do with “Wi-Fi”?",
			text:    []string{"How likely are you to recommend us", "0 = not at all likely, 10 = extremely likely", "\n0: https://care.example/r/tok0", "\n10: https://care.example/r/tok10"},
			html:    []string{`width="9%"`},
		},
		{
			name:    "custom labels win over the catalog, sorted worst to best",
			req:     Request{Template: "satisfaction", Locale: "en", Survey: domain.SurveyCSAT, Ratings: []Rating{{Score: 5, Label: "Loved it", URL: "https://x.example/5"}, {Score: 1, Label: "Hated it", URL: "https://x.example/1"}}},
			subject: "How did we do?",
			text:    []string{"1 – Hated it: https://x.example/1\n5 – Loved it: https://x.example/5"},
		},
		{
			name:    "long titles are cut in the subject only",
			req:     Request{Template: "satisfaction", Locale: "en", Title: strings.Repeat("word ", 40)},
			subject: "How did we do with “" + strings.TrimSpace(strings.Repeat("word ", 12)) + "…”?",
			text:    []string{strings.TrimSpace(strings.Repeat("word ", 40)) + "”"},
		},
		{
			name:    "line breaks in customer text never reach the subject",
			req:     Request{Template: "thank_you", Locale: "en", CustomerName: "Eve\r\nBcc: victim@example.com"},
			subject: "Thank you, Eve Bcc: victim@example.com! How was it?",
		},
		{
			name:        "bidi overrides are dropped",
			req:         Request{Template: "thank_you", Locale: "en", CustomerName: "Ann\u202Egnp.exe"},
			subject:     "Thank you, Anngnp.exe! How was it?",
			notHTMLText: []string{"\u202E"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := r.Render(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if out.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", out.Subject, tc.subject)
			}
			for _, s := range tc.text {
				if !strings.Contains(out.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, out.Text)
				}
			}
			for _, s := range tc.html {
				if !strings.Contains(out.HTML, s) {
					t.Errorf("HTML lacks %q", s)
				}
			}
			for _, s := range tc.notHTMLText {
				if strings.Contains(out.HTML, s) || strings.Contains(out.Text, s) {
					t.Errorf("output contains %q", s)
				}
			}
		})
	}
}

func TestRatingsOrderedInHTML(t *testing.T) {
	req := goldenRequest("satisfaction", "en")
	// Reverse the input: the email must still read worst to best.
	for i, j := 0, len(req.Ratings)-1; i < j; i, j = i+1, j-1 {
		req.Ratings[i], req.Ratings[j] = req.Ratings[j], req.Ratings[i]
	}
	out, err := testRenderer(testBrand).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for _, label := range []string{"Very unhappy", "Unhappy", "Neutral", "Happy", "Very happy"} {
		i := strings.Index(out.HTML, ">"+label+"</a>")
		if i < 0 || i < last {
			t.Fatalf("label %q at %d, previous at %d: not ordered worst to best", label, i, last)
		}
		last = i
	}
}

func TestEscaping(t *testing.T) {
	const (
		script = `<script>alert(1)</script>`
		attr   = `"><img src=x>`
	)
	r := testRenderer(testBrand)
	for template := range templates {
		req := goldenRequest(template, "en")
		req.CustomerName = script + attr
		req.Title = attr + script
		req.Agent = script
		req.Location = attr
		req.Comment = "comment " + script + "\n" + attr
		req.ReplyText = "reply " + attr + "\n\n" + script
		req.Reasons = []string{script, attr, "waiting"}
		req.CustomerEmail = attr + "@example.com"
		req.Provider, req.Ref, req.Status, req.Kind = script, attr, script, attr
		req.TimelineURL = "javascript:alert(1)"
		req.Message = "message " + script + "\n\n" + attr
		req.Advice = "advice " + script + "\n\n" + attr
		out, err := r.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if template == "team_signin" {
			// It carries nothing anybody else wrote, only its link.
			if strings.Contains(out.HTML+out.Text, "alert(1)") || strings.Contains(out.HTML+out.Text, "img src") {
				t.Errorf("%s: shows text it was not meant to", template)
			}
			continue
		}
		if strings.Contains(strings.ToLower(out.HTML+out.Text), "javascript:") {
			t.Errorf("%s: a javascript: timeline link got through", template)
		}
		for _, bad := range []string{"<script", "<img src=x", `"><img`} {
			if strings.Contains(out.HTML, bad) {
				t.Errorf("%s: HTML contains unescaped %q", template, bad)
			}
		}
		if !strings.Contains(out.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: HTML lacks the escaped script text", template)
		}
		if !strings.Contains(out.HTML, "&#34;&gt;&lt;img src=x&gt;") {
			t.Errorf("%s: HTML lacks the escaped attribute breaker", template)
		}
		// Plain text is not HTML: the customer's text comes back as typed.
		if !strings.Contains(out.Text, script+attr) {
			t.Errorf("%s: text lacks the literal name:\n%s", template, out.Text)
		}
	}
}

func TestBrand(t *testing.T) {
	tests := []struct {
		name  string
		brand Brand
		want  []string
		not   []string
	}{
		{"defaults", Brand{}, []string{"© 2026 Aftercare", "The Aftercare team", "background-color:#2b6cb0", ">Aftercare</span>"}, []string{"<a href=\"\""}},
		{"bad colour falls back", Brand{Name: "X", Color: "red;background:url(javascript:alert(1))"}, []string{"background-color:#2b6cb0"}, []string{"javascript"}},
		{"light colour gets dark text", Brand{Name: "X", Color: "#ffd700"}, []string{"background-color:#ffd700;color:#111827"}, nil},
		{"logo, link, signature and copyright", Brand{Name: "Sea Breeze", Link: "https://sb.example/", Logo: "https://sb.example/logo.png", Signature: "Maria and the Sea Breeze crew", Copyright: "© Sea Breeze Ltd"},
			[]string{`<a href="https://sb.example/"`, `<img src="https://sb.example/logo.png" alt="Sea Breeze"`, "Maria and the Sea Breeze crew", "© Sea Breeze Ltd"}, []string{"The Sea Breeze team"}},
		{"unsafe logo URL is neutralised", Brand{Name: "X", Logo: "javascript:alert(1)"}, []string{"#ZgotmplZ"}, []string{"javascript:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := testRenderer(tc.brand).Render(context.Background(), goldenRequest("satisfaction", "en"))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !strings.Contains(out.HTML, s) {
					t.Errorf("HTML lacks %q", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(out.HTML, s) {
					t.Errorf("HTML contains %q", s)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	r := New(testBrand)
	tests := []struct {
		name string
		req  Request
		is   error
	}{
		{"unknown template", Request{Template: "nope"}, ErrUnknownTemplate},
		{"score out of range", Request{Template: "satisfaction", Survey: domain.SurveyCSAT, Ratings: []Rating{{Score: 6, URL: "https://x.example/"}}}, domain.ErrBadScore},
		{"javascript link", Request{Template: "satisfaction", Ratings: []Rating{{Score: 1, URL: "javascript:alert(1)"}}}, nil},
		{"relative link", Request{Template: "satisfaction", Ratings: []Rating{{Score: 1, URL: "/r/abc"}}}, nil},
		{"link with a newline", Request{Template: "satisfaction", Ratings: []Rating{{Score: 1, URL: "https://x.example/\nabc"}}}, nil},
		{"duplicate score", Request{Template: "satisfaction", Ratings: []Rating{{Score: 1, URL: "https://x.example/a"}, {Score: 1, URL: "https://x.example/b"}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Render(context.Background(), tc.req)
			if err == nil {
				t.Fatal("Render succeeded, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

func TestHas(t *testing.T) {
	r := New(Brand{})
	for name, want := range map[string]bool{
		"thank_you": true, "satisfaction": true, "reminder": true, "recovery": true,
		"acknowledgement": true, "team_alert": true, "": false, "Thank_You": false, "team-alert": false,
	} {
		if got := r.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestTemplatesListed holds draft.Templates, which a remote renderer
// answers Has from, to the templates this renderer has.
func TestTemplatesListed(t *testing.T) {
	have := Templates()
	want := slices.Sorted(slices.Values(draft.Templates))
	if !slices.Equal(have, want) {
		t.Errorf("render has %v, draft.Templates lists %v", have, want)
	}
}
