package render

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

// TestAnswerTemplates checks what the reminder, recovery, acknowledgement
// and team alert say in the cases the golden files do not cover.
func TestAnswerTemplates(t *testing.T) {
	r := testRenderer(testBrand)
	alert := func(mod func(*Request)) Request {
		req := goldenRequest("team_alert", "en")
		mod(&req)
		return req
	}
	tests := []struct {
		name    string
		req     Request
		subject string
		text    []string // substrings of the text part
		html    []string // substrings of the HTML part
		not     []string // substrings of neither part
	}{
		{
			name:    "reminder without a title, NPS, compact row",
			req:     Request{Template: "reminder", Locale: "en", Survey: domain.SurveyNPS, Ratings: ratings(domain.SurveyNPS)},
			subject: "A quick reminder: how did we do?",
			text:    []string{"We recently asked how things went", "How likely are you to recommend us", "0 = not at all likely, 10 = extremely likely", "\n10: https://care.example/r/tok10"},
			html:    []string{`width="9%"`, `style="padding:0 1px;"`, ">10</a>"},
		},
		{
			name:    "reminder in Spanish, CES shows numbers and the hint",
			req:     Request{Template: "reminder", Locale: "es", Title: "Clase de surf", Survey: domain.SurveyCES, Ratings: ratings(domain.SurveyCES)},
			subject: "Un breve recordatorio: ¿qué tal fue «Clase de surf»?",
			text:    []string{"1 = muy fácil, 7 = muy difícil", "1 – Muy fácil: https://care.example/r/tok1", "7 – Muy difícil: https://care.example/r/tok7"},
			html:    []string{`width="14%"`, `title="Muy fácil"`, ">7</a>", `style="padding:0 3px;"`},
			not:     []string{">Muy fácil</a>"},
		},
		{
			name:    "recovery defaults to CSAT labels",
			req:     Request{Template: "recovery", Locale: "en", Ratings: ratings(domain.SurveyCSAT)},
			subject: "Did we fix it?",
			text:    []string{"You told us something was not right, and", "resolved to your satisfaction", "How satisfied are you now?", "1 – Very unhappy: ", "5 – Very happy: "},
			html:    []string{">Very happy</a>"},
		},
		{
			name:    "recovery with NPS asks the NPS question",
			req:     Request{Template: "recovery", Locale: "el", Title: "Wi-Fi", Survey: domain.SurveyNPS, Ratings: ratings(domain.SurveyNPS)},
			subject: "Λύθηκε το θέμα με το «Wi-Fi»;",
			text:    []string{"Πόσο πιθανό είναι να μας προτείνετε", "0 = καθόλου πιθανό"},
		},
		{
			name: "acknowledgement asks nothing and quotes nothing",
			req: Request{Template: "acknowledgement", Locale: "en", CustomerName: "Ann", Survey: domain.SurveyCSAT, Ratings: ratings(domain.SurveyCSAT),
				Comment: "SECRET-COMMENT", ReplyText: "SECRET-REPLY", Reasons: []string{"price"}, Score: 1, CustomerEmail: "ann@example.com"},
			subject: "We are on it",
			text:    []string{"Hello Ann,", "read by a real person", "will get back to you personally", "Warm regards,"},
			not:     []string{"SECRET-COMMENT", "SECRET-REPLY", "Price", "ann@example.com", "care.example/r/"},
		},
		{
			name:    "team alert in Spanish",
			req:     alert(func(r *Request) { r.Locale = "es-ES" }),
			subject: "Requiere atención: CSAT 2/5 — Sunset sailing (BK-1042)",
			text:    []string{"Puntuación: 2 en una escala de 1 a 5 (CSAT)", "Qué salió mal: Tiempo de espera, Comunicación", "Abrir la cronología: https://care.example/team/"},
		},
		{
			name:    "not recovered, NPS zero is a real score",
			req:     alert(func(r *Request) { r.Cause, r.Survey, r.Score = CauseNotRecovered, domain.SurveyNPS, 0 }),
			subject: "Still not resolved: NPS 0/10 — Sunset sailing (BK-1042)",
			text:    []string{"A problem is still not resolved", "Why: Still unhappy after our follow-up", "Score: 0 on a 0–10 scale (NPS)"},
		},
		{
			name:    "CES score and a ticket",
			req:     alert(func(r *Request) { r.Survey, r.Score, r.Kind, r.Status = domain.SurveyCES, 2, "ticket", "solved" }),
			subject: "Needs attention: CES 2/7 — Sunset sailing (BK-1042)",
			text:    []string{"Score: 2 on a 1–7 scale (CES)", "Ticket: Sunset sailing", "Status: Solved"},
		},
		{
			name:    "a reply keeps the score out of the subject",
			req:     alert(func(r *Request) { r.Cause = CauseReply }),
			subject: "Customer replied — Sunset sailing (BK-1042)",
			text:    []string{"Score: 2 on a 1–5 scale (CSAT)"},
		},
		{
			name:    "a score outside the scale is not shown",
			req:     alert(func(r *Request) { r.Score = 0 }),
			subject: "Needs attention — Sunset sailing (BK-1042)",
			not:     []string{"Score:", "0/5"},
		},
		{
			name: "unknown cause, kind, status and reason codes come through as given",
			req: alert(func(r *Request) {
				r.Cause, r.Kind, r.Status, r.Reasons = "vip_unhappy", "order", "on%s%d hold", []string{"noise", "waiting", "waiting", "  "}
			}),
			subject: "Needs attention: CSAT 2/5 — Sunset sailing (BK-1042)",
			text:    []string{"A customer needs a person from the team to follow up.", "About: Sunset sailing", "Status: on%s%d hold", "What went wrong: noise, Waiting time\n"},
			not:     []string{"Why:", "vip_unhappy", "%!"},
		},
		{
			name:    "bare alert: no title, ref, survey, text or link",
			req:     Request{Template: "team_alert", Locale: "", Cause: CauseNegativeAnswer},
			subject: "Needs attention",
			text:    []string{"A customer needs your attention", "Why: Low score"},
			not:     []string{"Open the timeline", "Customer's comment", "Warm regards", "Score:"},
		},
		{
			name:    "both a comment and a reply",
			req:     alert(func(r *Request) { r.ReplyText = "Also by email." }),
			subject: "Needs attention: CSAT 2/5 — Sunset sailing (BK-1042)",
			text:    []string{"Customer's comment:", "Customer's reply:\n\nAlso by email."},
		},
		{
			name:    "team alert in Greek",
			req:     alert(func(r *Request) { r.Locale, r.Cause = "el", CauseReply }),
			subject: "Απάντηση πελάτη — Sunset sailing (BK-1042)",
			text:    []string{"Ένας πελάτης απάντησε", "Εσωτερική ειδοποίηση για την ομάδα του Sea Breeze Tours."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := r.Render(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			noRawKeys(t, out)
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
			for _, s := range tc.not {
				if strings.Contains(out.HTML, s) || strings.Contains(out.Text, s) {
					t.Errorf("output contains %q", s)
				}
			}
		})
	}
}

// TestSurveyKinds renders every customer template that asks for a score
// with every scale in every language: each link is offered once in each
// part, the question and hint come from the catalog, and no key shows raw.
func TestSurveyKinds(t *testing.T) {
	r := testRenderer(testBrand)
	for _, template := range []string{"thank_you", "satisfaction", "reminder", "recovery"} {
		for _, s := range []domain.SurveyKind{domain.SurveyCSAT, domain.SurveyNPS, domain.SurveyCES} {
			for _, locale := range []string{"en", "el", "es"} {
				t.Run(fmt.Sprintf("%s_%s_%s", template, s, locale), func(t *testing.T) {
					req := goldenRequest(template, locale)
					req.Survey, req.Ratings = s, ratings(s)
					out, err := r.Render(context.Background(), req)
					if err != nil {
						t.Fatal(err)
					}
					noRawKeys(t, out)
					for _, rt := range req.Ratings {
						html := strings.ReplaceAll(rt.URL, "&", "&amp;")
						if n := strings.Count(out.HTML, `href="`+html+`"`); n != 1 {
							t.Errorf("score %d linked %d times in HTML", rt.Score, n)
						}
						if n := strings.Count(out.Text, rt.URL+"\n"); n != 1 {
							t.Errorf("score %d listed %d times in text", rt.Score, n)
						}
					}
					// NPS and CES show numbers on the buttons, so they need
					// the hint that says which end is which.
					hasHint := strings.Contains(out.HTML, "font-size:13px;color:#6b7280;text-align:center;")
					if want := s != domain.SurveyCSAT; hasHint != want {
						t.Errorf("hint shown = %v, want %v", hasHint, want)
					}
					compact := strings.Contains(out.HTML, `style="padding:0 1px;"`)
					if want := s == domain.SurveyNPS; compact != want {
						t.Errorf("compact row = %v, want %v", compact, want)
					}
				})
			}
		}
	}
}

// TestNoRatingsWhereNoneBelong: acknowledgement and team alert ignore the
// rating links, even malformed ones, rather than failing the email.
func TestNoRatingsWhereNoneBelong(t *testing.T) {
	r := testRenderer(testBrand)
	for _, template := range []string{"acknowledgement", "team_alert"} {
		req := goldenRequest(template, "en")
		req.Ratings = append(req.Ratings, Rating{Score: 9, URL: "javascript:alert(1)"})
		out, err := r.Render(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", template, err)
		}
		if strings.Contains(out.HTML, "care.example/r/") || strings.Contains(out.Text, "care.example/r/") {
			t.Errorf("%s: shows rating links", template)
		}
	}
}

func TestTimelineURL(t *testing.T) {
	r := testRenderer(testBrand)
	tests := []struct {
		url     string
		button  bool
		inHTML  string
		notHTML string
	}{
		{"https://care.example/t/inc_1?a=1&b=2", true, `href="https://care.example/t/inc_1?a=1&amp;b=2"`, ""},
		{"javascript:alert(1)", false, "", "javascript"},
		{"JavaScript:alert(1)", false, "", "JavaScript"},
		{"data:text/html,<script>alert(1)</script>", false, "", "data:text"},
		{"//evil.example/x", false, "", "evil.example"},
		{"/team/incidents/inc_1", false, "", "/team/incidents"},
		{"https://care.example/t\n/x", false, "", "care.example/t"},
		{`https://care.example/"><script>alert(1)</script>`, true, `href="https://care.example/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E"`, "<script"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			req := goldenRequest("team_alert", "en")
			req.TimelineURL = tc.url
			out, err := r.Render(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(out.HTML, ">Open the timeline</a>"); got != tc.button {
				t.Errorf("button shown = %v, want %v", got, tc.button)
			}
			if tc.inHTML != "" && !strings.Contains(out.HTML, tc.inHTML) {
				t.Errorf("HTML lacks %q", tc.inHTML)
			}
			if tc.notHTML != "" && (strings.Contains(out.HTML, tc.notHTML) || strings.Contains(out.Text, tc.notHTML)) {
				t.Errorf("output contains %q", tc.notHTML)
			}
		})
	}
}

func TestMultiline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][]string
	}{
		{"empty", "", nil},
		{"blank only", " \n\t\r\n ", nil},
		{"one line", "  Late boat.  ", [][]string{{"Late boat."}}},
		{"CRLF and CR", "a\r\nb\rc", [][]string{{"a", "b", "c"}}},
		{"blank runs make one break", "a\n\n\n \n\nb", [][]string{{"a"}, {"b"}}},
		{"unicode separators", "a\u2028b\u2029c", [][]string{{"a", "b"}, {"c"}}},
		{"controls and bidi dropped", "x\u202Ey\x00z\tw", [][]string{{"xy z w"}}},
		{"invalid UTF-8", "a\xffb", [][]string{{"ab"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := paragraphs(multiline(tc.in, maxQuote))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || len(got) != len(tc.want) {
				t.Errorf("paragraphs(multiline(%q)) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	long := multiline(strings.Repeat("word ", 2000), maxQuote)
	if n := len([]rune(long)); n > maxQuote+1 || !strings.HasSuffix(long, "…") {
		t.Errorf("long text: %d runes, ends %q", n, long[len(long)-10:])
	}
}

// TestSanitizeKeepsCallerData: cleaning a request must not write through
// to the caller's slices.
func TestSanitizeKeepsCallerData(t *testing.T) {
	reasons := []string{" waiting ", "waiting", "staff"}
	got := sanitize(Request{Reasons: reasons}).Reasons
	if fmt.Sprint(got) != "[waiting staff]" {
		t.Errorf("Reasons = %q", got)
	}
	if reasons[0] != " waiting " {
		t.Errorf("caller's slice changed: %q", reasons)
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprint("r", i)
	}
	if n := len(sanitize(Request{Reasons: many}).Reasons); n != maxReasons {
		t.Errorf("%d reasons kept, want %d", n, maxReasons)
	}
}
