package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/store/bolt"
	"github.com/aftercare/aftercare/shared/web"
)

// testPolicy sends three surveys an hour after a booking completes, one
// of each kind, so every rating page can be answered for real (with no
// per-person survey budget, so that all three go).
const testPolicy = `{
  "survey_cooldown": "0d",
  "rules": [{"kind": "booking", "status": ["completed"], "steps": [
    {"id": "thanks", "template": "thank_you", "survey": "csat", "delay": "1h"},
    {"id": "nps", "template": "thank_you", "survey": "nps", "delay": "1h"},
    {"id": "ces", "template": "thank_you", "survey": "ces", "delay": "1h"}
  ]}]
}`

var t0 = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)

// env is the public handler over the real local adapters (bbolt store,
// local scheduler, .eml outbox, hermes renderer), served on a local port,
// with one booking whose three surveys were sent.
type env struct {
	t      *testing.T
	svc    *app.Service
	store  *bolt.Store
	clock  *clock.Settable
	signer *links.Signer
	srv    *httptest.Server
	id     string
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvCopy(t, nil) }

// newEnvCopy is newEnv with the operator's wording in both the emails and
// the pages (nil: the catalogs as shipped).
func newEnvCopy(t *testing.T, words *i18n.Set) *env {
	t.Helper()
	e := &env{t: t, clock: clock.NewFrozen(t0)}
	a := newAdapters(t, e.clock)
	e.store = a.store
	sched := a.sched
	var err error
	if e.signer, err = links.NewSigner([]byte(strings.Repeat("k", 32))); err != nil {
		t.Fatal(err)
	}
	policy, err := domain.ParsePolicy([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	// The server's address is known before it starts, so that the links
	// the service signs point at it.
	e.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(e.srv.Close)
	base := "http://" + e.srv.Listener.Addr().String()
	brand := render.Brand{Name: "Sea Breeze Tours"}
	e.svc, err = app.New(app.Config{
		Store: e.store, Scheduler: sched, Mailer: a.outbox, Renderer: render.New(brand, render.WithCopy(words)),
		Links: e.signer, Clock: e.clock, Policy: policy, PublicURL: base,
		From:       netmail.Address{Name: "Sea Breeze", Address: "care@seabreeze.example"},
		ContactKey: []byte(strings.Repeat("c", 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	a.svc = e.svc
	e.srv.Config.Handler = web.New(web.Config{Service: e.svc, Brand: brand, Clock: e.clock, Copy: words})
	e.srv.Start()
	if e.srv.URL != base {
		t.Fatalf("server at %s, want %s", e.srv.URL, base)
	}

	ctx := context.Background()
	res, err := e.svc.Ingest(ctx, domain.Event{
		ID: "evt-1", Provider: "aftercare", Type: domain.BookingCompleted, OccurredAt: t0, Ref: "BK-7",
		Customer: domain.Customer{Email: "maria@example.com", Name: "María Pérez", Locale: "en", TimeZone: "Europe/Madrid"},
		Title:    "Sunset sailing",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.id = res.IncidentID
	e.clock.Advance(2 * time.Hour)
	fired, err := sched.RunDue(ctx, e.clock.Now())
	if err != nil || len(fired) != 3 {
		t.Fatalf("run due: %d fired, %v", len(fired), err)
	}
	for _, key := range []string{"thanks-1", "nps-1", "ces-1"} {
		if st := e.incident().Steps[key]; st.Status != domain.StepSent {
			t.Fatalf("step %s is %q, want sent", key, st.Status)
		}
	}
	return e
}

func (e *env) incident() domain.Incident {
	e.t.Helper()
	inc, err := e.store.Get(context.Background(), e.id)
	if err != nil {
		e.t.Fatal(err)
	}
	return inc
}

// link is the rating link for one score of one step, as the email has it.
func (e *env) link(step string, survey domain.SurveyKind, score int) string {
	return e.srv.URL + "/r/" + e.signer.Sign(links.Claims{
		Incident: e.id, Step: step, Survey: survey, Score: score, Expires: e.clock.Now().Add(14 * 24 * time.Hour),
	})
}

type response struct {
	code   int
	header http.Header
	body   string
}

func (e *env) do(method, target string, form url.Values, header ...string) response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func (e *env) get(target string) response { return e.do(http.MethodGet, target, nil) }

func (e *env) post(target string, form url.Values) response {
	return e.do(http.MethodPost, target, form)
}

// answerEntries are the timeline entries an answer leaves.
func answerEntries(inc domain.Incident) []string {
	var out []string
	for _, en := range inc.Timeline {
		switch en.Kind {
		case domain.EntryAnswer, domain.EntryComment, domain.EntryReasons, domain.EntryEscalated:
			out = append(out, en.Kind+" "+en.Step+" "+en.Detail)
		}
	}
	return out
}

func (e *env) noAnswers(what string) {
	e.t.Helper()
	inc := e.incident()
	if len(inc.Answers) != 0 || len(answerEntries(inc)) != 0 {
		e.t.Fatalf("%s recorded something: answers %+v, timeline %v", what, inc.Answers, answerEntries(inc))
	}
}

var (
	en        = i18n.For("en")
	choiceRE  = regexp.MustCompile(`<a href="[^"]*/r/[^"]+"`)
	scriptRE  = regexp.MustCompile(`<script src="([^"]+)"`)
	currentRE = regexp.MustCompile(`class="current" aria-current="true">(\d+)</a>`)
)

// A link scanner fetches every link of the email, with GET and HEAD, and
// the page's script, but runs nothing: no answer is recorded.
func TestScannerRecordsNothing(t *testing.T) {
	e := newEnv(t)
	for score := 1; score <= 5; score++ {
		link := e.link("thanks-1", domain.SurveyCSAT, score)
		if r := e.do(http.MethodHead, link, nil, "User-Agent", "Mail-Security-Scanner/1.0"); r.code != http.StatusOK || r.body != "" {
			t.Fatalf("HEAD %d: %d %q", score, r.code, r.body)
		}
		r := e.do(http.MethodGet, link, nil, "User-Agent", "Mail-Security-Scanner/1.0")
		if r.code != http.StatusOK {
			t.Fatalf("GET %d: %d\n%s", score, r.code, r.body)
		}
		m := scriptRE.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("GET %d: the pending page links no script:\n%s", score, r.body)
		}
		js, _ := url.Parse(link)
		js, _ = js.Parse(m[1])
		if r := e.get(js.String()); r.code != http.StatusOK {
			t.Fatalf("script: %d", r.code)
		}
	}
	e.noAnswers("fetching every link")
}

func TestRatingPageBeforeConfirmation(t *testing.T) {
	e := newEnv(t)
	link := e.link("thanks-1", domain.SurveyCSAT, 4)
	r := e.get(link)
	if r.code != http.StatusOK {
		t.Fatalf("GET: %d\n%s", r.code, r.body)
	}
	for _, want := range []string{
		`<form id="answer" method="post" data-confirm="auto">`,
		`<input type="hidden" name="confirm" value="1">`,
		`<textarea id="comment" name="comment"`,
		en.T("page.csat.question"),
		en.T("page.confirm.submit"),
		`<html lang="en">`,
		`<meta name="robots" content="noindex">`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the page lacks %q:\n%s", want, r.body)
		}
	}
	if m := currentRE.FindStringSubmatch(r.body); m == nil || m[1] != "4" {
		t.Errorf("highlighted score = %v, want 4", m)
	}
	if n := len(choiceRE.FindAllString(r.body, -1)); n != 5 {
		t.Errorf("%d score links, want 5", n)
	}
	// The score line and the saved note wait, hidden, for the script.
	if !regexp.MustCompile(`<p id="score" data-when="saved" hidden>`).MatchString(r.body) {
		t.Errorf("the score line should be hidden before the answer is recorded:\n%s", r.body)
	}
	for h, want := range map[string]string{
		"Cache-Control":   "no-store",
		"Referrer-Policy": "no-referrer",
		"X-Robots-Tag":    "noindex, nofollow",
		"Content-Type":    "text/html; charset=utf-8",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("CSP %q allows more script than ours", csp)
	}
	if strings.Contains(r.body, "<script>") {
		t.Error("the page has an inline script, which its CSP forbids")
	}
	e.noAnswers("GET")
}

func TestRatingScript(t *testing.T) {
	e := newEnv(t)
	link := e.link("thanks-1", domain.SurveyCSAT, 4)
	page := e.get(link)
	m := scriptRE.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no script on the page:\n%s", page.body)
	}
	u, _ := url.Parse(link)
	js, err := u.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if js.Host != u.Host || js.Path != "/assets/rating.js" {
		t.Fatalf("script at %s, want /assets/rating.js on the page's origin (script-src 'self')", js)
	}
	r := e.get(js.String())
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("rating.js: %d %q", r.code, r.header.Get("Content-Type"))
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control = %q, want a long, immutable cache for the versioned URL", cc)
	}
	if !strings.Contains(r.body, "fetch(") || !strings.Contains(r.body, `"confirm"`) {
		t.Errorf("rating.js does not post the confirmation:\n%s", r.body)
	}
	etag := r.header.Get("ETag")
	if c := e.do(http.MethodGet, js.String(), nil, "If-None-Match", etag); etag == "" || c.code != http.StatusNotModified {
		t.Errorf("conditional GET with ETag %q: %d, want 304", etag, c.code)
	}
	if c := e.get(e.srv.URL + "/assets/rating.js"); c.code != http.StatusOK || strings.Contains(c.header.Get("Cache-Control"), "immutable") {
		t.Errorf("unversioned URL: %d %q, want a short cache", c.code, c.header.Get("Cache-Control"))
	}
	e.noAnswers("fetching the script")
}

func TestPostConfirmRecords(t *testing.T) {
	e := newEnv(t)
	link := e.link("thanks-1", domain.SurveyCSAT, 4)
	r := e.post(link, url.Values{"confirm": {"1"}})
	if r.code != http.StatusOK {
		t.Fatalf("POST: %d\n%s", r.code, r.body)
	}
	a, ok := e.incident().Answers["thanks-1"]
	if !ok || a.Score != 4 || a.Comment != "" || a.Reasons != nil {
		t.Fatalf("answer = %+v, %v", a, ok)
	}
	if !strings.Contains(r.body, `<p id="score" data-when="saved">`+en.T("page.thanks.body", 4, 5)+`</p>`) {
		t.Errorf("the thank-you page does not say the score:\n%s", r.body)
	}
	if strings.Contains(r.body, "comment-saved") || strings.Contains(r.body, "<script") || strings.Contains(r.body, `data-confirm="auto"`) {
		t.Errorf("a recorded answer needs no script nor comment note:\n%s", r.body)
	}
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "script-src") {
		t.Errorf("CSP of a page without script = %q", csp)
	}
	// Opening the link again shows the recorded answer, and confirms nothing more.
	if r := e.get(link); r.code != http.StatusOK || strings.Contains(r.body, "<script") || !strings.Contains(r.body, en.T("page.saved")) {
		t.Errorf("GET after recording: %d\n%s", r.code, r.body)
	}
	// Another score's link shows that score, pending, and leaves the answer.
	r = e.get(e.link("thanks-1", domain.SurveyCSAT, 5))
	if m := currentRE.FindStringSubmatch(r.body); m == nil || m[1] != "5" || !strings.Contains(r.body, `data-confirm="auto"`) {
		t.Errorf("another score's page: %v\n%s", m, r.body)
	}
	if a := e.incident().Answers["thanks-1"]; a.Score != 4 {
		t.Errorf("GET of another score changed the answer to %d", a.Score)
	}
	if got := answerEntries(e.incident()); len(got) != 1 {
		t.Errorf("timeline = %v, want one answer", got)
	}
}

// rating.js posts a bare confirmation and asks for JSON.
func TestPostConfirmJSON(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPost, e.link("thanks-1", domain.SurveyCSAT, 5), url.Values{"confirm": {"1"}}, "Accept", "application/json")
	if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("POST: %d %s\n%s", r.code, r.header.Get("Content-Type"), r.body)
	}
	var got struct {
		Status string `json:"status"`
		Survey string `json:"survey"`
		Score  int    `json:"score"`
		Max    int    `json:"max"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || got.Status != "recorded" || got.Score != 5 || got.Max != 5 || got.Survey != "csat" {
		t.Fatalf("reply = %+v %v", got, err)
	}
	if a := e.incident().Answers["thanks-1"]; a.Score != 5 {
		t.Fatalf("answer = %+v", a)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	// A bad link answers JSON too, with its status.
	bad := e.do(http.MethodPost, e.srv.URL+"/r/nonsense.token", url.Values{"confirm": {"1"}}, "Accept", "application/json")
	if bad.code != http.StatusNotFound || !strings.HasPrefix(bad.header.Get("Content-Type"), "application/json") {
		t.Errorf("bad link: %d %s", bad.code, bad.header.Get("Content-Type"))
	}
}

func TestPostCommentAndReasons(t *testing.T) {
	e := newEnv(t)
	link := e.link("thanks-1", domain.SurveyCSAT, 2)
	r := e.post(link, url.Values{
		"confirm": {"1"}, "comment": {"  We waited <b>an hour</b>.  "},
		"reasons_offered": {"1"}, "reasons": {"waiting", "bogus", "price", "waiting"},
	})
	if r.code != http.StatusOK {
		t.Fatalf("POST: %d\n%s", r.code, r.body)
	}
	a := e.incident().Answers["thanks-1"]
	if a.Score != 2 || a.Comment != "We waited <b>an hour</b>." || !slices.Equal(a.Reasons, []string{"waiting", "price"}) {
		t.Fatalf("answer = %+v (the unknown reason must be dropped)", a)
	}
	for _, want := range []string{
		`id="comment-saved"`,
		`We waited &lt;b&gt;an hour&lt;/b&gt;.</textarea>`,
		`value="waiting" checked> ` + en.T("reason.waiting"),
		`value="price" checked> ` + en.T("reason.price"),
		`value="staff"> ` + en.T("reason.staff"),
		`<input type="hidden" name="reasons_offered" value="1">`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("thank-you page lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "<b>an hour</b>") {
		t.Error("the customer's HTML came back unescaped")
	}

	// The script's bare confirmation keeps comment and reasons.
	if r := e.post(link, url.Values{"confirm": {"1"}}); r.code != http.StatusOK || strings.Contains(r.body, "comment-saved") {
		t.Fatalf("bare confirmation: %d", r.code)
	}
	if a := e.incident().Answers["thanks-1"]; a.Comment == "" || len(a.Reasons) != 2 {
		t.Fatalf("a bare confirmation changed the feedback: %+v", a)
	}
	// The form with every box unticked clears the reasons.
	if r := e.post(link, url.Values{"confirm": {"1"}, "reasons_offered": {"1"}, "comment": {"We waited <b>an hour</b>."}}); r.code != http.StatusOK {
		t.Fatalf("untick: %d", r.code)
	}
	if a := e.incident().Answers["thanks-1"]; len(a.Reasons) != 0 || a.Comment == "" {
		t.Fatalf("after unticking: %+v", a)
	}
	// A multipart form (what a script's FormData sends) works too.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("confirm", "1")
	_ = mw.WriteField("reasons_offered", "1")
	_ = mw.WriteField("reasons", "staff")
	_ = mw.Close()
	resp, err := e.srv.Client().Post(link, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if a := e.incident().Answers["thanks-1"]; resp.StatusCode != http.StatusOK || !slices.Equal(a.Reasons, []string{"staff"}) {
		t.Fatalf("multipart: %d, answer %+v", resp.StatusCode, a)
	}
}

func TestReasonsOnlyAfterANegativeScore(t *testing.T) {
	e := newEnv(t)
	neg := e.get(e.link("thanks-1", domain.SurveyCSAT, 2))
	if !strings.Contains(neg.body, `<fieldset id="reasons">`) || !strings.Contains(neg.body, en.T("page.reasons.label")) {
		t.Fatalf("a low score's page offers no reasons:\n%s", neg.body)
	}
	for _, code := range domain.DefaultReasons {
		if !strings.Contains(neg.body, `name="reasons" value="`+code+`"> `+en.T("reason."+code)+`</label>`) {
			t.Errorf("reason %s missing or unlabelled", code)
		}
	}
	pos := e.get(e.link("thanks-1", domain.SurveyCSAT, 4))
	if strings.Contains(pos.body, `name="reasons"`) || strings.Contains(pos.body, "reasons_offered") {
		t.Fatalf("a good score's page offers reasons:\n%s", pos.body)
	}
	// NPS 6 is a detractor, CES 5 is negative by the default thresholds.
	for _, c := range []struct {
		step   string
		survey domain.SurveyKind
		score  int
		want   bool
	}{{"nps-1", domain.SurveyNPS, 6, true}, {"nps-1", domain.SurveyNPS, 9, false}, {"ces-1", domain.SurveyCES, 5, true}, {"ces-1", domain.SurveyCES, 2, false}} {
		body := e.get(e.link(c.step, c.survey, c.score)).body
		if got := strings.Contains(body, `<fieldset id="reasons">`); got != c.want {
			t.Errorf("%s %d: reasons offered = %v, want %v", c.survey, c.score, got, c.want)
		}
	}
	e.noAnswers("GET")
}

func TestSurveyKinds(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		step    string
		survey  domain.SurveyKind
		score   int
		choices int
		ends    bool
	}{
		{"thanks-1", domain.SurveyCSAT, 3, 5, false},
		{"nps-1", domain.SurveyNPS, 0, 11, true},
		{"ces-1", domain.SurveyCES, 7, 7, true},
	} {
		t.Run(string(c.survey), func(t *testing.T) {
			link := e.link(c.step, c.survey, c.score)
			r := e.get(link)
			if r.code != http.StatusOK {
				t.Fatalf("GET: %d", r.code)
			}
			// The page's own question, else the email's (the catalog's choice).
			q := firstKey("page."+string(c.survey)+".question", "ask."+string(c.survey))
			if q == "" {
				t.Fatalf("the catalog has no question for %s", c.survey)
			}
			if !strings.Contains(r.body, "<h1 data-when=\"pending saving\">"+en.T(q)+"</h1>") {
				t.Errorf("question %s missing:\n%s", q, r.body)
			}
			if n := len(choiceRE.FindAllString(r.body, -1)); n != c.choices {
				t.Errorf("%d score links, want %d", n, c.choices)
			}
			if m := currentRE.FindStringSubmatch(r.body); m == nil || m[1] != strconv.Itoa(c.score) {
				t.Errorf("highlighted = %v, want %d", m, c.score)
			}
			if c.ends {
				// The page's end labels, else the names of the end scores.
				lo, hi := c.survey.Range()
				low := firstKey("page."+string(c.survey)+".low", "score."+string(c.survey)+"."+strconv.Itoa(lo))
				high := firstKey("page."+string(c.survey)+".high", "score."+string(c.survey)+"."+strconv.Itoa(hi))
				if low == "" || high == "" {
					t.Errorf("the catalog names neither end of the %s scale", c.survey)
				} else if !strings.Contains(r.body, `<p class="ends"><span>`+en.T(low)+`</span><span>`+en.T(high)+`</span></p>`) {
					t.Errorf("scale ends %s/%s missing:\n%s", low, high, r.body)
				}
			} else if strings.Contains(r.body, `class="ends"`) {
				t.Errorf("CSAT needs no end labels")
			}
			// Answering works for every kind.
			r = e.post(link, url.Values{"confirm": {"1"}})
			_, hi := c.survey.Range()
			if r.code != http.StatusOK || !strings.Contains(r.body, en.T("page.thanks.body", c.score, hi)) {
				t.Fatalf("POST: %d\n%s", r.code, r.body)
			}
			if a := e.incident().Answers[c.step]; a.Survey != c.survey || a.Score != c.score {
				t.Fatalf("answer = %+v", a)
			}
		})
	}
}

// firstKey is the first of the keys the English catalog has, or "".
func firstKey(keys ...string) string {
	for _, k := range keys {
		if en.Has(k) {
			return k
		}
	}
	return ""
}

func TestBadLinks(t *testing.T) {
	e := newEnv(t)
	link := e.link("thanks-1", domain.SurveyCSAT, 4)
	tampered := link[:len(link)-3] + "AAA"
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		var form url.Values
		if m == http.MethodPost {
			form = url.Values{"confirm": {"1"}}
		}
		r := e.do(m, tampered, form)
		if r.code != http.StatusNotFound {
			t.Errorf("%s tampered: %d", m, r.code)
		}
		if m != http.MethodHead && !strings.Contains(r.body, en.T("page.invalid.title")) {
			t.Errorf("%s tampered: not the friendly page:\n%s", m, r.body)
		}
	}
	// An unsent step cannot be answered.
	if r := e.post(e.link("other-1", domain.SurveyCSAT, 4), url.Values{"confirm": {"1"}}); r.code != http.StatusNotFound {
		t.Errorf("unsent step: %d", r.code)
	}
	e.clock.Advance(15 * 24 * time.Hour)
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		var form url.Values
		if m == http.MethodPost {
			form = url.Values{"confirm": {"1"}}
		}
		if r := e.do(m, link, form); r.code != http.StatusGone || !strings.Contains(r.body, en.T("page.expired.title")) {
			t.Errorf("%s expired: %d\n%s", m, r.code, r.body)
		}
	}
	e.noAnswers("bad links")
}

func TestTeamPage(t *testing.T) {
	e := newEnv(t)
	// A low score with a comment and reasons, and a reply with HTML in it.
	link := e.link("thanks-1", domain.SurveyCSAT, 1)
	if r := e.post(link, url.Values{"comment": {"Cold & late"}, "reasons_offered": {"1"}, "reasons": {"waiting"}}); r.code != http.StatusOK {
		t.Fatalf("answer: %d", r.code)
	}
	const reply = "Hello,\n<script>alert(\"x\")</script>\n  the second line"
	if _, err := e.store.Update(context.Background(), e.id, func(cur *domain.Incident) error {
		cur.RecordReply("thanks-1", reply, "outbox/reply.eml", "", e.clock.Now())
		cur.Escalate(domain.Escalation{Cause: domain.CauseReply, Step: "thanks-1", Text: reply}, time.Hour, e.clock.Now())
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	teamURL := e.svc.TeamURL(e.id, e.clock.Now())
	if !strings.HasPrefix(teamURL, e.srv.URL+"/t/") {
		t.Fatalf("team URL %s", teamURL)
	}
	before := e.incident()
	r := e.get(teamURL)
	if r.code != http.StatusOK {
		t.Fatalf("team page: %d\n%s", r.code, r.body)
	}
	escaped := `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`
	for _, want := range []string{
		en.T("page.team.title"), "Sunset sailing", "María Pérez", `href="mailto:maria@example.com"`, "BK-7", "aftercare",
		`<dd id="status">` + en.T("kind.booking") + ` · ` + en.T("status.completed") + `</dd>`,
		en.T("cause.negative_answer"), en.T("cause.reply"), en.T("reason.waiting"),
		`<div class="text comment">Cold &amp; late</div>`,
		`<div class="text detail">Hello,` + "\n" + escaped + "\n  the second line</div>",
		`data-kind="sent"`, `data-kind="answer"`, `data-kind="reply"`, `data-kind="escalated"`, `data-kind="event"`,
		`<main class="wide">`, `<meta name="robots" content="noindex">`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("team page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "<script src") {
		t.Errorf("team page carries a script:\n%s", r.body)
	}
	if t.Failed() {
		t.Log(r.body)
	}
	// The timeline is in order.
	var got []string
	for _, m := range regexp.MustCompile(`data-kind="([a-z_]+)"`).FindAllStringSubmatch(r.body, -1) {
		got = append(got, m[1])
	}
	var want []string
	for _, en := range before.Timeline {
		want = append(want, en.Kind)
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeline on the page = %v, want %v", got, want)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP = %q", csp)
	}
	if after := e.incident(); after.Version != before.Version {
		t.Errorf("opening the team page changed the incident (version %d → %d)", before.Version, after.Version)
	}

	// The team link answers nothing, and a rating link opens no timeline.
	token := strings.TrimPrefix(teamURL, e.srv.URL+"/t/")
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		var form url.Values
		if m == http.MethodPost {
			form = url.Values{"confirm": {"1"}, "comment": {"from the team link"}}
		}
		if r := e.do(m, e.srv.URL+"/r/"+token, form); r.code != http.StatusNotFound {
			t.Errorf("%s /r/ with the team token: %d", m, r.code)
		}
	}
	if r := e.get(strings.Replace(link, "/r/", "/t/", 1)); r.code != http.StatusNotFound || !strings.Contains(r.body, en.T("page.invalid.title")) {
		t.Errorf("/t/ with a rating token: %d", r.code)
	}
	if r := e.get(e.srv.URL + "/t/nonsense.token"); r.code != http.StatusNotFound {
		t.Errorf("/t/ with a bad token: %d", r.code)
	}
	if after := e.incident(); after.Version != before.Version {
		t.Errorf("the team link changed the incident (version %d → %d)", before.Version, after.Version)
	}
}

// TestPagesSpeakTheVisitorsLanguage shows the pages in the language the
// browser asks for, including the new ones, and with the operator's own
// words where the operator gave some.
func TestPagesSpeakTheVisitorsLanguage(t *testing.T) {
	ov, err := i18n.ParseOverrides([]byte(`{"de": {"page.invalid.title": "Dieser Link ist leider ungültig"}}`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := i18n.New(ov)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvCopy(t, set)
	link := e.link("thanks-1", domain.SurveyCSAT, 4)
	tampered := link[:len(link)-3] + "AAA"
	for _, tc := range []struct{ accept, lang, want string }{
		{"de-DE,de;q=0.9", "de", "Dieser Link ist leider ungültig"},
		{"fr-CA", "fr", "Ce lien ne fonctionne pas"},
		{"it-IT", "it", "Questo link non funziona"},
		{"pt-BR", "pt", "Esta ligação não funciona"},
		{"nl-NL", "en", "This link does not work"},
	} {
		r := e.do(http.MethodGet, tampered, nil, "Accept-Language", tc.accept)
		if !strings.Contains(r.body, tc.want) || !strings.Contains(r.body, `<html lang="`+tc.lang+`">`) {
			t.Errorf("%s: want %q in lang %s:\n%s", tc.accept, tc.want, tc.lang, r.body)
		}
	}
}
