package hookutil

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
)

// RFC 4231, test case 2: the published HMAC-SHA256 vector, so Sum is checked
// against something computed outside this code.
func TestSumMatchesRFC4231(t *testing.T) {
	got := hex.EncodeToString(Sum([]byte("Jefe"), []byte("what do ya want "), []byte("for nothing?")))
	const want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Fatalf("Sum = %s, want %s", got, want)
	}
}

func TestKeysMatch(t *testing.T) {
	msg := []byte(`{"x":1}`)
	sign := func(secret string) []byte {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(msg)
		return m.Sum(nil)
	}
	tests := []struct {
		name    string
		secrets []string
		sig     []byte
		want    bool
	}{
		{"one secret", []string{"s3cret"}, sign("s3cret"), true},
		{"rotation: the second secret", []string{"new-secret", "old-secret"}, sign("old-secret"), true},
		{"retired secret", []string{"new-secret"}, sign("old-secret"), false},
		{"truncated signature", []string{"s3cret"}, sign("s3cret")[:31], false},
		{"empty signature", []string{"s3cret"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := NewKeys(tt.secrets...)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Match(tt.sig, msg); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewKeysRefusesNoSecret(t *testing.T) {
	for _, secrets := range [][]string{nil, {""}, {"ok", "  "}} {
		if _, err := NewKeys(secrets...); !errors.Is(err, ErrNoSecret) {
			t.Errorf("NewKeys(%q) = %v, want ErrNoSecret", secrets, err)
		}
	}
}

func TestTokens(t *testing.T) {
	const a, b = "tok_0123456789abcdef", "tok_fedcba9876543210"
	tk, err := NewTokens(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]bool{a: true, b: true, a + "x": false, a[:len(a)-1]: false, "": false, strings.ToUpper(a): false} {
		if tk.Match(got) != want {
			t.Errorf("Match(%q) = %v, want %v", got, !want, want)
		}
	}
	if _, err := NewTokens("short"); err == nil {
		t.Error("NewTokens accepted a short token")
	}
	if _, err := NewTokens(); !errors.Is(err, ErrNoSecret) {
		t.Errorf("NewTokens() = %v, want ErrNoSecret", err)
	}
}

func TestSplitSecrets(t *testing.T) {
	got := SplitSecrets(" new ,, old\n")
	if strings.Join(got, "|") != "new|old" {
		t.Fatalf("SplitSecrets = %q", got)
	}
	if SplitSecrets(" , ") != nil {
		t.Fatal("blank list is not empty")
	}
}

type sample struct {
	Payload struct {
		UID       string `json:"uid"`
		Attendees []struct {
			Email string `json:"email"`
		} `json:"attendees"`
	} `json:"payload"`
	ID Text `json:"id"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, body, inMsg string
	}{
		{"empty", " ", "body is empty"},
		{"array", `[1]`, "JSON object"},
		{"syntax", "{\n \"payload\": {,}\n}", "line 2, column 14"},
		{"wrong type nested", `{"payload":{"uid":7}}`, "payload.uid must be a JSON string, not number"},
		{"wrong type in array", `{"payload":{"attendees":[{"email":true}]}}`, "payload.attendees.email must be a JSON string, not bool"},
		{"object for array", `{"payload":{"attendees":{}}}`, "payload.attendees must be a JSON array, not object"},
		{"text given an object", `{"id":{"a":1}}`, "id must be a JSON string, not object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v sample
			err := Decode([]byte(tt.body), &v)
			if !errors.Is(err, providers.ErrMalformed) || !strings.Contains(err.Error(), tt.inMsg) {
				t.Fatalf("Decode = %v, want ErrMalformed mentioning %q", err, tt.inMsg)
			}
		})
	}
}

func TestTextAcceptsStringsNumbersNull(t *testing.T) {
	for body, want := range map[string]Text{`{"id":"35436"}`: "35436", `{"id":35436}`: "35436", `{"id":null}`: "", `{}`: "", `{"id":-1.5e3}`: "-1.5e3"} {
		var v sample
		if err := Decode([]byte(body), &v); err != nil || v.ID != want {
			t.Errorf("Decode(%s) = %q, %v; want %q", body, v.ID, err, want)
		}
	}
}

func TestValidateRenamesFields(t *testing.T) {
	e := domain.Event{ID: "x", Provider: "calcom", Type: domain.BookingCreated, OccurredAt: time.Now(), Ref: "uid-1",
		Customer: domain.Customer{Email: "not an address"}}
	err := Validate(e, map[string]string{"customer.email": "payload.attendees[0].email"})
	var fe *domain.FieldError
	if !errors.Is(err, domain.ErrInvalidEvent) || !errors.As(err, &fe) || fe.Field != "payload.attendees[0].email" {
		t.Fatalf("Validate = %v, want the field renamed", err)
	}
	e.Customer.Email = "a@example.com"
	if err := Validate(e, nil); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
}

func TestParseTime(t *testing.T) {
	ok := map[string]string{
		"2024-01-01T10:00:00Z":            "2024-01-01T10:00:00Z",
		"2024-01-04T10:00:00+00:00":       "2024-01-04T10:00:00Z",
		"2020-11-23T17:51:18.327602Z":     "2020-11-23T17:51:18.327602Z",
		"2013-12-12T05:35Z":               "2013-12-12T05:35:00Z",
		" 2026-11-20T19:30:00.250+02:00 ": "2026-11-20T17:30:00.25Z",
	}
	for in, want := range ok {
		got, err := ParseTime(in)
		if err != nil || got.Format(time.RFC3339Nano) != want {
			t.Errorf("ParseTime(%q) = %s, %v; want %s", in, got.Format(time.RFC3339Nano), err, want)
		}
	}
	for _, in := range []string{"", "2026-11-20", "2026-11-20T17:30:00", "{{ticket.updated_at_with_timestamp}}", "1700000000"} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) accepted", in)
		}
	}
}

func TestCheckSkew(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	tol := 3 * time.Minute
	for d, stale := range map[time.Duration]bool{0: false, tol: false, -tol: false, tol + time.Second: true, -tol - time.Second: true, -24 * time.Hour: true} {
		err := CheckSkew(now.Add(d), now, tol)
		if (err != nil) != stale || (err != nil && !errors.Is(err, ErrStale)) {
			t.Errorf("CheckSkew(now%+v) = %v, want stale=%v", d, err, stale)
		}
	}
}

// TestClipAgreesWithDomain pins MaxText to domain.Event.Validate's limit.
func TestClipAgreesWithDomain(t *testing.T) {
	e := domain.Event{ID: "x", Provider: "p", Type: domain.BookingCreated, OccurredAt: time.Now(), Ref: "r",
		Customer: domain.Customer{Email: "a@example.com"}}
	e.Title = strings.Repeat("a", MaxText)
	if err := e.Validate(); err != nil {
		t.Fatalf("a %d-byte title is refused: %v", MaxText, err)
	}
	e.Title += "a"
	if err := e.Validate(); err == nil {
		t.Fatalf("a %d-byte title is accepted; MaxText is out of date", MaxText+1)
	}
	long := strings.Repeat("α", 400) // 800 bytes, 2 per character
	got := Clip(" " + long + " ")
	if len(got) > MaxText || !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
		t.Fatalf("Clip = %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if Clip("  short ") != "short" {
		t.Fatal("Clip does not trim")
	}
}

func TestEventID(t *testing.T) {
	a := EventID("cal", "BOOKING_CREATED", "uid", "2024-01-01T00:00:00.000Z")
	if a != EventID("cal", "BOOKING_CREATED", "uid", "2024-01-01T00:00:00.000Z") {
		t.Fatal("EventID is not stable")
	}
	if a == EventID("cal", "BOOKING_CREATEDuid", "", "2024-01-01T00:00:00.000Z") {
		t.Fatal("EventID parts run together")
	}
	if !strings.HasPrefix(a, "cal_") || len(a) != 4+32 {
		t.Fatalf("EventID = %q", a)
	}
}
