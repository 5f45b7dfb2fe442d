package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// testContacts is the contract of GetContact and UpdateContact: the same
// semantics as Get and Update, for the person behind incidents. The cases
// share one store (each under its own key), so that one line registers
// them all.
func testContacts(t *testing.T, s store.Store) {
	t.Run("GetMissing", func(t *testing.T) { testContactGetMissing(t, s) })
	t.Run("CreateThroughUpdate", func(t *testing.T) { testContactCreate(t, s) })
	t.Run("RoundTrip", func(t *testing.T) { testContactRoundTrip(t, s) })
	t.Run("Unchanged", func(t *testing.T) { testContactUnchanged(t, s) })
	t.Run("FnErrorWritesNothing", func(t *testing.T) { testContactFnError(t, s) })
	t.Run("KeyMustMatch", func(t *testing.T) { testContactKeyMustMatch(t, s) })
	t.Run("ContextCancelled", func(t *testing.T) { testContactContext(t, s) })
	t.Run("ConcurrentSurveyClaims", func(t *testing.T) { testContactClaims(t, s) })
	t.Run("ApartFromIncidents", func(t *testing.T) { testContactApart(t, s) })
}

// mustGetContact loads a contact that must exist.
func mustGetContact(t *testing.T, s store.Store, key string) domain.Contact {
	t.Helper()
	got, err := s.GetContact(t.Context(), key)
	if err != nil {
		t.Fatalf("GetContact(%s): %v", key, err)
	}
	return got
}

// assertNoContact checks that no contact is stored under key.
func assertNoContact(t *testing.T, s store.Store, key string) {
	t.Helper()
	if got, err := s.GetContact(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetContact(%s) = %+v, %v; want ErrNotFound", key, got, err)
	}
}

// createContact stores a small contact with one incident and a survey
// claim (a slice and a pointer for fn to tamper with) and returns it as
// stored.
func createContact(t *testing.T, s store.Store, key string) domain.Contact {
	t.Helper()
	got, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
		c.Key = key
		c.Email, c.Name = "ana@example.com", "Ana"
		c.FirstSeen, c.LastSeen = t0, t0
		c.Incidents = []string{"inc_1"}
		c.LastSurvey = &domain.SurveyClaim{At: t0, Incident: "inc_1", Step: "c1.csat"}
		return nil
	})
	if err != nil {
		t.Fatalf("create contact %s: %v", key, err)
	}
	return got
}

func testContactGetMissing(t *testing.T, s store.Store) {
	_, err := s.GetContact(t.Context(), "con_missing")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetContact(missing) error = %v, want ErrNotFound", err)
	}
}

func testContactCreate(t *testing.T, s store.Store) {
	const key = "con_create"
	var seen domain.Contact
	got, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
		seen = *c
		c.Key = key
		c.Email = "ana@example.com"
		c.FirstSeen, c.LastSeen = t0, t0
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateContact(create): %v", err)
	}
	if diff := cmp.Diff(domain.Contact{}, seen, opts); diff != "" {
		t.Errorf("fn was not given the zero contact (-want +got):\n%s", diff)
	}
	want := domain.Contact{Key: key, Email: "ana@example.com", FirstSeen: t0, LastSeen: t0, Version: 1}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("UpdateContact returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustGetContact(t, s, key), opts); diff != "" {
		t.Errorf("GetContact after create (-want +got):\n%s", diff)
	}

	// The next write starts from the stored contact and counts on.
	got, err = s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
		if diff := cmp.Diff(want, *c, opts); diff != "" {
			return fmt.Errorf("fn was not given the stored contact (-want +got):\n%s", diff)
		}
		c.Name = "Ana"
		c.Version = 100 // Version belongs to the store
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateContact(second): %v", err)
	}
	if got.Version != 2 || got.Name != "Ana" {
		t.Errorf("second write returned v%d name %q, want v2 \"Ana\"", got.Version, got.Name)
	}
	if stored := mustGetContact(t, s, key); stored.Version != 2 || stored.Name != "Ana" {
		t.Errorf("second write stored v%d name %q, want v2 \"Ana\"", stored.Version, stored.Name)
	}
}

// richContact fills every field, with times in zones other than UTC and
// with nanoseconds, and the incident list at its bound.
func richContact(key string) domain.Contact {
	athens := time.FixedZone("EEST", 3*60*60)
	madrid := time.FixedZone("CEST", 2*60*60)
	c := domain.Contact{
		Key:       key,
		Email:     "maría.núñez+reservas@example.es",
		Name:      `Μαρία "Núñez" <b>&</b> 😊`,
		Locale:    "el-GR",
		TimeZone:  "Europe/Athens",
		FirstSeen: time.Date(2025, 3, 1, 8, 0, 0, 1, athens),
		LastSeen:  t0.Add(987654321),
		LastSurvey: &domain.SurveyClaim{
			At:       time.Date(2025, 5, 30, 18, 45, 1, 999999999, madrid),
			Incident: "inc_Ω-42",
			Step:     "c2.csat",
		},
		Version: 42, // the store's, not fn's: must come back 1
	}
	for i := range 50 {
		c.Incidents = append(c.Incidents, fmt.Sprintf("inc_%02d_%s", i, strings.Repeat("x", i%5)))
	}
	return c
}

