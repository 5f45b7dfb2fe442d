package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

func testGetMissing(t *testing.T, s store.Store) {
	_, err := s.Get(t.Context(), "inc_missing")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing) error = %v, want ErrNotFound", err)
	}
}

func testCreate(t *testing.T, s store.Store) {
	const id = "inc_create"
	var seen domain.Incident
	got, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
		seen = *inc
		inc.ID = id
		inc.Status = domain.StatusOpen
		inc.UpdatedAt = t0
		return nil
	})
	if err != nil {
		t.Fatalf("Update(create): %v", err)
	}
	if diff := cmp.Diff(domain.Incident{}, seen, opts); diff != "" {
		t.Errorf("fn was not given the zero incident (-want +got):\n%s", diff)
	}
	want := domain.Incident{ID: id, Status: domain.StatusOpen, UpdatedAt: t0, Version: 1}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("Update returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustGet(t, s, id), opts); diff != "" {
		t.Errorf("Get after create (-want +got):\n%s", diff)
	}
}

func testIDMustMatch(t *testing.T, s store.Store) {
	tests := []struct {
		name     string
		existing bool
		setID    string
	}{
		{"create without id", false, ""},
		{"create under another id", false, "inc_other"},
		{"existing id cleared", true, ""},
		{"existing id changed", true, "inc_other"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("inc_idcheck_%d", i)
			var before domain.Incident
			if tc.existing {
				before = create(t, s, id, t0)
			}
			_, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
				inc.ID = tc.setID
				inc.Title = "must not be stored"
				return nil
			})
			if err == nil {
				t.Fatalf("Update setting ID %q on %s succeeded, want an error", tc.setID, id)
			}
			assertMissing(t, s, "inc_other")
			if !tc.existing {
				assertMissing(t, s, id)
				return
			}
			if diff := cmp.Diff(before, mustGet(t, s, id), opts); diff != "" {
				t.Errorf("incident changed by a rejected update (-want +got):\n%s", diff)
			}
		})
	}
}

func testEmptyID(t *testing.T, s store.Store) {
	_, err := s.Update(t.Context(), "", func(inc *domain.Incident) error {
		inc.ID = ""
		return nil
	})
	if err == nil {
		t.Fatal("Update with an empty id succeeded, want an error")
	}
	list, err := s.List(t.Context(), 10)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("List after rejected empty id = %d incidents, want 0", len(list))
	}
}

func testVersion(t *testing.T, s store.Store) {
	const id = "inc_version"
	prev := domain.Incident{}
	for want := int64(1); want <= 4; want++ {
		got, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			if diff := cmp.Diff(prev, *inc, opts); diff != "" {
				return fmt.Errorf("fn was not given the stored incident (-want +got):\n%s", diff)
			}
			inc.ID = id
			inc.UpdatedAt = t0.Add(time.Duration(want) * time.Minute)
			inc.Record(inc.UpdatedAt, domain.EntryEvent, "", fmt.Sprintf("write %d", want))
			if want == 4 {
				// Version belongs to the store: a function that
				// tampers with it must not break the sequence.
				inc.Version = 100
			}
			return nil
		})
		if err != nil {
			t.Fatalf("write %d: %v", want, err)
		}
		if got.Version != want {
			t.Errorf("write %d: returned Version = %d, want %d", want, got.Version, want)
		}
		stored := mustGet(t, s, id)
		if stored.Version != want {
			t.Errorf("write %d: stored Version = %d, want %d", want, stored.Version, want)
		}
		if len(stored.Timeline) != int(want) {
			t.Errorf("write %d: timeline has %d entries, want %d", want, len(stored.Timeline), want)
		}
		prev = stored
	}
}

func testFnError(t *testing.T, s store.Store) {
	errPolicy := errors.New("policy says no")
	t.Run("existing", func(t *testing.T) {
		const id = "inc_fnerr"
		before := create(t, s, id, t0)
		_, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			inc.Status = domain.StatusCancelled
			inc.Record(t0, domain.EntryEvent, "", "must not be stored")
			return fmt.Errorf("deciding: %w", errPolicy)
		})
		if !errors.Is(err, errPolicy) {
			t.Fatalf("Update error = %v, want one wrapping %v", err, errPolicy)
		}
		if diff := cmp.Diff(before, mustGet(t, s, id), opts); diff != "" {
			t.Errorf("failed update changed the incident (-want +got):\n%s", diff)
		}
	})
	t.Run("missing", func(t *testing.T) {
		const id = "inc_fnerr_new"
		_, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			inc.ID = id
			return errPolicy
		})
		if !errors.Is(err, errPolicy) {
			t.Fatalf("Update error = %v, want %v", err, errPolicy)
		}
		assertMissing(t, s, id)
	})
}

