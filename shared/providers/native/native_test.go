package native

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

const (
	testSecret  = "whsec_dGVzdC1zZWNyZXQtZm9yLXRoZS1uYXRpdmUtcHJvdmlkZXI="
	otherSecret = "whsec_YW5vdGhlci1zZWNyZXQtdGhhdC1kb2VzLW5vdC1tYXRjaA=="
	testID      = "msg_2pDqX7rKb1"
)

// testNow is when the test deliveries arrive.
var testNow = time.Date(2026, 11, 20, 17, 31, 0, 0, time.UTC)

func newProvider(t testing.TB) *Provider {
	t.Helper()
	v, err := stdwebhooks.NewVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return New(v)
}

// signed builds a request as a sender holding secret would, at testNow.
func signed(t testing.TB, secret, id string, body []byte) providers.Request {
	t.Helper()
	sig, err := stdwebhooks.Sign(secret, id, testNow, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(stdwebhooks.HeaderID, id)
	h.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(testNow.Unix(), 10))
	h.Set(stdwebhooks.HeaderSignature, sig)
	return providers.Request{Header: h, Body: body}
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "bodies", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestName(t *testing.T) {
	if got := newProvider(t).Name(); got != "aftercare" {
		t.Fatalf("Name() = %q, want %q", got, "aftercare")
	}
}

func TestParseSampleBodies(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	maria := domain.Customer{Email: "maria@example.com", Name: "María Pérez", Locale: "es-ES", TimeZone: "Europe/Madrid"}
	tests := []struct {
		file string
		want domain.Event
	}{
		{
			file: "aftercare-booking-completed.json",
			want: domain.Event{
				ID: testID, Provider: "aftercare", Type: domain.BookingCompleted,
				OccurredAt: utc("2026-11-20T17:30:00Z"), Ref: "BK-1042", Customer: maria,
				Title: "Sunset sailing", Location: "Old Venetian Harbour, Chania", Agent: "Eleni",
				StartsAt: utc("2026-11-20T15:00:00Z"), EndsAt: utc("2026-11-20T17:30:00Z"),
			},
		},
		{
			file: "aftercare-booking-created.json",
			want: domain.Event{
				ID: testID, Provider: "aftercare", Type: domain.BookingCreated,
				// Sent as 09:12:44+02:00; stored as the same instant in UTC.
				OccurredAt: utc("2026-11-18T07:12:44Z"), Ref: "BK-1057",
				Customer: domain.Customer{Email: "giorgos.papadakis@example.gr", Name: "Γιώργος Παπαδάκης", Locale: "el-GR", TimeZone: "Europe/Athens"},
				Title:    "Samaria Gorge guided hike", Location: "Pick-up: KTEL bus station, Chania", Agent: "Nikos",
				StartsAt: utc("2026-11-23T05:30:00Z"), EndsAt: utc("2026-11-23T16:00:00Z"),
			},
		},
		{
			file: "aftercare-ticket-solved.json",
			want: domain.Event{
				ID: testID, Provider: "aftercare", Type: domain.TicketSolved,
				OccurredAt: utc("2026-11-21T11:05:30Z"), Ref: "T-88", Customer: maria,
				Title: "Gafas de sol olvidadas en el barco", Agent: "Eleni",
			},
		},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := p.Parse(signed(t, testSecret, testID, readSample(t, tt.file)), testNow)
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Fatalf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// body returns a valid native body of type typ, edited by edit.
func body(t testing.TB, typ domain.EventType, edit func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{
		"type":        string(typ),
		"occurred_at": "2026-11-20T17:30:00Z",
		"customer":    map[string]any{"email": "eleni.k@example.gr", "name": "Ελένη Κ.", "locale": "el-GR", "time_zone": "Europe/Athens"},
	}
	if typ.Kind() == domain.KindTicket {
		m["ticket"] = map[string]any{"ref": "T-88", "subject": "Αλλαγή σημείου παραλαβής", "agent": "Nikos"}
	} else {
		m["booking"] = map[string]any{
			"ref": "BK-1042", "title": "Sunset sailing", "starts_at": "2026-11-20T15:00:00Z",
			"ends_at": "2026-11-20T17:30:00Z", "location": "Old Venetian Harbour, Chania", "agent": "Eleni",
		}
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sub(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

func TestParseEveryType(t *testing.T) {
	types := []domain.EventType{
		domain.BookingCreated, domain.BookingUpdated, domain.BookingCancelled, domain.BookingCompleted,
		domain.TicketOpened, domain.TicketUpdated, domain.TicketSolved, domain.TicketReopened, domain.TicketClosed,
	}
	p := newProvider(t)
	for _, typ := range types {
		t.Run(string(typ), func(t *testing.T) {
			got, err := p.Parse(signed(t, testSecret, testID, body(t, typ, nil)), testNow)
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("Parse returned %d events, want 1", len(got))
			}
			e := got[0]
			wantRef, wantTitle, wantAgent, wantLocation := "BK-1042", "Sunset sailing", "Eleni", "Old Venetian Harbour, Chania"
			if typ.Kind() == domain.KindTicket {
				wantRef, wantTitle, wantAgent, wantLocation = "T-88", "Αλλαγή σημείου παραλαβής", "Nikos", ""
			}
			if e.Type != typ || e.ID != testID || e.Provider != "aftercare" || e.Ref != wantRef ||
				e.Title != wantTitle || e.Agent != wantAgent || e.Location != wantLocation {
				t.Fatalf("Parse = %+v", e)
			}
			if typ.Kind() == domain.KindTicket && (!e.StartsAt.IsZero() || !e.EndsAt.IsZero()) {
				t.Errorf("ticket event has booking times: %+v", e)
			}
		})
	}
}

func TestParseTrimsAndIgnoresUnknownFields(t *testing.T) {
	raw := `{
	  "type": " ticket.opened ",
	  "occurred_at": " 2026-11-20T19:30:00.250+02:00 ",
	  "schema_version": 3,
	  "customer": {"email": " maria@example.com ", "name": "  María Pérez\t", "locale": " es-ES", "time_zone": "Europe/Madrid ", "vip": true},
	  "ticket": {"ref": "  T-88\n", "subject": " ¿Puedo cambiar el punto de recogida? ", "agent": " Nikos ", "priority": "high", "tags": ["pickup"]}
	}`
	got, err := newProvider(t).Parse(signed(t, testSecret, testID, []byte(raw)), testNow)
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := domain.Event{
		ID: testID, Provider: "aftercare", Type: domain.TicketOpened,
		OccurredAt: time.Date(2026, 11, 20, 17, 30, 0, 250e6, time.UTC), Ref: "T-88",
		Customer: domain.Customer{Email: "maria@example.com", Name: "María Pérez", Locale: "es-ES", TimeZone: "Europe/Madrid"},
		Title:    "¿Puedo cambiar el punto de recogida?", Agent: "Nikos",
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseUnauthorized(t *testing.T) {
	valid := body(t, domain.BookingCompleted, nil)
	tests := []struct {
		name string
		req  func() providers.Request
		want error
	}{
		{"unsigned", func() providers.Request { return providers.Request{Header: http.Header{}, Body: valid} }, stdwebhooks.ErrMissingHeader},
		{"wrong secret", func() providers.Request { return signed(t, otherSecret, testID, valid) }, stdwebhooks.ErrNoMatchingSignature},
		{"tampered body", func() providers.Request {
			r := signed(t, testSecret, testID, valid)
			r.Body = body(t, domain.BookingCancelled, nil)
			return r
		}, stdwebhooks.ErrNoMatchingSignature},
		{"replayed later", func() providers.Request {
			r := signed(t, testSecret, testID, valid)
			r.Header.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(testNow.Add(-time.Hour).Unix(), 10))
			return r
		}, stdwebhooks.ErrStaleTimestamp},
		// Authentication comes first: an unsigned garbage body is 401, not 400.
		{"unsigned garbage", func() providers.Request {
			return providers.Request{Header: http.Header{}, Body: []byte("{not json")}
		}, stdwebhooks.ErrMissingHeader},
		{"wrong secret, unknown type", func() providers.Request {
			return signed(t, otherSecret, testID, []byte(`{"type":"invoice.paid"}`))
		}, stdwebhooks.ErrNoMatchingSignature},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(tt.req(), testNow)
			if !errors.Is(err, providers.ErrUnauthorized) || !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, %v; want ErrUnauthorized wrapping %v", evs, err, tt.want)
			}
			if evs != nil {
				t.Errorf("Parse returned events with an error: %+v", evs)
			}
		})
	}
}

func TestParseNilVerifierFailsClosed(t *testing.T) {
	r := signed(t, testSecret, testID, body(t, domain.BookingCompleted, nil))
	if _, err := New(nil).Parse(r, testNow); !errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("Parse with nil verifier = %v, want ErrUnauthorized", err)
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name, body, inMsg string
	}{
		{"empty", "", "body is empty"},
		{"whitespace", " \n ", "body is empty"},
		{"null", "null", "JSON object"},
		{"array", `[{"type":"booking.completed"}]`, "JSON object"},
		{"string", `"booking.completed"`, "JSON object"},
		{"truncated", `{"type": "booking.completed",`, "invalid JSON"},
		{"syntax error on line 3", "{\n  \"type\": \"booking.completed\",\n  \"occurred_at\": 2026-11-20\n}", "line 3, column 22"},
		{"trailing data", `{"type":"booking.completed"} {}`, "invalid JSON at line 1, column 30"},
		{"email is a number", `{"type":"booking.completed","customer":{"email":42}}`, "customer.email must be a JSON string, not number"},
		{"booking is a string", `{"type":"booking.completed","booking":"BK-1042"}`, "booking must be a JSON object, not string"},
		{"type is an array", `{"type":["booking.completed"]}`, "type must be a JSON string, not array"},
		{"ref is a number", `{"type":"ticket.solved","ticket":{"ref":88}}`, "ticket.ref must be a JSON string, not number"},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Parse(signed(t, testSecret, testID, []byte(tt.body)), testNow)
			if !errors.Is(err, providers.ErrMalformed) {
				t.Fatalf("Parse = %v, want ErrMalformed", err)
			}
			if errors.Is(err, domain.ErrInvalidEvent) || errors.Is(err, providers.ErrUnauthorized) {
				t.Errorf("Parse = %v matches more than one error class", err)
			}
			if !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("Parse = %q, want it to mention %q", err, tt.inMsg)
			}
		})
	}
}

