package bolt

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "incidents.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestTeamContract(t *testing.T) {
	storetest.RunTeam(t, func(t *testing.T) store.Team { return openTemp(t) })
}

func put(t *testing.T, s store.Store, id string, updated time.Time) domain.Incident {
	t.Helper()
	inc, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
		inc.ID, inc.UpdatedAt = id, updated
		inc.Customer.Name = "Νίκος"
		return nil
	})
	if err != nil {
		t.Fatalf("Update(%s): %v", id, err)
	}
	return inc
}

func TestReopenPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	a := put(t, s, "inc_a", t0)
	b := put(t, s, "inc_b", t0.Add(time.Hour))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.Get(t.Context(), "inc_a")
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("incident after reopen (-want +got):\n%s", diff)
	}
	list, err := s.List(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]domain.Incident{b, a}, list); diff != "" {
		t.Errorf("List after reopen (-want +got):\n%s", diff)
	}
	if again := put(t, s, "inc_a", t0.Add(2*time.Hour)); again.Version != 2 {
		t.Errorf("Version after reopen and write = %d, want 2", again.Version)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	old := lockTimeout
	lockTimeout = 50 * time.Millisecond
	defer func() { lockTimeout = old }()

	path := filepath.Join(t.TempDir(), "incidents.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	second, err := Open(path)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("second Open error = %q, want it to say the file is locked", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("second Open took %v, want about the lock timeout", waited)
	}
}

func TestCorruptRecordNamesID(t *testing.T) {
	s := openTemp(t)
	put(t, s, "inc_good", time.Unix(100, 0).UTC())
	put(t, s, "inc_bad", time.Unix(200, 0).UTC())
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(incidentsBucket).Put([]byte("inc_bad"), []byte(`{"id": "inc_bad", "version": "x`))
	})
	if err != nil {
		t.Fatal(err)
	}

	check := func(op string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s of a corrupt record succeeded", op)
		}
		if errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"inc_bad"`) || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s error = %q, want it to name inc_bad as corrupt", op, err)
		}
	}
	_, err = s.Get(t.Context(), "inc_bad")
	check("Get", err)
	called := false
	_, err = s.Update(t.Context(), "inc_bad", func(*domain.Incident) error { called = true; return nil })
	check("Update", err)
	if called {
		t.Error("Update called fn on a corrupt record")
	}
	_, err = s.List(t.Context(), 10)
	check("List", err)
	if _, err := s.Get(t.Context(), "inc_good"); err != nil {
		t.Errorf("Get of a good record next to a corrupt one: %v", err)
	}
}

func TestUpdatedKeyOrder(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := updatedKey(times[i-1], "z"), updatedKey(times[i], "a")
		if string(a) >= string(b) {
			t.Errorf("key(%v) >= key(%v)", times[i-1], times[i])
		}
	}
}

// BenchmarkRecordSend times the one window no adapter can close: between
// a provider accepting a message and the store recording it (MarkSent), a
// crash sends the message again when the claim's lease ends (SMTP and SES
// get the same Message-ID; the outbox dedupes). Locally the window is one
// bbolt commit with its fsync, on a realistically sized incident.
func BenchmarkRecordSend(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "incidents.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := b.Context()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	lease := domain.DefaultClaimLease
	b.StopTimer()
	for i := range b.N {
		id := "inc_" + strings.Repeat("x", 4) + string(rune('a'+i%26)) + time.Duration(i).String()
		if _, err := s.Update(ctx, id, func(inc *domain.Incident) error {
			inc.ID, inc.Kind, inc.Status = id, domain.KindBooking, domain.StatusCompleted
			inc.Customer = domain.Customer{Email: "maria@example.com", Name: "María Pérez", TimeZone: "Europe/Madrid"}
			for j := range 12 {
				inc.Record(now, domain.EntryEvent, "", strings.Repeat("booking.completed ", 1+j%3))
			}
			return inc.Claim("thanks-1", lease, now)
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Update(ctx, id, func(inc *domain.Incident) error {
			inc.MarkSent("thanks-1", "<thanks-1."+id+"@example.com>", now)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
}
