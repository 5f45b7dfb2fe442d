package native

import (
	"errors"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
)

// FuzzParse signs arbitrary bodies correctly, so every input reaches the
// decoder. Parse must not panic, must return exactly one valid event or an
// error of exactly one of the classes the web layer maps to a status code.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"aftercare-booking-completed.json", "aftercare-booking-created.json", "aftercare-ticket-solved.json"} {
		f.Add(readSample(f, name))
	}
	for _, s := range []string{
		``, `null`, `{}`, `{"type":"ticket.closed","ticket":{}}`,
		`{"type":"booking.created","booking":{"ref":"x"},"ticket":{"ref":"y"}}`,
		`{"type":"booking.completed","occurred_at":"2026-11-20T17:30:00Z","customer":{"email":"a@b.gr"},"booking":{"ref":"1","starts_at":"2026-11-20T15:00:00Z","ends_at":"2026-11-20T14:00:00Z"}}`,
		`{"type":"invoice.paid"}`, `{"customer":{"email":7}}`, "{\"type\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	p := newProvider(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(signed(t, testSecret, testID, body), testNow)
		if err == nil {
			if len(evs) != 1 {
				t.Fatalf("Parse returned %d events and no error", len(evs))
			}
			e := evs[0]
			if verr := e.Validate(); verr != nil {
				t.Fatalf("Parse returned an invalid event: %v", verr)
			}
			if e.ID != testID || e.Provider != Name {
				t.Fatalf("Parse returned ID %q, provider %q", e.ID, e.Provider)
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
		if errors.Is(err, domain.ErrInvalidEvent) && !errors.As(err, &fe) {
			t.Fatalf("invalid-event error %v names no field", err)
		}
	})
}
