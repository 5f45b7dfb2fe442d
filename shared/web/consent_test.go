package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
)

// unsubscribeURL is the link the emails carry, in the footer and in the
// List-Unsubscribe header.
func (e *env) unsubscribeURL() string {
	e.t.Helper()
	u := e.svc.UnsubscribeURL(e.id, e.clock.Now())
	if !strings.HasPrefix(u, e.srv.URL+"/u/") {
		e.t.Fatalf("unsubscribe URL %q", u)
	}
	return u
}

func (e *env) consentState() string {
	e.t.Helper()
	c, err := e.store.GetContact(context.Background(), domain.ContactKey([]byte(strings.Repeat("c", 32)), "maria@example.com"))
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Consent.State
}

// A scanner's GET and HEAD of the unsubscribe link record nothing; the
// mailbox provider's one-click POST (RFC 8058: the body
// "List-Unsubscribe=One-Click", no cookie, no token beyond the URL)
// unsubscribes at once; the page then offers to subscribe again.
func TestOneClickUnsubscribe(t *testing.T) {
	e := newEnv(t)
	u := e.unsubscribeURL()
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r := e.do(method, u, nil)
		if r.code != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %v", method, r.code, r.header)
		}
		if method == http.MethodGet && (!strings.Contains(r.body, en.T("page.unsub.title")) || !strings.Contains(r.body, `name="action" value="unsubscribe"`)) {
			t.Fatalf("page: %s", r.body)
		}
	}
	if st := e.consentState(); st != "" {
		t.Fatalf("a GET changed consent to %q", st)
	}

	r := e.post(u, url.Values{"List-Unsubscribe": {"One-Click"}})
	if r.code != http.StatusOK || !strings.Contains(r.body, en.T("page.unsub.done.title")) || !strings.Contains(r.body, `value="resubscribe"`) {
		t.Fatalf("one-click POST: %d %s", r.code, r.body)
	}
	if st := e.consentState(); st != domain.ConsentUnsubscribed {
		t.Fatalf("consent %q after the one-click POST", st)
	}
	if n := countKind(e.incident(), domain.EntryConsent); n != 1 {
		t.Fatalf("%d consent entries", n)
	}
	// A provider's retry changes nothing more.
	if r := e.post(u, url.Values{"List-Unsubscribe": {"One-Click"}}); r.code != http.StatusOK || countKind(e.incident(), domain.EntryConsent) != 1 {
		t.Fatalf("retry: %d", r.code)
	}

	r = e.post(u, url.Values{"action": {"resubscribe"}})
	if r.code != http.StatusOK || !strings.Contains(r.body, en.T("page.unsub.back.title")) || e.consentState() != "" {
		t.Fatalf("resubscribe: %d %q %s", r.code, e.consentState(), r.body)
	}
	// The page's own button unsubscribes as well.
	if r := e.post(u, url.Values{"action": {"unsubscribe"}}); r.code != http.StatusOK || e.consentState() != domain.ConsentUnsubscribed {
		t.Fatalf("the page's button: %d %q", r.code, e.consentState())
	}
}

// A tampered, foreign or rating token unsubscribes nobody; an expired
// one is gone. The page speaks the customer's language.
func TestUnsubscribeBadLinks(t *testing.T) {
	e := newEnv(t)
	u := e.unsubscribeURL()
	rating := e.link("thanks-1", domain.SurveyCSAT, 5)
	for name, target := range map[string]string{
		"tampered": u[:len(u)-3] + "abc",
		"rating":   e.srv.URL + "/u/" + strings.TrimPrefix(rating, e.srv.URL+"/r/"),
		"other":    e.srv.URL + "/u/" + e.signer.Sign(links.Claims{Incident: "inc_nope", Step: "unsubscribe", Expires: e.clock.Now().Add(time.Hour)}),
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			if r := e.do(method, target, url.Values{"List-Unsubscribe": {"One-Click"}}); r.code != http.StatusNotFound {
				t.Errorf("%s %s: %d", name, method, r.code)
			}
		}
	}
	if st := e.consentState(); st != "" {
		t.Fatalf("a bad link changed consent to %q", st)
	}
	// The link lasts at least 60 days (a year).
	e.clock.Advance(300 * 24 * time.Hour)
	if r := e.get(u); r.code != http.StatusOK {
		t.Fatalf("after 300 days: %d", r.code)
	}
	e.clock.Advance(70 * 24 * time.Hour)
	if r := e.post(u, url.Values{"List-Unsubscribe": {"One-Click"}}); r.code != http.StatusGone {
		t.Fatalf("after 370 days: %d", r.code)
	}
}

func countKind(inc domain.Incident, kind string) int {
	n := 0
	for _, en := range inc.Timeline {
		if en.Kind == kind {
			n++
		}
	}
	return n
}
