package web_test

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/outbox"
	"github.com/aftercare/aftercare/shared/mail/render"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/store/bolt"
	"github.com/aftercare/aftercare/shared/web"
)

const (
	ana      = "ana@seabreeze.example"
	bo       = "bo@seabreeze.example"
	stranger = "mallory@evil.example"
)

// team is the dashboard over the real local adapters, with a team list of
// two, and one booking whose thank-you survey went out.
type team struct {
	t      *testing.T
	dir    string
	svc    *app.Service
	store  *bolt.Store
	sched  *localsched.Scheduler
	clock  *clock.Settable
	outbox *outbox.Outbox
	srv    *httptest.Server
	id     string
}

func newTeam(t *testing.T) *team {
	t.Helper()
	e := &team{t: t, clock: clock.NewFrozen(t0)}
	a := newAdapters(t, e.clock)
	e.dir, e.store, e.outbox, e.sched = a.dir, a.store, a.outbox, a.sched
	e.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(e.srv.Close)
	e.svc = e.service(strings.Repeat("k", 32))
	a.svc = e.svc
	e.store.CountWith(e.svc.Counting())
	e.srv.Config.Handler = web.New(web.Config{Service: e.svc, Brand: render.Brand{Name: "Sea Breeze Tours"}, Clock: e.clock, ExportPart: 2})
	e.srv.Start()

	ctx := context.Background()
	res, err := e.svc.Ingest(ctx, domain.Event{
		ID: "evt-1", Provider: "aftercare", Type: domain.BookingCompleted, OccurredAt: t0, Ref: "BK-7",
		Customer: domain.Customer{Email: "maria@example.com", Name: "María Pérez", Locale: "es", TimeZone: "Europe/Madrid"},
		Title:    "Sunset sailing", Agent: "Nikos", Location: "Old Port",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.id = res.IncidentID
	e.clock.Advance(2 * time.Hour)
	if _, err := e.sched.RunDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return e
}

// service composes the use cases with the given link secret, over the
// same store, outbox and scheduler (a second one stands for a restart
// with a rotated secret).
func (e *team) service(secret string) *app.Service {
	e.t.Helper()
	signer, err := links.NewSigner([]byte(secret))
	if err != nil {
		e.t.Fatal(err)
	}
	policy, err := domain.ParsePolicy([]byte(testPolicy))
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := app.New(app.Config{
		Store: e.store, Scheduler: e.sched, Mailer: e.outbox, Renderer: render.New(render.Brand{Name: "Sea Breeze Tours"}),
		Links: signer, Clock: e.clock, Policy: policy, PublicURL: "http://" + e.srv.Listener.Addr().String(),
		From:        netmail.Address{Name: "Sea Breeze", Address: "care@seabreeze.example"},
		Team:        netmail.Address{Address: ana},
		TeamMembers: []string{ana, "Bo@SeaBreeze.example"},
		ContactKey:  []byte(strings.Repeat("c", 32)),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// browser is one client: its own cookies, no redirects followed, and a
// client address of its own (X-Forwarded-For is not trusted, so the
// tests that need another client use another connection's peer address
// only through the app).
type browser struct {
	e       *team
	cookies map[string]string
}

func (e *team) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

type reply struct {
	code   int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values) reply {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return reply{resp.StatusCode, resp.Header, string(raw)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", body)
	}
	return m[1]
}

// signInLinks are the sign-in links in the outbox, by recipient.
func (e *team) signInLinks() map[string][]string {
	e.t.Helper()
	list, err := e.outbox.List(1000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]string{}
	re := regexp.MustCompile(`/team/signin/[A-Za-z0-9_-]+`)
	for _, m := range list {
		full, err := e.outbox.Read(m.Name)
		if err != nil {
			e.t.Fatal(err)
		}
		if link := re.FindString(full.Text); link != "" {
			to := strings.ToLower(strings.Trim(full.To, "<>"))
			out[to] = append(out[to], link)
		}
	}
	return out
}

// signIn goes through the whole sign-in as a member and returns the browser.
func (e *team) signIn(member string) *browser {
	e.t.Helper()
	b := e.browser()
	member = strings.ToLower(member)
	before := len(e.signInLinks()[member])
	page := b.do("GET", "/team", nil)
	if r := b.do("POST", "/team/signin", url.Values{"email": {member}, "csrf": {csrfOf(e.t, page.body)}}); r.code != http.StatusOK {
		e.t.Fatalf("request link: %d %s", r.code, r.body)
	}
	got := e.signInLinks()[member]
	if len(got) != before+1 {
		e.t.Fatalf("%d sign-in emails to %s, want %d", len(got), member, before+1)
	}
	link := got[len(got)-1]
	confirm := b.do("GET", link, nil)
	if confirm.code != http.StatusOK {
		e.t.Fatalf("open link: %d", confirm.code)
	}
	r := b.do("POST", link, url.Values{"csrf": {csrfOf(e.t, confirm.body)}})
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/team/queue" {
		e.t.Fatalf("confirm: %d → %q", r.code, r.header.Get("Location"))
	}
	return b
}

func TestSignInNeverEnumeratesTheTeam(t *testing.T) {
	e := newTeam(t)
	b := e.browser()
	page := b.do("GET", "/team", nil)
	csrf := csrfOf(t, page.body)
	member := b.do("POST", "/team/signin", url.Values{"email": {" BO@seabreeze.EXAMPLE "}, "csrf": {csrf}})
	other := b.do("POST", "/team/signin", url.Values{"email": {stranger}, "csrf": {csrf}})
	if member.code != other.code || member.body != other.body {
		t.Fatalf("a member and a stranger get different answers: %d vs %d\n%s\n---\n%s", member.code, other.code, member.body, other.body)
	}
	links := e.signInLinks()
	if len(links["bo@seabreeze.example"]) != 1 || len(links) != 1 {
		t.Fatalf("sign-in emails = %v, want one, to the team list's spelling of bo", links)
	}
	// No CSRF token, or another's: refused, nothing sent.
	if r := e.browser().do("POST", "/team/signin", url.Values{"email": {ana}, "csrf": {csrf}}); r.code != http.StatusForbidden {
		t.Fatalf("a form without its cookie: %d, want 403", r.code)
	}
	if len(e.signInLinks()[ana]) != 0 {
		t.Fatal("a forged form sent a link")
	}
}

func TestSignInLinkIsSingleUseShortLivedAndNeedsAPost(t *testing.T) {
	e := newTeam(t)
	b := e.browser()
	page := b.do("GET", "/team", nil)
	b.do("POST", "/team/signin", url.Values{"email": {ana}, "csrf": {csrfOf(t, page.body)}})
	link := e.signInLinks()[ana][0]

	// Link scanners fetch it, more than once: nobody is signed in.
	for range 3 {
		scan := e.browser().do("GET", link, nil)
		if scan.code != http.StatusOK || scan.header.Get("Set-Cookie") != "" && strings.Contains(scan.header.Get("Set-Cookie"), web.SessionCookie) {
			t.Fatalf("a GET of the link: %d, cookies %q", scan.code, scan.header.Values("Set-Cookie"))
		}
	}
	confirm := b.do("GET", link, nil)
	if r := b.do("POST", link, url.Values{"csrf": {"forged"}}); r.code != http.StatusForbidden {
		t.Fatalf("confirm with a forged CSRF token: %d", r.code)
	}
	r := b.do("POST", link, url.Values{"csrf": {csrfOf(t, confirm.body)}})
	if r.code != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", r.code, r.body)
	}
	set := strings.Join(r.header.Values("Set-Cookie"), "\n")
	for _, want := range []string{web.SessionCookie + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie lacks %q:\n%s", want, set)
		}
	}
	if strings.Contains(set, "Domain=") {
		t.Errorf("a __Host- cookie must not name a domain:\n%s", set)
	}
	if q := b.do("GET", "/team/queue", nil); q.code != http.StatusOK {
		t.Fatalf("queue after signing in: %d", q.code)
	}
	// Replayed: the link is used up.
	again := e.browser()
	page2 := again.do("GET", link, nil)
	if page2.code != http.StatusNotFound || !strings.Contains(page2.body, "no longer works") {
		t.Fatalf("replayed link: %d", page2.code)
	}

	// Expired: a link unused for more than 15 minutes.
	b2 := e.browser()
	p := b2.do("GET", "/team", nil)
	b2.do("POST", "/team/signin", url.Values{"email": {ana}, "csrf": {csrfOf(t, p.body)}})
	late := e.signInLinks()[ana][1]
	c := b2.do("GET", late, nil)
	e.clock.Advance(app.SignInLinkLife + time.Second)
	if r := b2.do("POST", late, url.Values{"csrf": {csrfOf(t, c.body)}}); r.code != http.StatusNotFound {
		t.Fatalf("expired link: %d", r.code)
	}
	// Foreign: a token that was never issued.
	if r := e.browser().do("GET", "/team/signin/"+strings.Repeat("A", 43), nil); r.code != http.StatusNotFound {
		t.Fatalf("unknown token: %d", r.code)
	}
}

func TestSignInRaceHasOneWinner(t *testing.T) {
	e := newTeam(t)
	b := e.browser()
	page := b.do("GET", "/team", nil)
	b.do("POST", "/team/signin", url.Values{"email": {ana}, "csrf": {csrfOf(t, page.body)}})
	link := e.signInLinks()[ana][0]
	token := strings.TrimPrefix(link, "/team/signin/")
	var wg sync.WaitGroup
	wins := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			if cookie, _, err := e.svc.ConfirmSignIn(context.Background(), token); err == nil {
				wins <- cookie
			}
		})
	}
	wg.Wait()
	close(wins)
	if n := len(wins); n != 1 {
		t.Fatalf("%d sessions from one link, want 1", n)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	e := newTeam(t)
	b := e.browser()
	csrf := csrfOf(t, b.do("GET", "/team", nil).body)
	codes := map[int]int{}
	for range app.SignInPerAddress + 2 {
		codes[b.do("POST", "/team/signin", url.Values{"email": {ana}, "csrf": {csrf}}).code]++
	}
	if codes[http.StatusOK] != app.SignInPerAddress || codes[http.StatusTooManyRequests] != 2 {
		t.Fatalf("answers per status = %v", codes)
	}
	if n := len(e.signInLinks()[ana]); n != app.SignInPerAddress {
		t.Fatalf("%d links sent, want %d", n, app.SignInPerAddress)
	}
	// Per client: enumerating many addresses from one client stops too.
	for i := range app.SignInPerClient {
		e.svc.RequestSignIn(context.Background(), "x"+string(rune('a'+i))+"@evil.example", "198.51.100.7")
	}
	if err := e.svc.RequestSignIn(context.Background(), "bo@seabreeze.example", "198.51.100.7"); err != app.ErrRateLimited {
		t.Fatalf("the client's %dth request: %v, want rate limited", app.SignInPerClient+1, err)
	}
	// The window passes.
	e.clock.Advance(16 * time.Minute)
	if err := e.svc.RequestSignIn(context.Background(), ana, "198.51.100.7"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestDashboardHeadersAndGuards(t *testing.T) {
	e := newTeam(t)
	b := e.signIn(ana)
	for _, path := range []string{"/team", "/team/queue", "/team/incidents", "/team/incidents/" + e.id} {
		r := b.do("GET", path, nil)
		if r.code != http.StatusOK && r.code != http.StatusSeeOther {
			t.Fatalf("%s: %d", path, r.code)
		}
		h := r.header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "style-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q allows script or inline style", path, csp)
		}
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: referrer %q, cache %q", path, h.Get("Referrer-Policy"), h.Get("Cache-Control"))
		}
		if strings.Contains(r.body, "style=") || strings.Contains(r.body, "<script") {
			t.Errorf("%s: inline style or script in the page", path)
		}
	}
	// Without a session: pages go to sign-in, actions are refused.
	anon := e.browser()
	if r := anon.do("GET", "/team/queue", nil); r.code != http.StatusSeeOther || r.header.Get("Location") != "/team" {
		t.Fatalf("queue without a session: %d → %q", r.code, r.header.Get("Location"))
	}
	if r := anon.do("POST", "/team/incidents/"+e.id+"/take", url.Values{"csrf": {"x"}}); r.code != http.StatusUnauthorized {
		t.Fatalf("action without a session: %d", r.code)
	}
	// CSRF: an action without the session's token changes nothing.
	if r := b.do("POST", "/team/incidents/"+e.id+"/take", url.Values{}); r.code != http.StatusForbidden {
		t.Fatalf("action without CSRF: %d", r.code)
	}
	if r := b.do("POST", "/team/incidents/"+e.id+"/take", url.Values{"csrf": {strings.Repeat("0", 43)}}); r.code != http.StatusForbidden {
		t.Fatalf("action with a wrong CSRF token: %d", r.code)
	}
	if inc, _ := e.store.Get(context.Background(), e.id); inc.Team != nil {
		t.Fatalf("a refused action changed the incident: %+v", inc.Team)
	}
}

