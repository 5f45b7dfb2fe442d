package calcom

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

const (
	testSecret  = "aftercare-calcom-test-secret"
	otherSecret = "a-different-secret-entirely"
)

// testNow is when deliveries arrive; Cal.com signs no timestamp, so it only
// matters to Plan.
var testNow = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

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

// signed builds the request Cal.com sends, computing the signature
// independently of the code under test.
func signed(secret string, body []byte) providers.Request {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Cal-Signature-256", hex.EncodeToString(m.Sum(nil)))
	h.Set("X-Cal-Webhook-Version", "2021-10-20")
	return providers.Request{Header: h, Body: body}
}

func payload(m map[string]any) map[string]any { return m["payload"].(map[string]any) }

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestName(t *testing.T) {
	if got := newProvider(t).Name(); got != "calcom" {
		t.Fatalf("Name() = %q", got)
	}
}

// TestSignatureVector checks verification against a signature computed
// outside Go, with OpenSSL:
//
//	printf '%s' '{"triggerEvent":"BOOKING_CREATED"}' | openssl dgst -sha256 -hmac 'aftercare-calcom-test-secret'
//
// The body is authentic but lacks a payload, so it gets past the signature
// and stops at the field check.
func TestSignatureVector(t *testing.T) {
	const vector = "cb294d7217ece665d3510e74f0dbc591f7d29d3cd276b1cd506be0ada332e12d"
	body := []byte(`{"triggerEvent":"BOOKING_CREATED"}`)
	h := http.Header{}
	h.Set(HeaderSignature, vector)
	_, err := newProvider(t).Parse(providers.Request{Header: h, Body: body}, testNow)
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != "payload" {
		t.Fatalf("Parse(OpenSSL vector) = %v, want it authentic and stopped at the missing payload", err)
	}
	h.Set(HeaderSignature, strings.ToUpper(vector)) // hex is case-insensitive
	if _, err := newProvider(t).Parse(providers.Request{Header: h, Body: body}, testNow); errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("upper-case hex refused: %v", err)
	}
}

func TestNewRefusesMissingSecrets(t *testing.T) {
	for _, secrets := range [][]string{nil, {""}, {"  "}, {NoSecret}, {testSecret, NoSecret}} {
		if p, err := New(secrets...); err == nil {
			t.Errorf("New(%q) = %v, want an error", secrets, p)
		}
	}
}

func TestParseUnauthorized(t *testing.T) {
	body := hooktest.Fixture(t, "booking-created.json")
	tests := []struct {
		name    string
		secrets []string
		req     func() providers.Request
		inMsg   string
	}{
		{"unsigned", nil, func() providers.Request { return providers.Request{Header: http.Header{}, Body: body} }, "missing X-Cal-Signature-256"},
		{"webhook without a secret", nil, func() providers.Request {
			r := signed(testSecret, body)
			r.Header.Set(HeaderSignature, NoSecret)
			return r
		}, "no secret"},
		{"not hex", nil, func() providers.Request {
			r := signed(testSecret, body)
			r.Header.Set(HeaderSignature, "sha256=zz")
			return r
		}, "not hex"},
		{"wrong secret", nil, func() providers.Request { return signed(otherSecret, body) }, "matches none of 1"},
		{"retired secret after rotation", []string{"the-new-secret"}, func() providers.Request { return signed(testSecret, body) }, "matches none"},
		{"tampered body", nil, func() providers.Request {
			r := signed(testSecret, body)
			r.Body = hooktest.Fixture(t, "booking-cancelled.json")
			return r
		}, "matches none"},
		{"unsigned garbage is 401, not 400", nil, func() providers.Request {
			return providers.Request{Header: http.Header{}, Body: []byte("{not json")}
		}, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := newProvider(t, tt.secrets...).Parse(tt.req(), testNow)
			if !errors.Is(err, providers.ErrUnauthorized) || !strings.Contains(err.Error(), tt.inMsg) || evs != nil {
				t.Fatalf("Parse = %v, %v; want ErrUnauthorized mentioning %q", evs, err, tt.inMsg)
			}
		})
	}
}

func TestParseAcceptsEitherRotatedSecret(t *testing.T) {
	p := newProvider(t, otherSecret, testSecret)
	for _, secret := range []string{testSecret, otherSecret} {
		if _, err := p.Parse(signed(secret, hooktest.Fixture(t, "booking-created.json")), testNow); err != nil {
			t.Errorf("signed with %q: %v", secret, err)
		}
	}
}