func testContactRoundTrip(t *testing.T, s store.Store) {
	const key = "con_roundtrip"
	rich := richContact(key)
	got, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
		*c = rich
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateContact(rich): %v", err)
	}
	want := rich
	want.Version = 1
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("UpdateContact returned (-want +got):\n%s", diff)
	}
	stored := mustGetContact(t, s, key)
	if diff := cmp.Diff(want, stored, opts); diff != "" {
		t.Errorf("GetContact after round trip (-want +got):\n%s", diff)
	}
	_, off := stored.FirstSeen.Zone()
	if _, wantOff := rich.FirstSeen.Zone(); off != wantOff {
		t.Errorf("FirstSeen came back at offset %d, want %d (the zone was lost)", off, wantOff)
	}

	// Loading and storing again must be lossless too.
	got, err = s.UpdateContact(t.Context(), key, func(*domain.Contact) error { return nil })
	if err != nil {
		t.Fatalf("UpdateContact(identity): %v", err)
	}
	want.Version = 2
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("identity update (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustGetContact(t, s, key), opts); diff != "" {
		t.Errorf("GetContact after identity update (-want +got):\n%s", diff)
	}
}

func testContactUnchanged(t *testing.T, s store.Store) {
	t.Run("existing", func(t *testing.T) {
		const key = "con_unchanged"
		before := createContact(t, s, key)
		got, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
			// Changes in place, through the slice and the pointer,
			// must not reach the contact returned as loaded.
			c.Name = "not kept"
			c.Incidents[0] = "inc_not_kept"
			c.Incidents = append(c.Incidents, "inc_not_kept_either")
			c.LastSurvey.Step = "not kept"
			return store.ErrUnchanged
		})
		if err != nil {
			t.Fatalf("UpdateContact returning ErrUnchanged: error %v, want nil", err)
		}
		if diff := cmp.Diff(before, got, opts); diff != "" {
			t.Errorf("UpdateContact did not return the loaded contact (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(before, mustGetContact(t, s, key), opts); diff != "" {
			t.Errorf("ErrUnchanged wrote (-want +got):\n%s", diff)
		}
	})
	t.Run("missing", func(t *testing.T) {
		const key = "con_unchanged_new"
		got, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
			c.Key = key
			return store.ErrUnchanged
		})
		if err != nil {
			t.Fatalf("UpdateContact returning ErrUnchanged: error %v, want nil", err)
		}
		if diff := cmp.Diff(domain.Contact{}, got, opts); diff != "" {
			t.Errorf("UpdateContact on a missing key returned (-want +got):\n%s", diff)
		}
		assertNoContact(t, s, key)
	})
}

func testContactFnError(t *testing.T, s store.Store) {
	errPolicy := errors.New("policy says no")
	t.Run("existing", func(t *testing.T) {
		const key = "con_fnerr"
		before := createContact(t, s, key)
		_, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
			c.Name = "must not be stored"
			c.Incidents = append(c.Incidents, "inc_must_not_be_stored")
			return fmt.Errorf("deciding: %w", errPolicy)
		})
		if !errors.Is(err, errPolicy) {
			t.Fatalf("UpdateContact error = %v, want one wrapping %v", err, errPolicy)
		}
		if diff := cmp.Diff(before, mustGetContact(t, s, key), opts); diff != "" {
			t.Errorf("failed update changed the contact (-want +got):\n%s", diff)
		}
	})
	t.Run("missing", func(t *testing.T) {
		const key = "con_fnerr_new"
		_, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
			c.Key = key
			return errPolicy
		})
		if err != errPolicy {
			t.Fatalf("UpdateContact error = %v, want %v itself", err, errPolicy)
		}
		assertNoContact(t, s, key)
	})
}

func testContactKeyMustMatch(t *testing.T, s store.Store) {
	tests := []struct {
		name     string
		existing bool
		setKey   string
	}{
		{"create without key", false, ""},
		{"create under another key", false, "con_other"},
		{"existing key cleared", true, ""},
		{"existing key changed", true, "con_other"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("con_keycheck_%d", i)
			var before domain.Contact
			if tc.existing {
				before = createContact(t, s, key)
			}
			_, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
				c.Key = tc.setKey
				c.Name = "must not be stored"
				return nil
			})
			if err == nil {
				t.Fatalf("UpdateContact setting Key %q on %s succeeded, want an error", tc.setKey, key)
			}
			assertNoContact(t, s, "con_other")
			if !tc.existing {
				assertNoContact(t, s, key)
				return
			}
			if diff := cmp.Diff(before, mustGetContact(t, s, key), opts); diff != "" {
				t.Errorf("contact changed by a rejected update (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("empty key", func(t *testing.T) {
		_, err := s.UpdateContact(t.Context(), "", func(c *domain.Contact) error {
			c.Key = ""
			return nil
		})
		if err == nil {
			t.Fatal("UpdateContact with an empty key succeeded, want an error")
		}
		assertNoContact(t, s, "")
	})
}