func TestSessionsEndBySigningOutAndByRotatingTheSecret(t *testing.T) {
	e := newTeam(t)
	b := e.signIn(ana)
	q := b.do("GET", "/team/queue", nil)
	cookie := b.cookies[web.SessionCookie]
	if r := b.do("POST", "/team/signout", url.Values{"csrf": {csrfOf(t, q.body)}}); r.code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.code)
	}
	stolen := e.browser()
	stolen.cookies[web.SessionCookie] = cookie
	if r := stolen.do("GET", "/team/queue", nil); r.code != http.StatusSeeOther {
		t.Fatalf("a signed-out session still works: %d", r.code)
	}

	b2 := e.signIn(bo)
	cookie = b2.cookies[web.SessionCookie]
	if _, err := e.svc.TeamSession(context.Background(), cookie); err != nil {
		t.Fatal(err)
	}
	rotated := e.service(strings.Repeat("n", 32))
	if _, err := rotated.TeamSession(context.Background(), cookie); err != app.ErrNoSession {
		t.Fatalf("after rotating the link secret: %v, want ErrNoSession", err)
	}
	// A tampered cookie is nobody.
	if _, err := e.svc.TeamSession(context.Background(), cookie+"x"); err != app.ErrNoSession {
		t.Fatalf("tampered cookie: %v", err)
	}
}

