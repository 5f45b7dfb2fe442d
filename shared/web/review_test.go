package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/store/bolt"
	"github.com/aftercare/aftercare/shared/web"
)

// reviewPolicy invites every completed booking to review, an hour after
// completion; bookings at the Old Port also to its Tripadvisor page.
const reviewPolicy = `{
  "rules": [],
  "review_invite": {"delay": "1h",
    "sites": [{"name": "Google", "url": "https://g.page/r/sea-breeze/review"}],
    "locations": {"Old Port, Chania": [{"name": "Tripadvisor", "url": "https://www.tripadvisor.com/UserReviewEdit-d1"}]}}
}`

// reviewEnv is the public handler, served in-process, with one booking at
// the Old Port whose review invitation was sent; it returns the handler,
// the store, the incident's id and the review link's path.
func reviewEnv(t *testing.T) (http.Handler, *bolt.Store, string, string, *links.Signer) {
	t.Helper()
	clk := clock.NewFrozen(t0)
	a := newAdapters(t, clk)
	st, ob, sched := a.store, a.outbox, a.sched
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	policy, err := domain.ParsePolicy([]byte(reviewPolicy))
	if err != nil {
		t.Fatal(err)
	}
	brand := render.Brand{Name: "Sea Breeze Tours"}
	svc, err := app.New(app.Config{
		Store: st, Scheduler: sched, Mailer: ob, Renderer: render.New(brand), Links: signer, Clock: clk,
		Policy: policy, PublicURL: "https://care.example", ContactKey: []byte(strings.Repeat("c", 32)),
		From: netmail.Address{Name: "Sea Breeze", Address: "care@seabreeze.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.svc = svc
	ctx := context.Background()
	res, err := svc.Ingest(ctx, domain.Event{
		ID: "evt-1", Provider: "aftercare", Type: domain.BookingCompleted, OccurredAt: t0, Ref: "BK-7",
		Customer: domain.Customer{Email: "maria@example.com", Name: "María", Locale: "es", TimeZone: "Europe/Madrid"},
		Location: "Old Port, Chania",
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if fired, err := sched.RunDue(ctx, clk.Now()); err != nil || len(fired) != 1 {
		t.Fatalf("run due: %v %v", fired, err)
	}
	u := svc.ReviewURL(res.IncidentID, "review-1", clk.Now())
	return web.New(web.Config{Service: svc, Brand: brand, Clock: clk}), st, res.IncidentID, strings.TrimPrefix(u, "https://care.example"), signer
}

func serve(h http.Handler, method, target string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func followed(t *testing.T, st *bolt.Store, id string) []string {
	t.Helper()
	inc, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range inc.Timeline {
		if e.Kind == domain.EntryReview && strings.HasPrefix(e.Detail, "review site followed") {
			out = append(out, e.Detail)
		}
	}
	return out
}

// TestReviewPageRecordsNothing: a scanner's GET or HEAD of the review link
// shows the sites and records nothing; the page's CSP lets its forms'
// redirects reach exactly the sites' origins.
func TestReviewPageRecordsNothing(t *testing.T) {
	h, st, id, path, _ := reviewEnv(t)
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		w := serve(h, m, path, nil)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", m, w.Code)
		}
		if m == http.MethodGet {
			body := w.Body.String()
			for _, want := range []string{"Continuar a Tripadvisor", "Continuar a Google", `name="site" value="0"`, `method="post"`} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, "g.page") || strings.Contains(body, "tripadvisor.com") {
				t.Error("the page shows a site's URL; the choice must go through the POST")
			}
			csp := w.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "form-action 'self' https://www.tripadvisor.com https://g.page;") || strings.Contains(csp, "script-src") {
				t.Errorf("CSP %q", csp)
			}
			if w.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Error("the token could leak as a referrer")
			}
		}
	}
	if got := followed(t, st, id); len(got) != 0 {
		t.Errorf("fetching recorded %v", got)
	}
	// The review token is no rating link: /r/ shows the bad-link page.
	rpath := strings.Replace(path, "/v/", "/r/", 1)
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if w := serve(h, m, rpath, url.Values{}); w.Code != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", m, "/r/<review token>", w.Code)
		}
	}
}

// TestReviewRedirect: the POST records the chosen site once and redirects
// to its configured URL; anything else gets the friendly page and no
// redirect at all.
func TestReviewRedirect(t *testing.T) {
	h, st, id, path, signer := reviewEnv(t)
	for range 2 {
		w := serve(h, http.MethodPost, path, url.Values{"site": {"1"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "https://g.page/r/sea-breeze/review" {
			t.Fatalf("POST site=1: %d → %q", w.Code, w.Header().Get("Location"))
		}
	}
	if got := followed(t, st, id); len(got) != 1 || got[0] != "review site followed: Google" {
		t.Errorf("timeline %v, want Google once", got)
	}
	rating := "/v/" + signer.Sign(links.Claims{Incident: id, Step: "thanks-1", Survey: domain.SurveyCSAT, Score: 5, Expires: t0.Add(time.Hour * 24)})
	bad := []struct {
		name, path string
		form       url.Values
		code       int
	}{
		{"index past the sites", path, url.Values{"site": {"2"}}, http.StatusNotFound},
		{"negative index", path, url.Values{"site": {"-1"}}, http.StatusNotFound},
		{"not a number", path, url.Values{"site": {"https://evil.example"}}, http.StatusNotFound},
		{"no site", path, url.Values{}, http.StatusNotFound},
		{"a URL in the form", path, url.Values{"site": {"0"}, "url": {"https://evil.example"}}, http.StatusSeeOther},
		{"tampered token", path[:len(path)-3] + "AAA", url.Values{"site": {"0"}}, http.StatusNotFound},
		{"a rating link's token", rating, url.Values{"site": {"0"}}, http.StatusNotFound},
	}
	for _, b := range bad {
		w := serve(h, http.MethodPost, b.path, b.form)
		loc := w.Header().Get("Location")
		if w.Code != b.code {
			t.Errorf("%s: %d, want %d", b.name, w.Code, b.code)
		}
		if b.code == http.StatusSeeOther && loc != "https://www.tripadvisor.com/UserReviewEdit-d1" {
			t.Errorf("%s: redirected to %q", b.name, loc)
		}
		if b.code != http.StatusSeeOther && loc != "" {
			t.Errorf("%s: redirected to %q", b.name, loc)
		}
	}
}