func TestParseIgnoresUnknownTypes(t *testing.T) {
	p := newProvider(t)
	for _, typ := range []string{"booking.refunded", "invoice.paid", "Booking.Completed", "ticket"} {
		t.Run(typ, func(t *testing.T) {
			// A body that would otherwise be invalid: the type decides first.
			raw := `{"type":` + strconv.Quote(typ) + `}`
			_, err := p.Parse(signed(t, testSecret, testID, []byte(raw)), testNow)
			if !errors.Is(err, providers.ErrIgnored) {
				t.Fatalf("Parse = %v, want ErrIgnored", err)
			}
			if errors.Is(err, domain.ErrInvalidEvent) || !strings.Contains(err.Error(), strconv.Quote(typ)) {
				t.Errorf("Parse = %q, want only ErrIgnored naming the type", err)
			}
		})
	}
}

func TestParseInvalidFieldsAreNamedAsInNativeJSON(t *testing.T) {
	long := strings.Repeat("α", 300) // 600 bytes
	tests := []struct {
		name  string
		typ   domain.EventType
		edit  func(m map[string]any)
		id    string
		field string
	}{
		{"type missing", domain.BookingCompleted, func(m map[string]any) { delete(m, "type") }, "", "type"},
		{"type blank", domain.BookingCompleted, func(m map[string]any) { m["type"] = "  " }, "", "type"},
		{"occurred_at missing", domain.BookingCompleted, func(m map[string]any) { delete(m, "occurred_at") }, "", "occurred_at"},
		{"occurred_at not RFC 3339", domain.BookingCompleted, func(m map[string]any) { m["occurred_at"] = "20/11/2026 17:30" }, "", "occurred_at"},
		{"occurred_at without zone", domain.TicketSolved, func(m map[string]any) { m["occurred_at"] = "2026-11-20T17:30:00" }, "", "occurred_at"},
		{"booking missing", domain.BookingCompleted, func(m map[string]any) { delete(m, "booking") }, "", "booking"},
		{"booking null", domain.BookingCompleted, func(m map[string]any) { m["booking"] = nil }, "", "booking"},
		{"booking event with ticket instead", domain.BookingCreated, func(m map[string]any) {
			m["ticket"] = m["booking"]
			delete(m, "booking")
		}, "", "booking"},
		{"booking event with both", domain.BookingCreated, func(m map[string]any) { m["ticket"] = map[string]any{"ref": "T-1"} }, "", "ticket"},
		{"ticket missing", domain.TicketSolved, func(m map[string]any) { delete(m, "ticket") }, "", "ticket"},
		{"ticket event with both", domain.TicketSolved, func(m map[string]any) { m["booking"] = map[string]any{"ref": "BK-1"} }, "", "booking"},
		{"booking.ref missing", domain.BookingCompleted, func(m map[string]any) { delete(sub(m, "booking"), "ref") }, "", "booking.ref"},
		{"booking.ref blank", domain.BookingCompleted, func(m map[string]any) { sub(m, "booking")["ref"] = " \t " }, "", "booking.ref"},
		{"booking.ref too long", domain.BookingCompleted, func(m map[string]any) { sub(m, "booking")["ref"] = long }, "", "booking.ref"},
		{"ticket.ref missing", domain.TicketOpened, func(m map[string]any) { delete(sub(m, "ticket"), "ref") }, "", "ticket.ref"},
		{"customer missing", domain.BookingCompleted, func(m map[string]any) { delete(m, "customer") }, "", "customer.email"},
		{"customer.email blank", domain.TicketSolved, func(m map[string]any) { sub(m, "customer")["email"] = "  " }, "", "customer.email"},
		{"customer.email with display name", domain.BookingCompleted, func(m map[string]any) { sub(m, "customer")["email"] = "María <maria@example.com>" }, "", "customer.email"},
		{"customer.email not an address", domain.BookingCompleted, func(m map[string]any) { sub(m, "customer")["email"] = "maria" }, "", "customer.email"},
		{"customer.time_zone unknown", domain.BookingCompleted, func(m map[string]any) { sub(m, "customer")["time_zone"] = "Europe/Chania" }, "", "customer.time_zone"},
		{"customer.name too long", domain.BookingCompleted, func(m map[string]any) { sub(m, "customer")["name"] = long }, "", "customer.name"},
		{"booking.starts_at not a time", domain.BookingCreated, func(m map[string]any) { sub(m, "booking")["starts_at"] = "tomorrow" }, "", "booking.starts_at"},
		{"booking.ends_at not a time", domain.BookingCreated, func(m map[string]any) { sub(m, "booking")["ends_at"] = "2026-11-20" }, "", "booking.ends_at"},
		{"booking.ends_at before starts_at", domain.BookingUpdated, func(m map[string]any) { sub(m, "booking")["ends_at"] = "2026-11-20T14:00:00Z" }, "", "booking.ends_at"},
		{"booking.title too long", domain.BookingCompleted, func(m map[string]any) { sub(m, "booking")["title"] = long }, "", "booking.title"},
		{"booking.location too long", domain.BookingCompleted, func(m map[string]any) { sub(m, "booking")["location"] = long }, "", "booking.location"},
		{"booking.agent too long", domain.BookingCompleted, func(m map[string]any) { sub(m, "booking")["agent"] = long }, "", "booking.agent"},
		{"ticket.subject too long", domain.TicketSolved, func(m map[string]any) { sub(m, "ticket")["subject"] = long }, "", "ticket.subject"},
		{"ticket.agent too long", domain.TicketSolved, func(m map[string]any) { sub(m, "ticket")["agent"] = long }, "", "ticket.agent"},
		{"webhook-id too long", domain.BookingCompleted, nil, "msg_" + strings.Repeat("x", 200), "webhook-id"},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.id
			if id == "" {
				id = testID
			}
			evs, err := p.Parse(signed(t, testSecret, id, body(t, tt.typ, tt.edit)), testNow)
			if !errors.Is(err, domain.ErrInvalidEvent) {
				t.Fatalf("Parse = %+v, %v; want ErrInvalidEvent", evs, err)
			}
			if errors.Is(err, providers.ErrMalformed) || errors.Is(err, providers.ErrIgnored) || errors.Is(err, providers.ErrUnauthorized) {
				t.Errorf("Parse = %v matches more than one error class", err)
			}
			var fe *domain.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, has no *domain.FieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("FieldError.Field = %q (%v), want %q", fe.Field, err, tt.field)
			}
			if fe.Reason == "" {
				t.Errorf("FieldError %q has no reason", fe.Field)
			}
		})
	}
}
