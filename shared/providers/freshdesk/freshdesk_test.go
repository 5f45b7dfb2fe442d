package freshdesk

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

const (
	testToken  = "fd-token-0123456789abcdef"
	otherToken = "fd-token-fedcba9876543210"
)

var testNow = time.Date(2026, 11, 20, 17, 31, 12, 0, time.UTC)

func newProvider(t testing.TB, tokens ...string) *Provider {
	t.Helper()
	if len(tokens) == 0 {
		tokens = []string{testToken}
	}
	p, err := New(tokens...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func withHeader(token string, body []byte) providers.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderToken, token)
	return providers.Request{Header: h, Query: url.Values{}, Body: body}
}

// edit is hooktest.Edit on the ticket and its requester, which every
// test of this provider changes.
func edit(t testing.TB, name string, f func(tk, req map[string]any)) []byte {
	t.Helper()
	return hooktest.Edit(t, name, func(m map[string]any) {
		tk := m["ticket"].(map[string]any)
		f(tk, tk["requester"].(map[string]any))
	})
}

func TestName(t *testing.T) {
	if newProvider(t).Name() != "freshdesk" {
		t.Fatal("Name")
	}
}

func TestAutomationBodyIsTheShippedOne(t *testing.T) {
	if got := string(hooktest.Fixture(t, "automation-body.json")); got != AutomationBody {
		t.Fatalf("testdata/automation-body.json differs from AutomationBody:\n%s", got)
	}
	docs, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "providers.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), AutomationBody) {
		t.Fatal("docs/providers.md does not contain AutomationBody verbatim")
	}
}

func TestNewRefusesWeakTokens(t *testing.T) {
	for _, tokens := range [][]string{nil, {""}, {"short"}, {testToken, "short"}} {
		if _, err := New(tokens...); err == nil {
			t.Errorf("New(%q) accepted", tokens)
		}
	}
}

func TestAuthentication(t *testing.T) {
	body := hooktest.Fixture(t, "ticket-resolved.json")
	tests := []struct {
		name   string
		tokens []string
		header http.Header
		query  url.Values
		ok     bool
		inMsg  string
	}{
		{name: "header", header: http.Header{HeaderToken: {testToken}}, ok: true},
		{name: "bearer", header: http.Header{"Authorization": {"Bearer " + testToken}}, ok: true},
		{name: "query", query: url.Values{QueryToken: {testToken}}, ok: true},
		{name: "rotation: the second token", tokens: []string{otherToken, testToken}, header: http.Header{HeaderToken: {testToken}}, ok: true},
		{name: "missing", inMsg: "missing token"},
		{name: "wrong header", header: http.Header{HeaderToken: {otherToken}}, inMsg: "X-Aftercare-Token header matches none of 1"},
		{name: "prefix of the token", header: http.Header{HeaderToken: {testToken[:len(testToken)-1]}}, inMsg: "matches none"},
		{name: "wrong header not rescued by the query", header: http.Header{HeaderToken: {otherToken}}, query: url.Values{QueryToken: {testToken}}, inMsg: "header matches none"},
		{name: "basic auth is not a token", header: http.Header{"Authorization": {"Basic " + testToken}}, inMsg: "missing token"},
		{name: "wrong query", query: url.Values{QueryToken: {"fd-token-guess-guess-guess"}}, inMsg: "query parameter matches none"},
		{name: "retired token", tokens: []string{otherToken}, header: http.Header{HeaderToken: {testToken}}, inMsg: "matches none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := providers.Request{Header: tt.header, Query: tt.query, Body: body}
			if r.Header == nil {
				r.Header = http.Header{}
			}
			evs, err := newProvider(t, tt.tokens...).Parse(r, testNow)
			if tt.ok {
				if err != nil || len(evs) != 1 {
					t.Fatalf("Parse = %v, %v", evs, err)
				}
				return
			}
			if !errors.Is(err, providers.ErrUnauthorized) || !strings.Contains(err.Error(), tt.inMsg) || evs != nil {
				t.Fatalf("Parse = %v, %v; want ErrUnauthorized mentioning %q", evs, err, tt.inMsg)
			}
		})
	}
	// Authentication comes first: garbage without a token is 401.
	if _, err := newProvider(t).Parse(providers.Request{Header: http.Header{}, Body: []byte("{nope")}, testNow); !errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("unauthenticated garbage: %v", err)
	}
}

