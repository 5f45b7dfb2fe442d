package zendesk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
	testSecret  = "aftercare-zendesk-test-secret"
	otherSecret = "another-zendesk-signing-secret"
)

var testNow = time.Date(2026, 11, 20, 17, 31, 0, 0, time.UTC)

func newProvider(t testing.TB, secrets ...string) *Provider {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{testSecret}
	}
	p, err := New(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signature computes the header independently of the code under test.
func signature(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func signedAt(secret string, at time.Time, body []byte) providers.Request {
	ts := at.UTC().Format(time.RFC3339)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Zendesk-Webhook-Id", "01GK8E6BKWMJZD2T8Y5AXJQMG5")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, signature(secret, ts, body))
	return providers.Request{Header: h, Body: body}
}

func signed(secret string, body []byte) providers.Request { return signedAt(secret, testNow, body) }

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
	if newProvider(t).Name() != "zendesk" {
		t.Fatal("Name")
	}
}

// TestSignatureVector checks verification against a signature computed
// outside Go, with OpenSSL:
//
//	printf '%s' '2026-11-20T17:31:00Z{"ticket":{"id":"35436"}}' |
//	  openssl dgst -sha256 -hmac 'aftercare-zendesk-test-secret' -binary | base64
func TestSignatureVector(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderTimestamp, "2026-11-20T17:31:00Z")
	h.Set(HeaderSignature, "ttw+I6Lh30b3x7erp91RDoAQ+xQEhAVHQKDpZLNEcdA=")
	_, err := newProvider(t).Parse(providers.Request{Header: h, Body: []byte(`{"ticket":{"id":"35436"}}`)}, testNow)
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != "ticket.status" {
		t.Fatalf("Parse(OpenSSL vector) = %v, want it authentic and stopped at the missing status", err)
	}
}

func TestTriggerBodyIsTheShippedOne(t *testing.T) {
	if got := string(hooktest.Fixture(t, "trigger-body.json")); got != TriggerBody {
		t.Fatalf("testdata/trigger-body.json differs from TriggerBody:\n%s", got)
	}
	docs, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "providers.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), TriggerBody) {
		t.Fatal("docs/providers.md does not contain TriggerBody verbatim")
	}
	if !json.Valid([]byte(TriggerBody)) {
		t.Fatal("TriggerBody is not JSON")
	}
}

// A ticket tagged aftercare_no_survey asks for no survey; tags without it
// lift an earlier ask; a body without tags says nothing.
func TestNoSurveyTag(t *testing.T) {
	body := func(tags string) []byte {
		r := strings.NewReplacer(
			"{{ticket.id}}", "88", "{{ticket.title}}", "t", "{{ticket.status}}", "Solved",
			"{{ticket.updated_at_with_timestamp}}", "2026-11-20T17:30Z", "{{ticket.assignee.name}}", "Eleni",
			"{{ticket.requester.email}}", "giorgos@example.gr", "{{ticket.requester.name}}", "G",
			"{{ticket.requester.language}}", "English", "{{ticket.tags}}", tags)
		return []byte(r.Replace(TriggerBody))
	}
	for tags, want := range map[string]string{"vip aftercare_no_survey": "true", "AFTERCARE_NO_SURVEY": "true", "vip": "false", "": "false", "{{ticket.tags}}": "nil"} {
		evs, err := newProvider(t).Parse(signed(testSecret, body(tags)), testNow)
		if err != nil {
			t.Fatalf("%q: %v", tags, err)
		}
		got := "nil"
		if p := evs[0].NoSurvey; p != nil {
			got = fmt.Sprint(*p)
		}
		if got != want {
			t.Errorf("tags %q: no_survey %s, want %s", tags, got, want)
		}
	}
}

