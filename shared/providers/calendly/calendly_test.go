package calendly

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

const (
	testKey  = "aftercare-calendly-test-key"
	otherKey = "some-other-signing-key"
)

// testNow is when deliveries arrive (and are signed, unless a test says
// otherwise).
var testNow = time.Date(2019, 8, 20, 12, 0, 0, 0, time.UTC)

func newProvider(t testing.TB, keys ...string) *Provider {
	t.Helper()
	if len(keys) == 0 {
		keys = []string{testKey}
	}
	p, err := New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// header computes Calendly-Webhook-Signature independently of the code
// under test.
func header(key string, ts time.Time, body []byte) string {
	t := fmt.Sprint(ts.Unix())
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(t + "." + string(body)))
	return "t=" + t + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

func signedAt(key string, ts time.Time, body []byte) providers.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderSignature, header(key, ts, body))
	return providers.Request{Header: h, Body: body}
}

func signed(key string, body []byte) providers.Request { return signedAt(key, testNow, body) }

func payload(m map[string]any) map[string]any { return m["payload"].(map[string]any) }
func scheduled(m map[string]any) map[string]any {
	return payload(m)["scheduled_event"].(map[string]any)
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestName(t *testing.T) {
	if got := newProvider(t).Name(); got != "calendly" {
		t.Fatalf("Name() = %q", got)
	}
}

// TestSignatureVector checks verification against a signature computed
// outside Go, with OpenSSL:
//
//	printf '%s' '1700000000.{"event":"invitee.created"}' | openssl dgst -sha256 -hmac 'aftercare-calendly-test-key'
func TestSignatureVector(t *testing.T) {
	const vector = "t=1700000000,v1=134d03eb2716fab1d5174cb9c4b6b81f31ff6998c5529ddc591c9dc3b4690710"
	h := http.Header{}
	h.Set(HeaderSignature, vector)
	r := providers.Request{Header: h, Body: []byte(`{"event":"invitee.created"}`)}
	_, err := newProvider(t).Parse(r, time.Unix(1700000000, 0).Add(time.Minute))
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != "payload" {
		t.Fatalf("Parse(OpenSSL vector) = %v, want it authentic and stopped at the missing payload", err)
	}
}

func TestNewRefusesNoKey(t *testing.T) {
	for _, keys := range [][]string{nil, {""}, {testKey, " "}} {
		if _, err := New(keys...); !errors.Is(err, hookutil.ErrNoSecret) {
			t.Errorf("New(%q) = %v", keys, err)
		}
	}
}

func TestParseUnauthorized(t *testing.T) {
	body := hooktest.Fixture(t, "invitee-created.json")
	good := header(testKey, testNow, body)
	tests := []struct {
		name  string
		keys  []string
		sig   string
		body  []byte
		inMsg string
	}{
		{name: "unsigned", sig: "", inMsg: "missing"},
		{name: "no timestamp", sig: good[strings.Index(good, ",")+1:], inMsg: "t=<unix seconds>"},
		{name: "no v1", sig: good[:strings.Index(good, ",")], inMsg: "v1="},
		{name: "v1 not hex", sig: good[:strings.Index(good, ",")] + ",v1=xyz", inMsg: "v1="},
		{name: "timestamp not a number", sig: "t=yesterday" + good[strings.Index(good, ","):], inMsg: "not unix seconds"},
		{name: "wrong key", sig: header(otherKey, testNow, body), inMsg: "matches none of 1"},
		{name: "retired key after rotation", keys: []string{"the-new-key"}, sig: good, inMsg: "matches none"},
		{name: "tampered body", sig: good, body: hooktest.Fixture(t, "invitee-canceled.json"), inMsg: "matches none"},
		{name: "signed timestamp altered", sig: strings.Replace(good, fmt.Sprint(testNow.Unix()), fmt.Sprint(testNow.Unix()+1), 1), inMsg: "matches none"},
		{name: "replayed 3m1s later", sig: header(testKey, testNow.Add(-Tolerance-time.Second), body), inMsg: "3m1s in the past"},
		{name: "from the future", sig: header(testKey, testNow.Add(Tolerance+time.Second), body), inMsg: "in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.sig != "" {
				h.Set(HeaderSignature, tt.sig)
			}
			b := body
			if tt.body != nil {
				b = tt.body
			}
			evs, err := newProvider(t, tt.keys...).Parse(providers.Request{Header: h, Body: b}, testNow)
			if !errors.Is(err, providers.ErrUnauthorized) || !strings.Contains(err.Error(), tt.inMsg) || evs != nil {
				t.Fatalf("Parse = %v, %v; want ErrUnauthorized mentioning %q", evs, err, tt.inMsg)
			}
		})
	}
}