func testUnchanged(t *testing.T, s store.Store) {
	t.Run("existing", func(t *testing.T) {
		const id = "inc_unchanged"
		before := create(t, s, id, t0)
		got, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			inc.Title = "not kept"
			return store.ErrUnchanged
		})
		if err != nil {
			t.Fatalf("Update returning ErrUnchanged: error %v, want nil", err)
		}
		if diff := cmp.Diff(before, got, opts); diff != "" {
			t.Errorf("Update did not return the loaded incident (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(before, mustGet(t, s, id), opts); diff != "" {
			t.Errorf("ErrUnchanged wrote (-want +got):\n%s", diff)
		}
	})
	t.Run("missing", func(t *testing.T) {
		const id = "inc_unchanged_new"
		got, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			inc.ID = id
			return store.ErrUnchanged
		})
		if err != nil {
			t.Fatalf("Update returning ErrUnchanged: error %v, want nil", err)
		}
		if diff := cmp.Diff(domain.Incident{}, got, opts); diff != "" {
			t.Errorf("Update on a missing id returned (-want +got):\n%s", diff)
		}
		assertMissing(t, s, id)
	})
}

func testRoundTrip(t *testing.T, s store.Store) {
	const id = "inc_roundtrip"
	rich := richIncident(id)
	got, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
		*inc = rich
		return nil
	})
	if err != nil {
		t.Fatalf("Update(rich): %v", err)
	}
	want := rich
	want.Version = 1
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("Update returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustGet(t, s, id), opts); diff != "" {
		t.Errorf("Get after round trip (-want +got):\n%s", diff)
	}

	// Loading and storing again must be lossless too.
	got, err = s.Update(t.Context(), id, func(*domain.Incident) error { return nil })
	if err != nil {
		t.Fatalf("Update(identity): %v", err)
	}
	want.Version = 2
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("identity update (-want +got):\n%s", diff)
	}
	list, err := s.List(t.Context(), 1)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 1 {
		t.Fatalf("List returned %d incidents, want 1", len(list))
	}
	if diff := cmp.Diff(want, list[0], opts); diff != "" {
		t.Errorf("List entry (-want +got):\n%s", diff)
	}
}

func testList(t *testing.T, s store.Store) {
	empty, err := s.List(t.Context(), 10)
	if err != nil {
		t.Fatalf("List(empty store): %v", err)
	}
	if len(empty) != 0 {
		t.Fatalf("List(empty store) = %d incidents, want 0", len(empty))
	}

	// Write order differs from UpdatedAt order: List sorts by the
	// incident's UpdatedAt (the domain's clock), not by when it was written.
	create(t, s, "inc_a", t0.Add(10*time.Hour))
	create(t, s, "inc_b", t0.Add(11*time.Hour))
	create(t, s, "inc_c", t0.Add(9*time.Hour))
	create(t, s, "inc_d", t0.Add(8*time.Hour))
	if _, err := s.Update(t.Context(), "inc_c", func(inc *domain.Incident) error {
		inc.UpdatedAt = t0.Add(12 * time.Hour)
		return nil
	}); err != nil {
		t.Fatalf("update inc_c: %v", err)
	}

	tests := []struct {
		limit int
		want  []string
	}{
		{10, []string{"inc_c", "inc_b", "inc_a", "inc_d"}},
		{4, []string{"inc_c", "inc_b", "inc_a", "inc_d"}},
		{2, []string{"inc_c", "inc_b"}},
		{1, []string{"inc_c"}},
	}
	for _, tc := range tests {
		list, err := s.List(t.Context(), tc.limit)
		if err != nil {
			t.Fatalf("List(%d): %v", tc.limit, err)
		}
		var ids []string
		for _, inc := range list {
			ids = append(ids, inc.ID)
		}
		if diff := cmp.Diff(tc.want, ids); diff != "" {
			t.Errorf("List(%d) ids (-want +got):\n%s", tc.limit, diff)
		}
		if len(list) > 0 {
			if diff := cmp.Diff(mustGet(t, s, "inc_c"), list[0], opts); diff != "" {
				t.Errorf("List(%d)[0] is not the full incident (-want +got):\n%s", tc.limit, diff)
			}
		}
	}
}

