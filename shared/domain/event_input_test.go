package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// inputNow is the receiver's clock in these tests.
var inputNow = time.Date(2026, 11, 20, 17, 31, 0, 0, time.UTC)

func validEvent() Event {
	return Event{
		ID: "msg_1", Provider: "aftercare", Type: BookingCompleted, OccurredAt: inputNow.Add(-time.Minute), Ref: "BK-1",
		Customer: Customer{Email: "maria@example.com", Name: "María Pérez", Locale: "es-ES", TimeZone: "Europe/Madrid"},
		Title:    "Sunset sailing", Location: "Old Venetian Harbour", Agent: "Eleni",
	}
}

// fieldOf returns the field a validation error names, or fails.
func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var fe *FieldError
	if !errors.Is(err, ErrInvalidEvent) || !errors.As(err, &fe) {
		t.Fatalf("error %v is not an invalid-event FieldError", err)
	}
	return fe.Field
}

// TestValidateAtRefusesTheFuture: an event stamped in 2099 would schedule
// its follow-up for 2099 and make every real event after it stale.
func TestValidateAtRefusesTheFuture(t *testing.T) {
	for name, at := range map[string]time.Time{
		"2099":                  time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		"just over the skew":    inputNow.Add(MaxFutureSkew + time.Second),
		"far future, far zone":  time.Date(2099, 1, 1, 0, 0, 0, 0, time.FixedZone("", 14*3600)),
		"year 9999, max layout": time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		t.Run(name, func(t *testing.T) {
			e := validEvent()
			e.OccurredAt = at
			if err := e.Validate(); err != nil {
				t.Fatalf("Validate (no clock) = %v; it must stay clock-free", err)
			}
			err := e.ValidateAt(inputNow)
			if f := fieldOf(t, err); f != "occurred_at" {
				t.Fatalf("ValidateAt names %q, want occurred_at", f)
			}
			if !strings.Contains(err.Error(), "more than 1h in the future") {
				t.Fatalf("ValidateAt = %v", err)
			}
		})
	}
}

func TestValidateAtAcceptsThePastAndSmallSkew(t *testing.T) {
	for _, at := range []time.Time{
		inputNow, inputNow.Add(MaxFutureSkew), inputNow.Add(-365 * 24 * time.Hour), inputNow.Add(59 * time.Minute),
	} {
		e := validEvent()
		e.OccurredAt = at
		if err := e.ValidateAt(inputNow); err != nil {
			t.Errorf("ValidateAt(occurred %s) = %v", at, err)
		}
	}
	if MaxFutureSkew != time.Hour {
		t.Fatalf("MaxFutureSkew = %s; the README and error text say 1h", MaxFutureSkew)
	}
}

// TestValidateAtIsValidateFirst: every other failure is reported as before.
func TestValidateAtIsValidateFirst(t *testing.T) {
	e := validEvent()
	e.Customer.Email = ""
	if f := fieldOf(t, e.ValidateAt(inputNow)); f != "customer.email" {
		t.Fatalf("ValidateAt names %q", f)
	}
}

// TestErrorsDoNotEchoLongInput: a 2,000-character type or zone is quoted
// shortened in the 400, not whole.
func TestErrorsDoNotEchoLongInput(t *testing.T) {
	long := strings.Repeat("x", 2000)
	for field, edit := range map[string]func(*Event){
		"type":               func(e *Event) { e.Type = EventType(long) },
		"customer.time_zone": func(e *Event) { e.Customer.TimeZone = "Europe/" + long },
	} {
		e := validEvent()
		edit(&e)
		err := e.Validate()
		if f := fieldOf(t, err); f != field {
			t.Fatalf("names %q, want %s", f, field)
		}
		if n := len(err.Error()); n >= 200 {
			t.Errorf("%s: error is %d bytes: %.80s…", field, n, err)
		}
	}
}

// TestEmailFitsAnAddressHeader: an address longer than RFC 5321 allows
// would be refused by every mailer at send time; refuse it at ingest.
func TestEmailFitsAnAddressHeader(t *testing.T) {
	e := validEvent()
	e.Customer.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254
	if err := e.Validate(); err != nil {
		t.Fatalf("a 254-octet address is refused: %v", err)
	}
	e.Customer.Email = strings.Repeat("a", 2000) + "@example.com"
	if f := fieldOf(t, e.Validate()); f != "customer.email" {
		t.Fatalf("names %q", f)
	}
}