// TestRenderedTriggerBody fills TriggerBody's placeholders the way Zendesk
// does and parses the result.
func TestRenderedTriggerBody(t *testing.T) {
	body := strings.NewReplacer(
		"{{ticket.id}}", "88", "{{ticket.title}}", "Γυαλιά ηλίου στο σκάφος",
		"{{ticket.status}}", "Solved", "{{ticket.updated_at_with_timestamp}}", "2026-11-20T17:30Z",
		"{{ticket.assignee.name}}", "Eleni", "{{ticket.requester.email}}", "giorgos@example.gr",
		"{{ticket.requester.name}}", "Γιώργος", "{{ticket.requester.language}}", "Ελληνικά",
		"{{ticket.tags}}", "vip",
	).Replace(TriggerBody)
	evs, err := newProvider(t).Parse(signed(testSecret, []byte(body)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	if e.Type != domain.TicketSolved || e.Ref != "88" || e.Customer.Locale != "el" || e.Customer.TimeZone != "" || e.Title != "Γυαλιά ηλίου στο σκάφος" {
		t.Fatalf("event = %+v", e)
	}
}

func TestParseUnauthorized(t *testing.T) {
	body := hooktest.Fixture(t, "trigger-ticket-solved.json")
	ts := testNow.Format(time.RFC3339)
	good := signature(testSecret, ts, body)
	tests := []struct {
		name    string
		secrets []string
		sig, ts string
		body    []byte
		inMsg   string
	}{
		{name: "unsigned", ts: ts, inMsg: "missing X-Zendesk-Webhook-Signature header"},
		{name: "no timestamp", sig: good, inMsg: "missing X-Zendesk-Webhook-Signature-Timestamp"},
		{name: "not base64", sig: "%%%", ts: ts, inMsg: "not base64"},
		{name: "short but valid base64", sig: "abcdefgh", ts: ts, inMsg: "matches none"},
		{name: "wrong secret", sig: signature(otherSecret, ts, body), ts: ts, inMsg: "matches none of 1"},
		{name: "retired secret", secrets: []string{"new-secret"}, sig: good, ts: ts, inMsg: "matches none"},
		{name: "tampered body", sig: good, ts: ts, body: hooktest.Fixture(t, "trigger-ticket-new.json"), inMsg: "matches none"},
		{name: "timestamp changed", sig: good, ts: testNow.Add(time.Second).Format(time.RFC3339), inMsg: "matches none"},
		{name: "stale", sig: signature(testSecret, testNow.Add(-Tolerance-time.Second).Format(time.RFC3339), body), ts: testNow.Add(-Tolerance - time.Second).Format(time.RFC3339), inMsg: "5m1s in the past"},
		{name: "future", sig: signature(testSecret, testNow.Add(Tolerance+time.Minute).Format(time.RFC3339), body), ts: testNow.Add(Tolerance + time.Minute).Format(time.RFC3339), inMsg: "in the future"},
		{name: "signed but unparseable timestamp", sig: signature(testSecret, "yesterday", body), ts: "yesterday", inMsg: "X-Zendesk-Webhook-Signature-Timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.sig != "" {
				h.Set(HeaderSignature, tt.sig)
			}
			if tt.ts != "" {
				h.Set(HeaderTimestamp, tt.ts)
			}
			b := body
			if tt.body != nil {
				b = tt.body
			}
			evs, err := newProvider(t, tt.secrets...).Parse(providers.Request{Header: h, Body: b}, testNow)
			if !errors.Is(err, providers.ErrUnauthorized) || !strings.Contains(err.Error(), tt.inMsg) || evs != nil {
				t.Fatalf("Parse = %v, %v; want ErrUnauthorized mentioning %q", evs, err, tt.inMsg)
			}
		})
	}
}

func TestParseAcceptsRotationAndTolerance(t *testing.T) {
	body := hooktest.Fixture(t, "trigger-ticket-solved.json")
	p := newProvider(t, otherSecret, testSecret)
	for _, secret := range []string{testSecret, otherSecret} {
		for _, d := range []time.Duration{-Tolerance, 0, Tolerance} {
			if _, err := p.Parse(signedAt(secret, testNow.Add(d), body), testNow); err != nil {
				t.Errorf("secret %q, %v from now: %v", secret, d, err)
			}
		}
	}
}

