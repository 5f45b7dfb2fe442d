// Package hooktest checks what every provider's Parse promises the web
// layer, so each provider's fuzz test states the promise once, here: valid
// events with stable ids, or an error in exactly one of the classes that
// map to a status code, with invalid fields named.
package hooktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
)

// CheckOutcome fails t unless (evs, err) is what an authenticated Parse may
// return: 1 to maxEvents valid events of provider with ids, or nil events
// and an error that is exactly one of malformed, ignored or invalid (an
// authenticated delivery is never unauthorized), an invalid one naming its
// field. again is a second Parse of the same delivery: its ids must match.
func CheckOutcome(t testing.TB, provider string, maxEvents int, evs []domain.Event, err error, again func() ([]domain.Event, error)) {
	t.Helper()
	if err == nil {
		if len(evs) == 0 || len(evs) > maxEvents {
			t.Fatalf("Parse returned %d events and no error", len(evs))
		}
		for _, e := range evs {
			if verr := e.Validate(); verr != nil || e.Provider != provider {
				t.Fatalf("Parse returned an invalid event %+v: %v", e, verr)
			}
			if e.Clean() != e {
				t.Fatalf("Parse returned an event with control or bidi characters: %+v", e)
			}
		}
		evs2, err2 := again()
		if err2 != nil || len(evs2) != len(evs) {
			t.Fatalf("a redelivery parsed differently: %d events, %v", len(evs2), err2)
		}
		for i := range evs {
			if evs2[i].ID != evs[i].ID {
				t.Fatalf("a redelivery got id %q, first delivery %q", evs2[i].ID, evs[i].ID)
			}
		}
		return
	}
	if evs != nil {
		t.Fatalf("Parse returned events with error %v", err)
	}
	classes := 0
	for _, c := range []error{providers.ErrMalformed, providers.ErrIgnored, providers.ErrUnauthorized, domain.ErrInvalidEvent} {
		if errors.Is(err, c) {
			classes++
		}
	}
	if classes != 1 || errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("Parse error %v is in %d classes; want one of malformed, ignored, invalid", err, classes)
	}
	var fe *domain.FieldError
	if errors.Is(err, domain.ErrInvalidEvent) && (!errors.As(err, &fe) || fe.Field == "" || fe.Reason == "") {
		t.Fatalf("invalid-event error %v names no field", err)
	}
}

// Seeds adds every file matching pattern (the provider's documented
// payloads) and the given bodies to a fuzz corpus.
func Seeds(f *testing.F, pattern string, bodies ...string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files match %s (%v)", pattern, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range bodies {
		f.Add([]byte(s))
	}
}

// Fixture reads testdata/name, a provider's documented payload.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Edit decodes the fixture testdata/name, lets f change it and encodes it
// again: a documented payload with one thing wrong or different.
func Edit(t testing.TB, name string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Far is a time field's value far in the future, as a sender's typo (or a
// hostile sender) writes it.
const Far = "2099-01-01T00:00:00Z"

// CheckFuture fails t unless a delivery whose time field says Far parsed
// into events that domain.Event.ValidateAt refuses at now, naming
// occurred_at: the provider passes the time on as written, and the
// receiver's clock refuses it before anything is scheduled for 2099.
func CheckFuture(t testing.TB, now time.Time, evs []domain.Event, err error) {
	t.Helper()
	if err != nil || len(evs) == 0 {
		t.Fatalf("Parse = %d events, %v; want the events, for ValidateAt to refuse", len(evs), err)
	}
	for _, e := range evs {
		verr := e.ValidateAt(now)
		var fe *domain.FieldError
		if !errors.Is(verr, domain.ErrInvalidEvent) || !errors.As(verr, &fe) || fe.Field != "occurred_at" {
			t.Fatalf("event occurring %s: ValidateAt(%s) = %v; want occurred_at named", e.OccurredAt, now, verr)
		}
	}
}

// Marker is a string value a test writes where the bad text goes
// (hooktest.Edit marshals valid JSON, which cannot carry it).
const Marker = "HOOKTEST-MARKER"

// BadText are JSON string contents, as written between the quotes, that are
// not Unicode text: an invalid byte, a truncated sequence, an encoded
// surrogate, and escaped surrogates without their other half. Decoding
// would store each as U+FFFD.
var BadText = map[string]string{
	"invalid byte":         "Mar\xffa",
	"truncated sequence":   "Mar\xc3",
	"encoded surrogate":    "\xed\xa0\x80",
	"lone high surrogate":  `Mar\ud83da`,
	"lone low surrogate":   `\uDC00`,
	"high then non-low":    `\ud83d\u0041`,
	"high at the end":      `x\uD800`,
	"overlong encoding":    "\xc0\xaf",
	"low before high":      `\udc00\ud800`,
	"high, escaped quote":  `\ud800\"`,
	"high, then raw emoji": "\\ud83d\U0001F600",
}

// CheckBadText fails t unless each of BadText, put in place of Marker in
// body, makes parse refuse the delivery with an invalid-event error naming
// field (the path as the sender's JSON writes it).
func CheckBadText(t *testing.T, body []byte, field string, parse func(body []byte) ([]domain.Event, error)) {
	t.Helper()
	if bytes.Count(body, []byte(Marker)) != 1 {
		t.Fatalf("body does not hold %s once: %s", Marker, body)
	}
	for name, bad := range BadText {
		t.Run(name, func(t *testing.T) {
			evs, err := parse(bytes.Replace(body, []byte(Marker), []byte(bad), 1))
			var fe *domain.FieldError
			if evs != nil || !errors.Is(err, domain.ErrInvalidEvent) || !errors.As(err, &fe) || fe.Field != field {
				t.Fatalf("Parse = %d events, %v; want an invalid %s", len(evs), err, field)
			}
			if !strings.Contains(fe.Reason, "UTF-8") && !strings.Contains(fe.Reason, "surrogate") {
				t.Fatalf("reason %q does not say what is wrong", fe.Reason)
			}
		})
	}
}

// CheckShortError fails t unless err is an error whose text is short: a
// sender's input is quoted cut (domain.Quote), never whole.
func CheckShortError(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if n := len(err.Error()); n >= 200 {
		t.Fatalf("error is %d bytes: %.100s…", n, err)
	}
}
