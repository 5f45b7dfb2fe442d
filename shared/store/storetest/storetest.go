// Package storetest is the contract every store.Store adapter must pass.
// One suite, run against the embedded bbolt adapter and against DynamoDB
// Local, is what lets the local runtime stand in for AWS: if both pass, the
// use cases cannot tell them apart.
//
// The suite is deliberately small in volume (tens of writes per subtest) so
// that it stays fast against DynamoDB Local, which is slower than a file.
package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Run runs the contract suite. open must return a fresh, empty store; it is
// called once per subtest, and should register its own cleanup with t.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"GetMissing", testGetMissing},
		{"CreateThroughUpdate", testCreate},
		{"IDMustMatch", testIDMustMatch},
		{"EmptyID", testEmptyID},
		{"VersionIncrements", testVersion},
		{"FnErrorWritesNothing", testFnError},
		{"Unchanged", testUnchanged},
		{"RoundTrip", testRoundTrip},
		{"ConcurrentUpdates", testConcurrent},
		{"List", testList},
		{"ContextCancelled", testContext},
		{"SizeBounded", testSizeBounded},
		{"UpdateFrom", testUpdateFrom},
		{"Contacts", testContacts},
		{"Delete", testDelete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// opts compares incidents: an adapter may load an absent collection as nil
// or as empty, and time.Time compares with Equal (go-cmp's default).
var opts = cmp.Options{cmpopts.EquateEmpty()}

// t0 carries nanoseconds so that an adapter truncating to seconds or
// milliseconds fails the suite.
var t0 = time.Date(2025, 6, 1, 9, 30, 15, 123456789, time.UTC)

// create stores a minimal incident and returns it as stored.
func create(t *testing.T, s store.Store, id string, updated time.Time) domain.Incident {
	t.Helper()
	got, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
		inc.ID = id
		inc.Provider, inc.Ref, inc.Kind = "test", id, domain.KindBooking
		inc.Status = domain.StatusBooked
		inc.Customer = domain.Customer{Email: "ana@example.com", Name: "Ana"}
		inc.CreatedAt, inc.UpdatedAt = updated, updated
		return nil
	})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	return got
}

// mustGet loads an incident that must exist.
func mustGet(t *testing.T, s store.Store, id string) domain.Incident {
	t.Helper()
	got, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return got
}

// assertMissing checks that nothing is stored under id.
func assertMissing(t *testing.T, s store.Store, id string) {
	t.Helper()
	if got, err := s.Get(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%s) = %+v, %v; want ErrNotFound", id, got.ID, err)
	}
}