func TestWorkAnAttentionItemToHandled(t *testing.T) {
	e := newTeam(t)
	ctx := context.Background()
	// The customer answers 1: the incident needs the team.
	inc, _ := e.store.Get(ctx, e.id)
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	tok := signer.Sign(links.Claims{Incident: e.id, Step: "thanks-1", Survey: domain.SurveyCSAT, Score: 1, Expires: e.clock.Now().Add(time.Hour)})
	if inc.Steps["thanks-1"].Status != domain.StepSent {
		t.Fatalf("thanks-1 = %+v", inc.Steps["thanks-1"])
	}
	comment := "The boat left <b>late</b>"
	if _, err := e.svc.Answer(ctx, tok, app.Feedback{Comment: &comment, Reasons: []string{"waiting"}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(40 * time.Minute)

	b := e.signIn(bo)
	q := b.do("GET", "/team/queue", nil)
	for _, want := range []string{"María Pérez", "CSAT 1/5", "waiting 40 min", "nobody on it", "The boat left &lt;b&gt;late&lt;/b&gt;", "waiting"} {
		if !strings.Contains(q.body, want) {
			t.Errorf("queue lacks %q", want)
		}
	}
	page := b.do("GET", "/team/incidents/"+e.id, nil)
	csrf := csrfOf(t, page.body)
	if !strings.Contains(page.body, "Europe/Madrid") || !strings.Contains(page.body, "UTC") {
		t.Error("the incident page does not show the customer's zone beside UTC")
	}
	for _, act := range []struct{ action, text string }{
		{"take", ""}, {"note", "Called María, the skipper was ill"}, {"solution", "Refunded 20%"},
		{"message", "Dear María,\n\nwe are sorry. We refunded 20% of the tour."}, {"handled", ""},
	} {
		r := b.do("POST", "/team/incidents/"+e.id+"/"+act.action, url.Values{"csrf": {csrf}, "text": {act.text}})
		if r.code != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", act.action, r.code, r.body)
		}
	}
	inc, _ = e.store.Get(ctx, e.id)
	var got []string
	for _, en := range inc.Timeline {
		if en.By != "" {
			got = append(got, en.Kind+" by "+en.By)
		}
	}
	want := []string{"taken by Bo@SeaBreeze.example", "note by Bo@SeaBreeze.example", "solution by Bo@SeaBreeze.example", "team_message by Bo@SeaBreeze.example", "handled by Bo@SeaBreeze.example"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("team entries:\n%q\nwant\n%q", got, want)
	}
	if inc.NeedsTeam() {
		t.Fatal("still in the queue after handled")
	}
	if q := b.do("GET", "/team/queue", nil); strings.Contains(q.body, "María Pérez") {
		t.Fatal("the queue still lists the handled incident")
	}
	// The message went to the customer, in Spanish, from the brand.
	list, _ := e.outbox.List(100)
	var msg *outbox.Entry
	for _, m := range list {
		if m.Step == "msg-1" {
			full, _ := e.outbox.Read(m.Name)
			msg = &full
		}
	}
	if msg == nil || !strings.Contains(msg.To, "maria@example.com") || !strings.Contains(msg.Subject, "mensaje de nuestro equipo") || !strings.Contains(msg.Text, "we are sorry") {
		t.Fatalf("team message = %+v", msg)
	}
	if st := inc.Steps["msg-1"]; st.Status != domain.StepSent {
		t.Fatalf("msg-1 = %+v", st)
	}
	// Handled lets the recovery survey go: it is scheduled.
	plan := domain.Plan(inc, e.svc.Policy(), e.clock.Now())
	if _, ok := domain.Find(plan, "recovery-1"); !ok {
		t.Fatalf("no recovery survey planned after handled: %v", plan)
	}
	// Every step shows what happened to it, in words.
	page = b.do("GET", "/team/incidents/"+e.id, nil)
	for _, want := range []string{"thank-you #1", "message from the team #1", "team alert #1", "“is it fixed?” survey #1"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	if !regexp.MustCompile(`recovery-1</span></td><td>planned`).MatchString(page.body) {
		t.Error("the coming recovery survey is not shown as planned")
	}
	// An empty note is refused with the reason, and changes nothing.
	before := len(inc.Timeline)
	r := b.do("POST", "/team/incidents/"+e.id+"/note", url.Values{"csrf": {csrf}, "text": {"  "}})
	if r.code != http.StatusBadRequest || !strings.Contains(r.body, "empty") {
		t.Fatalf("empty note: %d", r.code)
	}
	if inc, _ = e.store.Get(ctx, e.id); len(inc.Timeline) != before {
		t.Fatal("an empty note was recorded")
	}
}

func TestDashboardRefusesPlainHTTPBeyondLocalhost(t *testing.T) {
	e := newTeam(t)
	policy, _ := domain.ParsePolicy([]byte(testPolicy))
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	svc, err := app.New(app.Config{
		Store: e.store, Scheduler: e.sched, Clock: e.clock, Policy: policy, Links: signer,
		PublicURL: "http://care.example.com", From: netmail.Address{Address: "care@seabreeze.example"},
		TeamMembers: []string{ana},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Config{Service: svc, Clock: e.clock})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/team", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "https") {
		t.Fatalf("plain http public URL: %d %s", rec.Code, rec.Body.String())
	}
}

func TestReportsAndExports(t *testing.T) {
	e := newTeam(t)
	ctx := context.Background()
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	hostile := "=HYPERLINK(\"http://evil.example\",\"click\")"
	for step, score := range map[string]int{"thanks-1": 2, "nps-1": 10} {
		survey := domain.SurveyCSAT
		if step == "nps-1" {
			survey = domain.SurveyNPS
		}
		tok := signer.Sign(links.Claims{Incident: e.id, Step: step, Survey: survey, Score: score, Expires: e.clock.Now().Add(time.Hour)})
		fb := app.Feedback{}
		if step == "thanks-1" {
			fb.Comment = &hostile
		}
		if _, err := e.svc.Answer(ctx, tok, fb); err != nil {
			t.Fatal(err)
		}
	}
	b := e.signIn(ana)
	r := b.do("GET", "/team/reports?from=2026-11-16&to=2026-11-29&group=week&by=agent", nil)
	if r.code != http.StatusOK {
		t.Fatalf("reports: %d %s", r.code, r.body)
	}
	for _, want := range []string{
		"0 of 1 answers were 4 or 5 (n=1)",            // CSAT: the 2
		"1 promoters, 0 passives, 0 detractors (n=1)", // NPS: the 10
		"2 answered or replied of 3 surveys delivered",
		"<th scope=\"row\">Nikos</th>", // the breakdown by agent
		"2026-W47", "2026-W48",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("reports page lacks %q", want)
		}
	}
	// The charts are SVG in the page: well-formed, titled, described.
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(r.body, -1)
	if len(svgs) != 5 {
		t.Fatalf("%d charts, want 5", len(svgs))
	}
	for _, s := range svgs {
		if err := xml.Unmarshal([]byte(s), new(struct{})); err != nil {
			t.Errorf("chart is not well-formed XML: %v", err)
		}
		if !strings.Contains(s, "<title") || !strings.Contains(s, "<desc") || !strings.Contains(s, `role="img"`) {
			t.Errorf("chart without title, desc or role: %.200s", s)
		}
	}
	// A bad request says which field is wrong, over the default report.
	if bad := b.do("GET", "/team/reports?group=fortnight", nil); bad.code != http.StatusBadRequest || !strings.Contains(bad.body, "group") {
		t.Fatalf("bad group: %d", bad.code)
	}

	// The CSV exports: one row per incident, one per answer; the
	// customer's formula is neutralised.
	for file, rows := range map[string]int{"incidents.csv": 1, "answers.csv": 2} {
		res := b.do("GET", "/team/export/"+file, nil)
		if res.code != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") || !strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %q %q", file, res.code, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"))
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.body, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(recs) != rows+1 {
			t.Fatalf("%s: %d rows, want a header and %d", file, len(recs), rows)
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if strings.HasPrefix(cell, "=") || strings.HasPrefix(cell, "@") || strings.HasPrefix(cell, "+") {
					t.Errorf("%s: a cell a spreadsheet would run: %q", file, cell)
				}
			}
			if !strings.Contains(strings.Join(rec, ","), e.id) {
				t.Errorf("%s: row without the incident id: %q", file, rec)
			}
		}
		if !strings.Contains(res.body, "'"+hostile[:10]) && file == "answers.csv" {
			t.Errorf("%s: the comment is not kept, neutralised: %s", file, res.body)
		}
	}
	if r := e.browser().do("GET", "/team/export/incidents.csv", nil); r.code != http.StatusSeeOther {
		t.Fatalf("export without a session: %d", r.code)
	}
	if r := b.do("GET", "/team/export/passwords.csv", nil); r.code != http.StatusNotFound {
		t.Fatalf("unknown export: %d", r.code)
	}
}