func TestParseTriggerFixtures(t *testing.T) {
	maria := domain.Customer{Email: "maria@example.com", Name: "María Pérez", Locale: "es", TimeZone: "Europe/Madrid"}
	tests := []struct {
		file string
		want domain.Event
	}{
		{"trigger-ticket-solved.json", domain.Event{
			Provider: "zendesk", Type: domain.TicketSolved, OccurredAt: time.Date(2026, 11, 20, 17, 30, 0, 0, time.UTC),
			Ref: "35436", Customer: maria, Title: "Help, my printer is on fire!", Agent: "Eleni Kritikou",
		}},
		{"trigger-ticket-new.json", domain.Event{
			Provider: "zendesk", Type: domain.TicketOpened, OccurredAt: time.Date(2026, 11, 20, 9, 12, 0, 0, time.UTC),
			Ref: "35436", Customer: maria, Title: "Help, my printer is on fire!",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs, err := newProvider(t).Parse(signed(testSecret, hooktest.Fixture(t, tt.file)), testNow)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Parse = %+v, %v", evs, err)
			}
			got := evs[0]
			if !strings.HasPrefix(got.ID, "zd_") {
				t.Errorf("id %q", got.ID)
			}
			got.ID = ""
			if got != tt.want {
				t.Fatalf("event =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestStatusMapping(t *testing.T) {
	tests := map[string]domain.EventType{
		"New": domain.TicketOpened, "open": domain.TicketOpened, " OPEN ": domain.TicketOpened,
		"Pending": domain.TicketUpdated, "On-hold": domain.TicketUpdated, "hold": domain.TicketUpdated,
		"Solved": domain.TicketSolved, "Closed": domain.TicketClosed, "Reopened": domain.TicketReopened,
	}
	p := newProvider(t)
	for status, want := range tests {
		t.Run(status, func(t *testing.T) {
			body := edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["status"] = status })
			evs, err := p.Parse(signed(testSecret, body), testNow)
			if err != nil || evs[0].Type != want {
				t.Fatalf("Parse = %+v, %v; want %s", evs, err, want)
			}
		})
	}
	for _, status := range []string{"Deleted", "Resuelto", "Waiting on customer"} {
		t.Run(status, func(t *testing.T) {
			body := edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["status"] = status })
			_, err := p.Parse(signed(testSecret, body), testNow)
			if !errors.Is(err, providers.ErrIgnored) || !strings.Contains(err.Error(), status) {
				t.Fatalf("Parse = %v, want ErrIgnored naming %q", err, status)
			}
		})
	}
}

func TestEventSubscriptions(t *testing.T) {
	p := newProvider(t)
	t.Run("status change: no email, so 400 saying what to do", func(t *testing.T) {
		_, err := p.Parse(signed(testSecret, hooktest.Fixture(t, "event-ticket-status-changed.json")), testNow)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != "detail.requester_id" || !strings.Contains(fe.Reason, "trigger") {
			t.Fatalf("Parse = %v", err)
		}
	})
	for _, f := range []string{"event-ticket-comment-added.json", "event-user-active-changed.json"} {
		t.Run(f, func(t *testing.T) {
			if _, err := p.Parse(signed(testSecret, hooktest.Fixture(t, f)), testNow); !errors.Is(err, providers.ErrIgnored) {
				t.Fatalf("Parse = %v, want ErrIgnored", err)
			}
		})
	}
	t.Run("status change to a status not mapped", func(t *testing.T) {
		b := []byte(`{"type":"zen:event-type:ticket.status_changed","event":{"current":"ARCHIVED","previous":"CLOSED"}}`)
		if _, err := p.Parse(signed(testSecret, b), testNow); !errors.Is(err, providers.ErrIgnored) {
			t.Fatalf("Parse = %v, want ErrIgnored", err)
		}
	})
}

func TestMapStatusTellsReopeningFromOpening(t *testing.T) {
	for _, tt := range []struct {
		status, previous string
		want             domain.EventType
	}{
		{"OPEN", "SOLVED", domain.TicketReopened}, {"OPEN", "CLOSED", domain.TicketReopened},
		{"OPEN", "NEW", domain.TicketOpened}, {"OPEN", "", domain.TicketOpened},
	} {
		if got, ok := mapStatus(tt.status, tt.previous); !ok || got != tt.want {
			t.Errorf("mapStatus(%q, %q) = %s, want %s", tt.status, tt.previous, got, tt.want)
		}
	}
}

func TestLocale(t *testing.T) {
	for in, want := range map[string]string{
		"es": "es", "pt-BR": "pt-BR", "Español": "es", "English (United States)": "en", "english": "en",
		"Ελληνικά": "el", "Greek": "el", "Klingon": "", "": "", "{{ticket.requester.language}}": "",
	} {
		if got := locale(in); got != want {
			t.Errorf("locale(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEventIDs(t *testing.T) {
	p := newProvider(t)
	id := func(body []byte) string {
		t.Helper()
		evs, err := p.Parse(signed(testSecret, body), testNow)
		if err != nil {
			t.Fatal(err)
		}
		return evs[0].ID
	}
	solved := hooktest.Fixture(t, "trigger-ticket-solved.json")
	if id(solved) != id(solved) {
		t.Error("a redelivery got a new id")
	}
	later := edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["updated_at"] = "2026-11-20T17:45Z" })
	reopened := edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["status"] = "Open" })
	if id(solved) == id(later) || id(solved) == id(reopened) {
		t.Error("different changes share an id")
	}
}

