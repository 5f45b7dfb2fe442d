// Package hooktest checks what every provider's Parse promises the web
// layer, so each provider's fuzz test states the promise once, here: valid
// events with stable ids, or an error in exactly one of the classes that
// map to a status code, with invalid fields named.
package hooktest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

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