func testContext(t *testing.T, s store.Store) {
	create(t, s, "inc_ctx", t0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	if _, err := s.Get(ctx, "inc_ctx"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(cancelled) error = %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("List(cancelled) error = %v, want context.Canceled", err)
	}
	_, err := s.Update(ctx, "inc_ctx_new", func(inc *domain.Incident) error {
		inc.ID = "inc_ctx_new"
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update(cancelled) error = %v, want context.Canceled", err)
	}
	assertMissing(t, s, "inc_ctx_new")

	// Cancelled while fn runs: either the write happened and Update says
	// so, or it did not and Update reports the cancellation. Never a
	// write reported as failed, nor a failure that wrote.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	got, err := s.Update(ctx, "inc_ctx", func(inc *domain.Incident) error {
		inc.Title = "written while cancelling"
		cancel()
		return nil
	})
	stored := mustGet(t, s, "inc_ctx")
	switch {
	case err == nil:
		if stored.Version != 2 || got.Version != 2 {
			t.Errorf("Update succeeded but stored Version = %d, returned %d; want 2", stored.Version, got.Version)
		}
	case errors.Is(err, context.Canceled):
		if stored.Version != 1 {
			t.Errorf("Update reported %v but stored Version = %d, want 1", err, stored.Version)
		}
	default:
		t.Errorf("Update cancelled in fn: error = %v, want nil or context.Canceled", err)
	}
}

// testUpdateFrom: starting from an incident just read writes once; if
// somebody wrote since, fn runs again on the latest, and nothing is lost.
func testUpdateFrom(t *testing.T, s store.Store) {
	const id = "inc_from"
	read := create(t, s, id, t0)
	got, err := s.UpdateFrom(t.Context(), read, func(inc *domain.Incident) error {
		inc.Title = "first"
		return nil
	})
	if err != nil || got.Version != read.Version+1 || got.Title != "first" {
		t.Fatalf("UpdateFrom(fresh) = %+v, %v", got, err)
	}
	// read is now stale: another writer went first.
	calls := 0
	got, err = s.UpdateFrom(t.Context(), read, func(inc *domain.Incident) error {
		calls++
		inc.Agent = "Eleni:" + inc.Title
		return nil
	})
	if err != nil || got.Agent != "Eleni:first" || got.Title != "first" || got.Version != read.Version+2 {
		t.Fatalf("UpdateFrom(stale) = %+v, %v", got, err)
	}
	if stored := mustGet(t, s, id); stored.Agent != "Eleni:first" || stored.Version != got.Version {
		t.Fatalf("stored %+v", stored)
	}
	before := mustGet(t, s, id)
	got, err = s.UpdateFrom(t.Context(), before, func(*domain.Incident) error { return store.ErrUnchanged })
	if err != nil || got.Version != before.Version {
		t.Fatalf("UpdateFrom(unchanged) = %+v, %v", got.Version, err)
	}
}

// Delete removes the incident and its listing entry; deleting again, or
// a missing incident, is not an error; the id can be created afresh.
func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, "inc_keep", t0)
	create(t, s, "inc_gone", t0.Add(time.Minute))
	if err := s.Delete(ctx, "inc_gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "inc_gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	list, err := s.List(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "inc_keep" {
		t.Fatalf("List after Delete: %d incidents", len(list))
	}
	if err := s.Delete(ctx, "inc_gone"); err != nil {
		t.Fatalf("Delete again: %v", err)
	}
	if err := s.Delete(ctx, "inc_never"); err != nil {
		t.Fatalf("Delete of a missing incident: %v", err)
	}
	if inc := create(t, s, "inc_gone", t0.Add(2*time.Minute)); inc.Version != 1 {
		t.Fatalf("re-created at version %d, want 1", inc.Version)
	}
}