func TestParseMalformed(t *testing.T) {
	p := newProvider(t)
	for name, tt := range map[string]struct{ body, inMsg string }{
		"empty":           {"", "body is empty"},
		"array":           {`[]`, "JSON object"},
		"syntax":          {"{\"ticket\": {\"id\": 1,}}", "invalid JSON at line 1"},
		"ticket a string": {`{"ticket":"35436"}`, "ticket must be a JSON object, not string"},
		"requester array": {`{"ticket":{"requester":[]}}`, "ticket.requester must be a JSON object, not array"},
		"id is an object": {`{"ticket":{"id":{}}}`, "ticket.id must be a JSON string, not object"},
		"email is a bool": {`{"ticket":{"requester":{"email":true}}}`, "ticket.requester.email must be a JSON string, not bool"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Parse(signed(testSecret, []byte(tt.body)), testNow)
			if !errors.Is(err, providers.ErrMalformed) || errors.Is(err, domain.ErrInvalidEvent) || !strings.Contains(err.Error(), tt.inMsg) {
				t.Fatalf("Parse = %v, want only ErrMalformed mentioning %q", err, tt.inMsg)
			}
		})
	}
}

func TestUnquotedTicketIDIsAccepted(t *testing.T) {
	body := []byte(strings.Replace(string(hooktest.Fixture(t, "trigger-ticket-solved.json")), `"id": "35436"`, `"id": 35436`, 1))
	evs, err := newProvider(t).Parse(signed(testSecret, body), testNow)
	if err != nil || evs[0].Ref != "35436" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestParseNamesTriggerBodyFields(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(tk, req map[string]any)
		field string
	}{
		{"id missing", func(tk, _ map[string]any) { delete(tk, "id") }, "ticket.id"},
		{"id too long", func(tk, _ map[string]any) { tk["id"] = strings.Repeat("9", 201) }, "ticket.id"},
		{"status missing", func(tk, _ map[string]any) { tk["status"] = " " }, "ticket.status"},
		{"status placeholder not rendered", func(tk, _ map[string]any) { tk["status"] = "{{ticket.status}}" }, "ticket.status"},
		{"email placeholder not rendered", func(_, r map[string]any) { r["email"] = "{{ticket.requester.email}}" }, "ticket.requester.email"},
		{"updated_at missing", func(tk, _ map[string]any) { delete(tk, "updated_at") }, "ticket.updated_at"},
		{"updated_at not a time", func(tk, _ map[string]any) { tk["updated_at"] = "November 20, 2026" }, "ticket.updated_at"},
		{"email missing", func(_, r map[string]any) { delete(r, "email") }, "ticket.requester.email"},
		{"email not an address", func(_, r map[string]any) { r["email"] = "maria at example.com" }, "ticket.requester.email"},
		{"time zone not IANA", func(_, r map[string]any) { r["time_zone"] = "Madrid" }, "ticket.requester.time_zone"},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Parse(signed(testSecret, edit(t, "trigger-ticket-solved.json", tt.edit)), testNow)
			var fe *domain.FieldError
			if !errors.Is(err, domain.ErrInvalidEvent) || !errors.As(err, &fe) || errors.Is(err, providers.ErrMalformed) || errors.Is(err, providers.ErrIgnored) {
				t.Fatalf("Parse = %v; want only an invalid field", err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q (%v), want %q", fe.Field, err, tt.field)
			}
		})
	}
	if _, err := p.Parse(signed(testSecret, []byte(`{"something":"else"}`)), testNow); err == nil || !strings.Contains(err.Error(), "ticket: is required") {
		t.Errorf("a body without ticket: %v", err)
	}
}

// TestFollowUpCycle runs a ticket through Zendesk statuses and the domain:
// solved plans the survey, a reopening removes it, solving again plans the
// next cycle's.
func TestFollowUpCycle(t *testing.T) {
	p := newProvider(t)
	var inc domain.Incident
	step := func(status, at string) []domain.PlannedStep {
		t.Helper()
		body := edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["status"], tk["updated_at"] = status, at })
		evs, err := p.Parse(signed(testSecret, body), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inc.Apply(evs[0], testNow); err != nil {
			t.Fatal(err)
		}
		return domain.Plan(inc, domain.DefaultPolicy(), testNow)
	}
	if got := step("New", "2026-11-20T09:00Z"); len(got) != 0 {
		t.Fatalf("new: %+v", got)
	}
	if got := step("Solved", "2026-11-20T11:00Z"); len(got) != 1 || got[0].Key != "csat-1" {
		t.Fatalf("solved: %+v", got)
	}
	if got := step("Open", "2026-11-20T12:00Z"); len(got) != 0 {
		t.Fatalf("reopened: %+v", got)
	}
	if got := step("Solved", "2026-11-20T13:00Z"); len(got) != 1 || got[0].Key != "csat-2" {
		t.Fatalf("solved again: %+v", got)
	}
}