// TestParseDocumentedPayloads maps each documented example (testdata/README.md).
func TestParseDocumentedPayloads(t *testing.T) {
	guest := domain.Customer{Email: "guest@example.com", Name: "Guest User", Locale: "en", TimeZone: "UTC"}
	tests := []struct {
		file string
		want []domain.Event // IDs are checked separately
	}{
		{"booking-created.json", []domain.Event{{
			Provider: "calcom", Type: domain.BookingCreated, OccurredAt: utc(t, "2024-01-01T00:00:00Z"),
			Ref: "unique-booking-id", Customer: guest, Title: "Strategy Session", Agent: "Organizer Name",
			StartsAt: utc(t, "2024-01-01T10:00:00Z"), EndsAt: utc(t, "2024-01-01T10:15:00Z"), CompletesAtEnd: true,
		}}},
		{"booking-cancelled.json", []domain.Event{{
			Provider: "calcom", Type: domain.BookingCancelled, OccurredAt: utc(t, "2024-01-01T15:00:00Z"),
			Ref: "unique-booking-identifier", Customer: guest, Title: "Strategy Session", Agent: "Organizer Name",
			StartsAt: utc(t, "2024-01-04T10:00:00Z"), EndsAt: utc(t, "2024-01-04T10:15:00Z"),
		}}},
		{"booking-rejected.json", []domain.Event{{
			Provider: "calcom", Type: domain.BookingCancelled, OccurredAt: utc(t, "2024-01-01T14:00:00Z"),
			Ref: "unique-booking-identifier", Customer: guest, Title: "Strategy Session", Agent: "Organizer Name",
			StartsAt: utc(t, "2024-01-01T15:00:00Z"), EndsAt: utc(t, "2024-01-01T15:15:00Z"),
		}}},
		{"booking-rescheduled.json", []domain.Event{
			{
				Provider: "calcom", Type: domain.BookingCancelled, OccurredAt: utc(t, "2024-01-01T10:00:00Z"),
				Ref: "previous-booking-unique-id", Customer: guest, Title: "Strategy Session", Agent: "Organizer Name",
				StartsAt: utc(t, "2024-01-05T14:30:00Z"), EndsAt: utc(t, "2024-01-05T14:45:00Z"),
			},
			{
				Provider: "calcom", Type: domain.BookingCreated, OccurredAt: utc(t, "2024-01-01T10:00:00Z"),
				Ref: "new-booking-unique-id", Customer: guest, Title: "Strategy Session", Agent: "Organizer Name",
				StartsAt: utc(t, "2024-01-10T14:30:00Z"), EndsAt: utc(t, "2024-01-10T14:45:00Z"), CompletesAtEnd: true,
			},
		}},
		{"no-show-marked.json", []domain.Event{{
			Provider: "calcom", Type: domain.BookingNoShow, OccurredAt: utc(t, "2025-12-01T12:34:34.774Z"),
			Ref: "5vQFqxDFMjdgKGMijqtqRw", Customer: domain.Customer{Email: "test@example.com"},
		}}},
		{"no-show-unmarked.json", []domain.Event{{
			Provider: "calcom", Type: domain.BookingCreated, OccurredAt: utc(t, "2025-12-01T12:38:31.663Z"),
			Ref: "5vQFqxDFMjdgKGMijqtqRw", Customer: domain.Customer{Email: "test@example.com"}, CompletesAtEnd: true,
		}}},
		{"meeting-ended.json", []domain.Event{{
			Provider: "calcom", Type: domain.BookingCompleted, OccurredAt: utc(t, "2024-01-01T10:15:00Z"),
			Ref: "unique-booking-identifier", Customer: guest, Title: "Strategy Session: Organizer & Guest", Agent: "Organizer Name",
			StartsAt: utc(t, "2024-01-01T10:00:00Z"), EndsAt: utc(t, "2024-01-01T10:15:00Z"),
		}}},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := p.Parse(signed(testSecret, hooktest.Fixture(t, tt.file)), testNow)
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Parse returned %d events, want %d: %+v", len(got), len(tt.want), got)
			}
			seen := map[string]bool{}
			for i := range got {
				if !strings.HasPrefix(got[i].ID, "cal_") || seen[got[i].ID] {
					t.Errorf("event %d id %q: want a distinct cal_ id", i, got[i].ID)
				}
				seen[got[i].ID] = true
				got[i].ID = ""
				if got[i] != tt.want[i] {
					t.Errorf("event %d =\n%+v\nwant\n%+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseKeepsRealLocations(t *testing.T) {
	body := hooktest.Edit(t, "booking-created.json", func(m map[string]any) { payload(m)["location"] = "Old Venetian Harbour, Chania" })
	evs, err := newProvider(t).Parse(signed(testSecret, body), testNow)
	if err != nil || evs[0].Location != "Old Venetian Harbour, Chania" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestPendingBookingDoesNotCompleteAtEnd(t *testing.T) {
	body := hooktest.Edit(t, "booking-created.json", func(m map[string]any) { payload(m)["status"] = "PENDING" })
	evs, err := newProvider(t).Parse(signed(testSecret, body), testNow)
	if err != nil || evs[0].CompletesAtEnd {
		t.Fatalf("Parse = %+v, %v; a booking awaiting confirmation must not complete by itself", evs, err)
	}
}

// TestEventIDs: a redelivery has the same id (applied once), another
// delivery about the same booking a different one.
func TestEventIDs(t *testing.T) {
	p := newProvider(t)
	id := func(body []byte) string {
		t.Helper()
		evs, err := p.Parse(signed(testSecret, body), testNow)
		if err != nil {
			t.Fatal(err)
		}
		return evs[len(evs)-1].ID
	}
	created := hooktest.Fixture(t, "booking-created.json")
	if id(created) != id(created) {
		t.Error("a redelivery got a new id")
	}
	later := hooktest.Edit(t, "booking-created.json", func(m map[string]any) { m["createdAt"] = "2024-01-01T00:05:00.000Z" })
	if id(created) == id(later) {
		t.Error("two deliveries at different times share an id")
	}
	marked, unmarked := id(hooktest.Fixture(t, "no-show-marked.json")), id(hooktest.Fixture(t, "no-show-unmarked.json"))
	if marked == unmarked {
		t.Error("marking and unmarking share an id")
	}
	ended := hooktest.Fixture(t, "meeting-ended.json")
	if id(ended) != id(ended) {
		t.Error("MEETING_ENDED redelivery got a new id")
	}
}

func TestParseIgnoresOtherTriggers(t *testing.T) {
	p := newProvider(t)
	bodies := map[string][]byte{
		"BOOKING_REQUESTED":  hooktest.Fixture(t, "booking-requested.json"),
		"MEETING_STARTED":    hooktest.Edit(t, "meeting-ended.json", func(m map[string]any) { m["triggerEvent"] = "MEETING_STARTED" }),
		"FORM_SUBMITTED":     []byte(`{"triggerEvent":"FORM_SUBMITTED","payload":{"responses":{"x":{"value":["y"]}}}}`),
		"INSTANT_MEETING":    []byte(`{"triggerEvent":"INSTANT_MEETING","payload":{"responses":{"name":"Guest User"}}}`),
		"lower-case created": []byte(`{"triggerEvent":"booking_created"}`),
	}
	for name, b := range bodies {
		t.Run(name, func(t *testing.T) {
			_, err := p.Parse(signed(testSecret, b), testNow)
			if !errors.Is(err, providers.ErrIgnored) || errors.Is(err, providers.ErrMalformed) {
				t.Fatalf("Parse = %v, want only ErrIgnored", err)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := map[string]struct{ body, inMsg string }{
		"empty":                  {"", "body is empty"},
		"array":                  {`[{"triggerEvent":"BOOKING_CREATED"}]`, "JSON object"},
		"syntax":                 {"{\"triggerEvent\": \"BOOKING_CREATED\",\n \"payload\": {]}", "line 2"},
		"trigger is a number":    {`{"triggerEvent":7}`, "triggerEvent must be a JSON string, not number"},
		"uid is a number":        {`{"triggerEvent":"BOOKING_CREATED","payload":{"uid":7}}`, "payload.uid must be a JSON string, not number"},
		"attendees not an array": {`{"triggerEvent":"BOOKING_CANCELLED","payload":{"attendees":{}}}`, "payload.attendees must be a JSON array"},
		"flat uid is an object":  {`{"triggerEvent":"MEETING_ENDED","uid":{}}`, "uid must be a JSON string, not object"},
	}
	p := newProvider(t)
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := p.Parse(signed(testSecret, []byte(tt.body)), testNow)
			if !errors.Is(err, providers.ErrMalformed) || errors.Is(err, domain.ErrInvalidEvent) || !strings.Contains(err.Error(), tt.inMsg) {
				t.Fatalf("Parse = %v, want only ErrMalformed mentioning %q", err, tt.inMsg)
			}
		})
	}
}

func TestParseNamesCalcomFields(t *testing.T) {
	long := strings.Repeat("x", 201)
	tests := []struct {
		name, file string
		edit       func(m map[string]any)
		field      string
	}{
		{"trigger missing", "booking-created.json", func(m map[string]any) { delete(m, "triggerEvent") }, "triggerEvent"},
		{"payload missing", "booking-created.json", func(m map[string]any) { delete(m, "payload") }, "payload"},
		{"createdAt missing", "booking-created.json", func(m map[string]any) { delete(m, "createdAt") }, "createdAt"},
		{"createdAt not a time", "booking-created.json", func(m map[string]any) { m["createdAt"] = "yesterday" }, "createdAt"},
		{"uid missing", "booking-created.json", func(m map[string]any) { delete(payload(m), "uid") }, "payload.uid"},
		{"uid too long", "booking-cancelled.json", func(m map[string]any) { payload(m)["uid"] = long }, "payload.uid"},
		{"no attendees and no answers", "booking-created.json", func(m map[string]any) {
			delete(payload(m), "attendees")
			delete(payload(m), "responses")
		}, "payload.responses.email"},
		{"attendee email not an address", "booking-created.json", func(m map[string]any) {
			payload(m)["attendees"].([]any)[0].(map[string]any)["email"] = "Guest <guest@example.com>"
		}, "payload.attendees[0].email"},
		{"attendee time zone unknown", "booking-created.json", func(m map[string]any) {
			payload(m)["attendees"].([]any)[0].(map[string]any)["timeZone"] = "Mars/Olympus"
		}, "payload.attendees[0].timeZone"},
		{"startTime not a time", "booking-created.json", func(m map[string]any) { payload(m)["startTime"] = "10:00" }, "payload.startTime"},
		{"endTime before startTime", "booking-created.json", func(m map[string]any) { payload(m)["endTime"] = "2024-01-01T09:00:00Z" }, "payload.endTime"},
		{"old booking uid too long", "booking-rescheduled.json", func(m map[string]any) { payload(m)["rescheduleUid"] = long }, "payload.rescheduleUid"},
		{"old booking times not times", "booking-rescheduled.json", func(m map[string]any) { payload(m)["rescheduleEndTime"] = "soon" }, "payload.rescheduleEndTime"},
		{"no-show without attendees", "no-show-marked.json", func(m map[string]any) { delete(payload(m), "attendees") }, "payload.attendees"},
		{"no-show without booking", "no-show-marked.json", func(m map[string]any) { delete(payload(m), "bookingUid") }, "payload.uid"},
		{"no-show attendee email bad", "no-show-marked.json", func(m map[string]any) {
			payload(m)["attendees"] = []any{map[string]any{"email": "nobody", "noShow": true}}
		}, "payload.attendees[0].email"},
		{"meeting ended without endTime", "meeting-ended.json", func(m map[string]any) { delete(m, "endTime") }, "endTime"},
		{"meeting ended without uid", "meeting-ended.json", func(m map[string]any) { delete(m, "uid") }, "uid"},
		{"meeting ended attendee email", "meeting-ended.json", func(m map[string]any) {
			m["attendees"].([]any)[0].(map[string]any)["email"] = ""
		}, "attendees[0].email"},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(signed(testSecret, hooktest.Edit(t, tt.file, tt.edit)), testNow)
			var fe *domain.FieldError
			if !errors.Is(err, domain.ErrInvalidEvent) || !errors.As(err, &fe) {
				t.Fatalf("Parse = %+v, %v; want an invalid field", evs, err)
			}
			if errors.Is(err, providers.ErrMalformed) || errors.Is(err, providers.ErrIgnored) {
				t.Errorf("Parse = %v is in more than one error class", err)
			}
			if fe.Field != tt.field || fe.Reason == "" {
				t.Errorf("field = %q (%v), want %q", fe.Field, err, tt.field)
			}
		})
	}
}

func TestLongTextsAreClippedNotRefused(t *testing.T) {
	body := hooktest.Edit(t, "booking-created.json", func(m map[string]any) { payload(m)["eventTitle"] = strings.Repeat("Ω", 400) })
	evs, err := newProvider(t).Parse(signed(testSecret, body), testNow)
	if err != nil || len(evs[0].Title) > 500 {
		t.Fatalf("Parse = %v, title %d bytes", err, len(evs[0].Title))
	}
}

// TestThankYouFromCreateAlone runs the documented lifecycle through the
// domain: BOOKING_CREATED alone plans the thank-you; MEETING_ENDED for the
// same booking keeps the same step and due time; a cancellation removes it.
func TestThankYouFromCreateAlone(t *testing.T) {
	p := newProvider(t)
	apply := func(inc *domain.Incident, body []byte) {
		t.Helper()
		evs, err := p.Parse(signed(testSecret, body), testNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if _, err := inc.Apply(e, testNow); err != nil {
				t.Fatal(err)
			}
		}
	}
	planned := func(inc domain.Incident) []domain.PlannedStep {
		return domain.Plan(inc, domain.DefaultPolicy(), testNow)
	}
	var inc domain.Incident
	apply(&inc, hooktest.Fixture(t, "booking-created.json"))
	before := planned(inc)
	// Ends 10:15Z (UTC customer): the next day at 10:00.
	if len(before) != 1 || before[0].Key != "thanks-1" || !before[0].Due.Equal(utc(t, "2024-01-02T10:00:00Z")) {
		t.Fatalf("after BOOKING_CREATED: plan %+v", before)
	}
	apply(&inc, hooktest.Edit(t, "meeting-ended.json", func(m map[string]any) { m["uid"] = "unique-booking-id" }))
	after := planned(inc)
	if inc.Status != domain.StatusCompleted || len(after) != 1 || after[0] != before[0] {
		t.Fatalf("after MEETING_ENDED: status %s plan %+v, want %+v", inc.Status, after, before)
	}
	var other domain.Incident
	apply(&other, hooktest.Fixture(t, "booking-created.json"))
	apply(&other, hooktest.Edit(t, "booking-cancelled.json", func(m map[string]any) { payload(m)["uid"] = "unique-booking-id" }))
	if got := planned(other); len(got) != 0 {
		t.Fatalf("after BOOKING_CANCELLED: plan %+v", got)
	}
}

// A booking made with metadata[no_survey]=true asks for no survey; the
// documented payload's metadata (a video link) says nothing.
func TestNoSurveyMetadata(t *testing.T) {
	p := newProvider(t, testSecret)
	doc := hooktest.Fixture(t, "booking-created.json")
	evs, err := p.Parse(signed(testSecret, doc), testNow)
	if err != nil || evs[0].NoSurvey != nil {
		t.Fatalf("documented payload: %+v %v", evs, err)
	}
	for value, want := range map[string]bool{`"true"`: true, `true`: true, `"false"`: false} {
		body := bytes.Replace(doc, []byte(`"metadata": {`), []byte(`"metadata": {"no_survey": `+value+`, `), 1)
		evs, err := p.Parse(signed(testSecret, body), testNow)
		if err != nil || evs[0].NoSurvey == nil || *evs[0].NoSurvey != want {
			t.Errorf("no_survey %s: %+v %v", value, evs, err)
		}
	}
}

// A booking question with the identifier offer_code, or metadata[offer_code]
// on the booking link, carries an offer code to redeem.
func TestOfferCode(t *testing.T) {
	p := newProvider(t, testSecret)
	doc := hooktest.Fixture(t, "booking-created.json")
	if evs, err := p.Parse(signed(testSecret, doc), testNow); err != nil || evs[0].OfferCode != "" {
		t.Fatalf("documented payload: %+v %v", evs, err)
	}
	question := bytes.Replace(doc, []byte(`"responses": {`), []byte(`"responses": {"offer_code": {"label": "Offer code", "value": " THANKS3-7QK3-M2XA "}, `), 1)
	if evs, err := p.Parse(signed(testSecret, question), testNow); err != nil || evs[0].OfferCode != "THANKS3-7QK3-M2XA" {
		t.Fatalf("booking question: %+v %v", evs, err)
	}
	metadata := bytes.Replace(doc, []byte(`"metadata": {`), []byte(`"metadata": {"offer_code": "THANKS5-AAAA-BBBB", `), 1)
	if evs, err := p.Parse(signed(testSecret, metadata), testNow); err != nil || evs[0].OfferCode != "THANKS5-AAAA-BBBB" {
		t.Fatalf("metadata: %+v %v", evs, err)
	}
	long := bytes.Replace(doc, []byte(`"metadata": {`), []byte(`"metadata": {"offer_code": "`+strings.Repeat("X", 65)+`", `), 1)
	if _, err := p.Parse(signed(testSecret, long), testNow); err == nil {
		t.Fatal("a 65-character offer code was accepted")
	}
}