// An export larger than a part comes in parts, each naming the next, which
// together hold every incident once (a Lambda's answer through API Gateway
// is limited to 6 MB).
func TestExportInParts(t *testing.T) {
	e := newTeam(t)
	ctx := context.Background()
	for i := range 4 { // five incidents in all, with the one newTeam made
		e.clock.Advance(time.Minute)
		ev := domain.Event{ID: fmt.Sprintf("evt-p%d", i), Provider: "aftercare", Type: domain.BookingCreated, OccurredAt: e.clock.Now(),
			Ref: fmt.Sprintf("BK-P%d", i), Customer: domain.Customer{Email: fmt.Sprintf("p%d@example.com", i)}}
		if _, err := e.svc.Ingest(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	b := e.signIn(ana)
	seen := map[string]int{}
	path, parts := "/team/export/incidents.csv", 0
	for path != "" {
		r := b.do("GET", path, nil)
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d", path, r.code)
		}
		parts++
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
		if err != nil || len(recs) < 2 || len(recs) > 3 {
			t.Fatalf("part %d: %d rows, %v", parts, len(recs), err)
		}
		for _, rec := range recs[1:] {
			seen[rec[0]]++
		}
		path = ""
		if next := r.header.Get("X-Aftercare-Next-Part"); next != "" {
			if !strings.Contains(r.header.Get("Link"), `rel="next"`) {
				t.Fatalf("part %d: Link %q", parts, r.header.Get("Link"))
			}
			path = next
		}
		if parts > 5 {
			t.Fatal("the parts do not end")
		}
	}
	if parts != 3 || len(seen) != 5 {
		t.Fatalf("%d parts holding %d incidents, want 3 parts and 5: %v", parts, len(seen), seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s exported %d times", id, n)
		}
	}
}

// A search for somebody or something that is not there finds nothing; it
// is not an error. (The stores wrap store.ErrNotFound.)
func TestSearchForWhatIsNotThere(t *testing.T) {
	e := newTeam(t)
	b := e.signIn(ana)
	for _, q := range []string{"nobody@example.com", "inc_aaaaaaaaaaaaaaaa", "no such name"} {
		r := b.do("GET", "/team/incidents?q="+url.QueryEscape(q), nil)
		if r.code != http.StatusOK || !strings.Contains(r.body, "Nothing found.") {
			t.Errorf("search %q: %d", q, r.code)
		}
	}
	r := b.do("GET", "/team/incidents?q="+url.QueryEscape("maria@example.com"), nil)
	if r.code != http.StatusOK || !strings.Contains(r.body, e.id) {
		t.Errorf("search by the customer's address: %d", r.code)
	}
}