func TestParseFixtures(t *testing.T) {
	tom := domain.Customer{Email: "tom@outerspace.com", Name: "Tom", Locale: "en", TimeZone: "America/New_York"}
	for file, typ := range map[string]domain.EventType{"ticket-resolved.json": domain.TicketSolved, "ticket-reopened.json": domain.TicketOpened} {
		t.Run(file, func(t *testing.T) {
			evs, err := newProvider(t).Parse(withHeader(testToken, hooktest.Fixture(t, file)), testNow)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Parse = %+v, %v", evs, err)
			}
			got := evs[0]
			if !strings.HasPrefix(got.ID, "fd_") {
				t.Errorf("id %q", got.ID)
			}
			got.ID = ""
			want := domain.Event{Provider: "freshdesk", Type: typ, OccurredAt: testNow, Ref: "1", Customer: tom, Title: "Support Needed...", Agent: "Diana"}
			if got != want {
				t.Fatalf("event =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestStatusMapping(t *testing.T) {
	p := newProvider(t)
	for status, want := range map[string]domain.EventType{
		"Open": domain.TicketOpened, "2": domain.TicketOpened, "Pending": domain.TicketUpdated,
		"Waiting on Customer": domain.TicketUpdated, "waiting on third party": domain.TicketUpdated,
		"Resolved": domain.TicketSolved, "4": domain.TicketSolved, "Closed": domain.TicketClosed, "5": domain.TicketClosed,
		"Reopened": domain.TicketReopened,
	} {
		body := edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["status"] = status })
		evs, err := p.Parse(withHeader(testToken, body), testNow)
		if err != nil || evs[0].Type != want {
			t.Errorf("status %q: %+v, %v; want %s", status, evs, err, want)
		}
	}
	// A numeric code written without quotes.
	body := []byte(strings.Replace(string(hooktest.Fixture(t, "ticket-resolved.json")), `"status": "Resolved"`, `"status": 4`, 1))
	if evs, err := p.Parse(withHeader(testToken, body), testNow); err != nil || evs[0].Type != domain.TicketSolved {
		t.Errorf("status 4 unquoted: %+v, %v", evs, err)
	}
	for _, status := range []string{"Awaiting parts", "Solved"} {
		body := edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["status"] = status })
		if _, err := p.Parse(withHeader(testToken, body), testNow); !errors.Is(err, providers.ErrIgnored) || !strings.Contains(err.Error(), status) {
			t.Errorf("status %q: %v, want ErrIgnored naming it", status, err)
		}
	}
}

// TestEventIDs: without a time from Freshdesk, a redelivery within the
// minute is the same event; a later one, or another change, is not.
func TestEventIDs(t *testing.T) {
	p := newProvider(t)
	id := func(body []byte, now time.Time) string {
		t.Helper()
		evs, err := p.Parse(withHeader(testToken, body), now)
		if err != nil {
			t.Fatal(err)
		}
		return evs[0].ID
	}
	resolved := hooktest.Fixture(t, "ticket-resolved.json")
	minute := testNow.Truncate(time.Minute)
	if id(resolved, minute) != id(resolved, minute.Add(59*time.Second)) {
		t.Error("a redelivery within the minute got a new id")
	}
	if id(resolved, minute) == id(resolved, minute.Add(time.Hour)) {
		t.Error("a resolution an hour later shares the id")
	}
	if id(resolved, testNow) == id(hooktest.Fixture(t, "ticket-reopened.json"), testNow) {
		t.Error("resolved and reopened share an id")
	}
	withTime := edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["updated_at"] = "2026-11-20T17:30:00Z" })
	if id(withTime, testNow) != id(withTime, testNow.Add(time.Hour)) {
		t.Error("with ticket.updated_at the id must not depend on the arrival time")
	}
	evs, err := p.Parse(withHeader(testToken, withTime), testNow)
	if err != nil || !evs[0].OccurredAt.Equal(time.Date(2026, 11, 20, 17, 30, 0, 0, time.UTC)) {
		t.Errorf("ticket.updated_at not used as the event time: %+v, %v", evs, err)
	}
}