func testContactContext(t *testing.T, s store.Store) {
	createContact(t, s, "con_ctx")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.GetContact(ctx, "con_ctx"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetContact(cancelled) error = %v, want context.Canceled", err)
	}
	_, err := s.UpdateContact(ctx, "con_ctx_new", func(c *domain.Contact) error {
		c.Key = "con_ctx_new"
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("UpdateContact(cancelled) error = %v, want context.Canceled", err)
	}
	assertNoContact(t, s, "con_ctx_new")
}

// testContactClaims is the survey budget's guarantee: dispatchers of
// different incidents of one person race to claim it, and exactly one
// wins; every other sees the winner's claim and is throttled. Racing to
// create the contact and racing on one already stored (the version check)
// are both covered.
func testContactClaims(t *testing.T, s store.Store) {
	t.Run("new contact", func(t *testing.T) { claimRace(t, s, "con_claims_new", 0) })
	t.Run("existing contact", func(t *testing.T) {
		const key = "con_claims_existing"
		if _, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
			c.Key, c.Email, c.FirstSeen, c.LastSeen = key, "ana@example.com", t0, t0
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		claimRace(t, s, key, 1)
	})
}

// claimRace has writers claim the budget of the contact at key, stored at
// version before (0: not stored), at once.
func claimRace(t *testing.T, s store.Store, key string, before int64) {
	now := t0
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, writers)
		won   = make([]domain.Contact, writers)
	)
	for i := range writers {
		wg.Go(func() {
			<-start
			won[i], errs[i] = s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
				c.Key = key
				return c.ClaimSurvey(fmt.Sprintf("inc_%d", i), "thanks-1", 30*24*time.Hour, now)
			})
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both claimed the survey budget", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, domain.ErrThrottled):
			t.Errorf("writer %d: error %v, want nil or domain.ErrThrottled", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer claimed the survey budget: %v", errs)
	}
	want := &domain.SurveyClaim{At: now, Incident: fmt.Sprintf("inc_%d", winner), Step: "thanks-1"}
	if diff := cmp.Diff(want, won[winner].LastSurvey, opts); diff != "" {
		t.Errorf("winner's returned claim (-want +got):\n%s", diff)
	}
	stored := mustGetContact(t, s, key)
	if diff := cmp.Diff(want, stored.LastSurvey, opts); diff != "" {
		t.Errorf("stored claim does not name the winner (-want +got):\n%s", diff)
	}
	if stored.Version != before+1 {
		t.Errorf("stored Version = %d, want %d (one claim written, the throttled ones nothing)", stored.Version, before+1)
	}
}

// testContactApart: incidents and contacts share a store (on DynamoDB, a
// table) but not a key space, and contacts are never listed.
func testContactApart(t *testing.T, s store.Store) {
	const key = "x"
	inc := create(t, s, key, t0)
	assertNoContact(t, s, key)
	c, err := s.UpdateContact(t.Context(), key, func(c *domain.Contact) error {
		if c.Key != "" || c.Version != 0 {
			return fmt.Errorf("fn was given %+v, want the zero contact (the incident %q is not a contact)", *c, key)
		}
		c.Key, c.Email = key, "ana@example.com"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateContact(%s): %v", key, err)
	}
	if c.Version != 1 {
		t.Errorf("contact %s created at Version %d, want 1", key, c.Version)
	}
	if diff := cmp.Diff(inc, mustGet(t, s, key), opts); diff != "" {
		t.Errorf("writing contact %s changed incident %s (-want +got):\n%s", key, key, diff)
	}
	if diff := cmp.Diff(c, mustGetContact(t, s, key), opts); diff != "" {
		t.Errorf("contact %s (-want +got):\n%s", key, diff)
	}

	// And the other way round: a contact first, then an incident.
	const other = "y"
	createContact(t, s, other)
	assertMissing(t, s, other)
	inc2 := create(t, s, other, t0.Add(time.Hour))
	if inc2.Version != 1 {
		t.Errorf("incident %s created at Version %d, want 1", other, inc2.Version)
	}
	if got := mustGetContact(t, s, other); got.Version != 1 || got.Email != "ana@example.com" {
		t.Errorf("writing incident %s changed contact %s: %+v", other, other, got)
	}

	list, err := s.List(t.Context(), 100)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var ids []string
	for _, inc := range list {
		ids = append(ids, inc.ID)
	}
	if diff := cmp.Diff([]string{other, key}, ids); diff != "" {
		t.Errorf("List ids (-want +got): contacts must not be listed\n%s", diff)
	}
}