func TestParseAcceptsWithinTolerance(t *testing.T) {
	body := hooktest.Fixture(t, "invitee-created.json")
	for _, d := range []time.Duration{-Tolerance, 0, Tolerance} {
		if _, err := newProvider(t).Parse(signedAt(testKey, testNow.Add(d), body), testNow); err != nil {
			t.Errorf("signed %v from now: %v", d, err)
		}
	}
	// Rotation: either key; several v1 entries, one of them valid.
	p := newProvider(t, otherKey, testKey)
	sig := header(testKey, testNow, body)
	h := http.Header{}
	h.Set(HeaderSignature, sig[:strings.Index(sig, ",")]+",v1=00ff,"+sig[strings.Index(sig, ",")+1:])
	if _, err := p.Parse(providers.Request{Header: h, Body: body}, testNow); err != nil {
		t.Errorf("rotation with several v1 entries: %v", err)
	}
}

func TestParseDocumentedPayloads(t *testing.T) {
	john := domain.Customer{Email: "test@example.com", Name: "John Doe", TimeZone: "America/New_York"}
	start := utc(t, "2019-08-24T14:15:22.123456Z")
	base := domain.Event{
		Provider: "calendly", Ref: "https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA",
		Customer: john, Title: "15 Minute Meeting", Location: "string", Agent: "John Smith", StartsAt: start, EndsAt: start,
	}
	with := func(typ domain.EventType, at string, completes bool) domain.Event {
		e := base
		e.Type, e.OccurredAt, e.CompletesAtEnd = typ, utc(t, at), completes
		return e
	}
	newRef := "https://api.calendly.com/scheduled_events/BBBBBBBBBBBBBBBB/invitees/BBBBBBBBBBBBBBBB"
	tests := []struct {
		file string
		want []domain.Event
	}{
		{"invitee-created.json", []domain.Event{with(domain.BookingCreated, "2020-11-23T17:51:19Z", true)}},
		{"invitee-canceled.json", []domain.Event{with(domain.BookingCancelled, "2020-11-23T17:54:22Z", false)}},
		{"invitee-no-show-created.json", []domain.Event{with(domain.BookingNoShow, "2020-11-23T17:51:19Z", false)}},
		{"invitee-no-show-deleted.json", []domain.Event{with(domain.BookingCreated, "2020-11-23T17:51:19Z", true)}},
		{"reschedule-1-invitee-canceled.json", []domain.Event{with(domain.BookingCancelled, "2020-11-24T09:00:00Z", false)}},
		{"reschedule-2-invitee-created.json", []domain.Event{
			func() domain.Event {
				e := with(domain.BookingCancelled, "2020-11-24T09:00:01Z", false)
				e.StartsAt, e.EndsAt = time.Time{}, time.Time{}
				return e
			}(),
			func() domain.Event {
				e := with(domain.BookingCreated, "2020-11-24T09:00:01Z", true)
				e.Ref = newRef
				e.StartsAt, e.EndsAt = utc(t, "2019-08-26T14:15:22.123456Z"), utc(t, "2019-08-26T14:30:22.123456Z")
				return e
			}(),
		}},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := p.Parse(signed(testKey, hooktest.Fixture(t, tt.file)), testNow)
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Parse returned %d events, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if !strings.HasPrefix(got[i].ID, "cly_") {
					t.Errorf("event %d id %q", i, got[i].ID)
				}
				got[i].ID = ""
				if got[i] != tt.want[i] {
					t.Errorf("event %d =\n%+v\nwant\n%+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseIgnoresOtherEvents(t *testing.T) {
	p := newProvider(t)
	for name, b := range map[string][]byte{
		"routing form":       hooktest.Fixture(t, "routing-form-submission-created.json"),
		"event type created": []byte(`{"event":"event_type.created","payload":{"uri":7}}`),
		"unknown":            []byte(`{"event":"Invitee.Created"}`),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := p.Parse(signed(testKey, b), testNow); !errors.Is(err, providers.ErrIgnored) || errors.Is(err, providers.ErrMalformed) {
				t.Fatalf("Parse = %v, want only ErrIgnored", err)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	p := newProvider(t)
	for name, tt := range map[string]struct{ body, inMsg string }{
		"empty":              {"", "body is empty"},
		"not an object":      {`"invitee.created"`, "JSON object"},
		"syntax":             {`{"event":"invitee.created",}`, "invalid JSON"},
		"email is a number":  {`{"event":"invitee.created","payload":{"email":1}}`, "payload.email must be a JSON string, not number"},
		"memberships object": {`{"event":"invitee.canceled","payload":{"scheduled_event":{"event_memberships":{}}}}`, "payload.scheduled_event.event_memberships must be a JSON array"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Parse(signed(testKey, []byte(tt.body)), testNow)
			if !errors.Is(err, providers.ErrMalformed) || errors.Is(err, domain.ErrInvalidEvent) || !strings.Contains(err.Error(), tt.inMsg) {
				t.Fatalf("Parse = %v, want only ErrMalformed mentioning %q", err, tt.inMsg)
			}
		})
	}
}

func TestParseNamesCalendlyFields(t *testing.T) {
	tests := []struct {
		name, file string
		edit       func(m map[string]any)
		field      string
	}{
		{"event missing", "invitee-created.json", func(m map[string]any) { delete(m, "event") }, "event"},
		{"payload missing", "invitee-created.json", func(m map[string]any) { delete(m, "payload") }, "payload"},
		{"created_at missing", "invitee-created.json", func(m map[string]any) { delete(m, "created_at") }, "created_at"},
		{"created_at not a time", "invitee-canceled.json", func(m map[string]any) { m["created_at"] = "Nov 23" }, "created_at"},
		{"uri missing", "invitee-created.json", func(m map[string]any) { delete(payload(m), "uri") }, "payload.uri"},
		{"email missing", "invitee-canceled.json", func(m map[string]any) { delete(payload(m), "email") }, "payload.email"},
		{"email not an address", "invitee-created.json", func(m map[string]any) { payload(m)["email"] = "john" }, "payload.email"},
		{"timezone unknown", "invitee-created.json", func(m map[string]any) { payload(m)["timezone"] = "Eastern Time" }, "payload.timezone"},
		{"end_time not a time", "invitee-created.json", func(m map[string]any) { scheduled(m)["end_time"] = "later" }, "payload.scheduled_event.end_time"},
		{"start_time not a time", "invitee-created.json", func(m map[string]any) { scheduled(m)["start_time"] = "now" }, "payload.scheduled_event.start_time"},
		{"end before start", "invitee-created.json", func(m map[string]any) { scheduled(m)["end_time"] = "2019-08-24T14:00:00Z" }, "payload.scheduled_event.end_time"},
		{"old_invitee too long", "reschedule-2-invitee-created.json", func(m map[string]any) { payload(m)["old_invitee"] = strings.Repeat("x", 201) }, "payload.old_invitee"},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(signed(testKey, hooktest.Edit(t, tt.file, tt.edit)), testNow)
			var fe *domain.FieldError
			if !errors.Is(err, domain.ErrInvalidEvent) || !errors.As(err, &fe) || errors.Is(err, providers.ErrMalformed) {
				t.Fatalf("Parse = %+v, %v; want only an invalid field", evs, err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q (%v), want %q", fe.Field, err, tt.field)
			}
		})
	}
}

func TestFirstAndLastNameWhenNameIsBlank(t *testing.T) {
	body := hooktest.Edit(t, "invitee-created.json", func(m map[string]any) {
		payload(m)["name"] = ""
		payload(m)["first_name"], payload(m)["last_name"] = "Γιώργος", "Παπαδάκης"
	})
	evs, err := newProvider(t).Parse(signed(testKey, body), testNow)
	if err != nil || evs[0].Customer.Name != "Γιώργος Παπαδάκης" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestEventIDs(t *testing.T) {
	p := newProvider(t)
	ids := func(body []byte) []string {
		t.Helper()
		evs, err := p.Parse(signed(testKey, body), testNow)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}
	created := hooktest.Fixture(t, "invitee-created.json")
	if a, b := ids(created), ids(created); a[0] != b[0] {
		t.Error("a redelivery got a new id")
	}
	all := map[string]string{}
	for _, f := range []string{"invitee-created.json", "invitee-canceled.json", "invitee-no-show-created.json", "invitee-no-show-deleted.json", "reschedule-1-invitee-canceled.json", "reschedule-2-invitee-created.json"} {
		for _, id := range ids(hooktest.Fixture(t, f)) {
			if prev, ok := all[id]; ok {
				t.Errorf("%s and %s share id %s", prev, f, id)
			}
			all[id] = f
		}
	}
}

// TestRescheduleMovesTheThankYou replays Calendly's reschedule sequence
// through the domain: the old booking's thank-you disappears, the new one's
// is planned at the new end time, once — in either arrival order, and
// even when the cancellation is lost.
func TestRescheduleMovesTheThankYou(t *testing.T) {
	p := newProvider(t)
	now := utc(t, "2019-08-20T12:00:00Z")
	type incidents map[string]*domain.Incident
	apply := func(incs incidents, file string) {
		t.Helper()
		evs, err := p.Parse(signed(testKey, hooktest.Fixture(t, file)), testNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			inc := incs[e.Ref]
			if inc == nil {
				inc = &domain.Incident{}
				incs[e.Ref] = inc
			}
			if _, err := inc.Apply(e, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	planned := func(incs incidents) map[string]time.Time {
		out := map[string]time.Time{}
		for ref, inc := range incs {
			for _, s := range domain.Plan(*inc, domain.DefaultPolicy(), now) {
				out[ref+" "+s.Key] = s.Due
			}
		}
		return out
	}
	oldRef := "https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA"
	newRef := "https://api.calendly.com/scheduled_events/BBBBBBBBBBBBBBBB/invitees/BBBBBBBBBBBBBBBB"

	incs := incidents{}
	apply(incs, "invitee-created.json")
	// Ends 2019-08-24 14:15Z = 10:15 in New York: thank-you the next day at 10:00 EDT.
	if got := planned(incs); len(got) != 1 || !got[oldRef+" thanks-1"].Equal(utc(t, "2019-08-25T14:00:00Z")) {
		t.Fatalf("after invitee.created: %v", got)
	}
	for _, order := range [][]string{
		{"reschedule-1-invitee-canceled.json", "reschedule-2-invitee-created.json"},
		{"reschedule-2-invitee-created.json", "reschedule-1-invitee-canceled.json"},
		{"reschedule-2-invitee-created.json"}, // the cancellation never arrives
	} {
		incs := incidents{}
		apply(incs, "invitee-created.json")
		for _, f := range order {
			apply(incs, f)
		}
		got := planned(incs)
		// New end 2019-08-26 14:30Z = 10:30 EDT: the next day at 10:00 EDT.
		if len(got) != 1 || !got[newRef+" thanks-1"].Equal(utc(t, "2019-08-27T14:00:00Z")) {
			t.Errorf("order %v: planned %v, want only the new booking's thank-you", order, got)
		}
	}
}

// A booking through a link with utm_content=aftercare_no_survey asks for
// no survey; the documented payload (all UTM fields null) says nothing.
func TestNoSurveyUTM(t *testing.T) {
	p := newProvider(t)
	doc := hooktest.Fixture(t, "invitee-created.json")
	evs, err := p.Parse(signed(testKey, doc), testNow)
	if err != nil || evs[0].NoSurvey != nil {
		t.Fatalf("documented payload: %+v %v", evs, err)
	}
	body := bytes.Replace(doc, []byte(`"utm_content": null`), []byte(`"utm_content": "Aftercare_No_Survey"`), 1)
	evs, err = p.Parse(signed(testKey, body), testNow)
	if err != nil || evs[0].NoSurvey == nil || !*evs[0].NoSurvey {
		t.Fatalf("utm_content: %+v %v", evs, err)
	}
}

// A custom question titled "Offer code" carries an offer code to redeem;
// other questions do not.
func TestOfferCodeQuestion(t *testing.T) {
	p := newProvider(t)
	doc := hooktest.Fixture(t, "invitee-created.json")
	if evs, err := p.Parse(signed(testKey, doc), testNow); err != nil || evs[0].OfferCode != "" {
		t.Fatalf("documented payload: %+v %v", evs, err)
	}
	body := bytes.Replace(doc, []byte(`"questions_and_answers": []`), []byte(`"questions_and_answers": [
	  {"question": "Anything we should know?", "answer": "THANKS3-AAAA-BBBB is my friend's", "position": 0},
	  {"question": " offer CODE ", "answer": " thanks3-7qk3-m2xa ", "position": 1}]`), 1)
	evs, err := p.Parse(signed(testKey, body), testNow)
	if err != nil || evs[0].OfferCode != "thanks3-7qk3-m2xa" {
		t.Fatalf("offer code: %+v %v", evs, err)
	}
}