func TestParseMalformed(t *testing.T) {
	p := newProvider(t)
	for name, tt := range map[string]struct{ body, inMsg string }{
		"empty":               {"", "body is empty"},
		"array":               {`[]`, "JSON object"},
		"syntax":              {`{"ticket":{"id":"1"`, "invalid JSON"},
		"ticket is a list":    {`{"ticket":[]}`, "ticket must be a JSON object, not array"},
		"status is an object": {`{"ticket":{"status":{}}}`, "ticket.status must be a JSON string, not object"},
		"subject is a number": {`{"ticket":{"subject":7}}`, "ticket.subject must be a JSON string, not number"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Parse(withHeader(testToken, []byte(tt.body)), testNow)
			if !errors.Is(err, providers.ErrMalformed) || errors.Is(err, domain.ErrInvalidEvent) || !strings.Contains(err.Error(), tt.inMsg) {
				t.Fatalf("Parse = %v, want only ErrMalformed mentioning %q", err, tt.inMsg)
			}
		})
	}
}

func TestParseNamesAutomationBodyFields(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(tk, req map[string]any)
		field string
	}{
		{"id missing", func(tk, _ map[string]any) { delete(tk, "id") }, "ticket.id"},
		{"status missing", func(tk, _ map[string]any) { delete(tk, "status") }, "ticket.status"},
		{"status not rendered", func(tk, _ map[string]any) { tk["status"] = "{{ticket.status}}" }, "ticket.status"},
		{"email missing", func(_, r map[string]any) { r["email"] = "" }, "ticket.requester.email"},
		{"email not an address", func(_, r map[string]any) { r["email"] = "Tom <tom@outerspace.com>" }, "ticket.requester.email"},
		{"time zone not IANA", func(_, r map[string]any) { r["time_zone"] = "Eastern Time (US & Canada)" }, "ticket.requester.time_zone"},
		{"updated_at not a time", func(tk, _ map[string]any) { tk["updated_at"] = "Fri, 20 Nov 2026" }, "ticket.updated_at"},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Parse(withHeader(testToken, edit(t, "ticket-resolved.json", tt.edit)), testNow)
			var fe *domain.FieldError
			if !errors.Is(err, domain.ErrInvalidEvent) || !errors.As(err, &fe) || errors.Is(err, providers.ErrMalformed) || errors.Is(err, providers.ErrIgnored) {
				t.Fatalf("Parse = %v; want only an invalid field", err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q (%v), want %q", fe.Field, err, tt.field)
			}
		})
	}
	if _, err := p.Parse(withHeader(testToken, []byte(`{}`)), testNow); err == nil || !strings.Contains(err.Error(), "ticket: is required") {
		t.Errorf("a body without ticket: %v", err)
	}
}

func TestRenderedAutomationBody(t *testing.T) {
	body := strings.NewReplacer(
		"{{ticket.id}}", "4711", "{{ticket.subject}}", "Cambio de fecha", "{{ticket.status}}", "Closed",
		"{{triggered_event}}", "{status:{from:Resolved,to:Closed}}", "{{ticket.agent.name}}", "Nikos",
		"{{ticket.requester.email}}", "lucia@example.es", "{{ticket.requester.name}}", "Lucía",
	).Replace(AutomationBody)
	evs, err := newProvider(t).Parse(withHeader(testToken, []byte(body)), testNow)
	if err != nil || evs[0].Type != domain.TicketClosed || evs[0].Ref != "4711" || evs[0].Customer.Name != "Lucía" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
	if evs[0].NoSurvey != nil {
		t.Errorf("an unrendered no_survey placeholder said %v", *evs[0].NoSurvey)
	}
}

// The no_survey checkbox field: ticked asks for no survey, unticked (or
// empty: no such field) lifts it.
func TestNoSurveyField(t *testing.T) {
	for value, want := range map[string]bool{"true": true, "Yes": true, "1": true, "false": false, "": false} {
		body := strings.NewReplacer(
			"{{ticket.id}}", "4711", "{{ticket.subject}}", "s", "{{ticket.status}}", "Resolved",
			"{{triggered_event}}", "{status:{from:Open,to:Resolved}}", "{{ticket.agent.name}}", "Nikos",
			"{{ticket.requester.email}}", "lucia@example.es", "{{ticket.requester.name}}", "Lucía",
			"{{ticket.cf_no_survey}}", value,
		).Replace(AutomationBody)
		evs, err := newProvider(t).Parse(withHeader(testToken, []byte(body)), testNow)
		if err != nil || evs[0].NoSurvey == nil || *evs[0].NoSurvey != want {
			t.Errorf("no_survey %q: %+v %v", value, evs, err)
		}
	}
}
