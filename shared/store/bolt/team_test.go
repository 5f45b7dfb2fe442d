package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// answered counts an incident's answers per provider and status: enough
// to show a change counted once, a changed incident moving its count, and
// a removed one taking it back.
func answered(before, after domain.Incident) []store.CountDelta {
	var out []store.CountDelta
	for _, d := range []struct {
		inc  domain.Incident
		sign int64
	}{{before, -1}, {after, 1}} {
		if d.inc.ID == "" {
			continue
		}
		out = append(out, store.CountDelta{Bucket: d.inc.Provider, Counts: store.Counts{
			"incidents":                      d.sign,
			"answers":                        d.sign * int64(len(d.inc.Answers)),
			"status|" + string(d.inc.Status): d.sign,
		}})
	}
	return out
}

// Inline counting applies f(before, after) in every incident write's own
// transaction: concurrent writes each count once, a write fn refuses
// counts nothing, and Delete and Expire take an incident's counts back.
func TestCountWith(t *testing.T) {
	s := openTemp(t)
	s.CountWith(answered)
	ctx := t.Context()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 3 {
				id := fmt.Sprintf("inc_%d", i)
				if _, err := s.Update(ctx, id, func(inc *domain.Incident) error {
					inc.ID, inc.Provider, inc.UpdatedAt = id, "calcom", t0.Add(time.Duration(i)*time.Hour)
					inc.Status = domain.StatusCompleted
					if inc.Answers == nil {
						inc.Answers = map[string]domain.Answer{}
					}
					inc.Answers[fmt.Sprint("w", w)] = domain.Answer{Survey: domain.SurveyCSAT, Score: 5}
					return nil
				}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	read := func() store.Counts {
		t.Helper()
		got, err := s.ReadCounts(ctx, []string{"calcom"})
		if err != nil {
			t.Fatal(err)
		}
		return got["calcom"]
	}
	want := store.Counts{"incidents": 3, "answers": 24, "status|completed": 3}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Fatalf("after 24 concurrent writes (-want +got):\n%s", diff)
	}
	if _, err := s.Update(ctx, "inc_0", func(*domain.Incident) error { return errors.New("no") }); err == nil {
		t.Fatal("a failing fn succeeded")
	}
	if _, err := s.Update(ctx, "inc_0", func(*domain.Incident) error { return store.ErrUnchanged }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "inc_0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateFrom(ctx, got, func(inc *domain.Incident) error {
		inc.Status = domain.StatusCancelled
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want = store.Counts{"incidents": 3, "answers": 24, "status|completed": 2, "status|cancelled": 1}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Fatalf("after a status change (-want +got):\n%s", diff)
	}
	if err := s.Delete(ctx, "inc_1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "inc_1"); err != nil {
		t.Fatal(err)
	}
	want = store.Counts{"incidents": 2, "answers": 16, "status|completed": 1, "status|cancelled": 1}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Fatalf("after a delete, twice (-want +got):\n%s", diff)
	}
	if n, _, err := s.Expire(ctx, t0.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want inc_0 gone", n, err)
	}
	want = store.Counts{"incidents": 1, "answers": 8, "status|completed": 1, "status|cancelled": 0}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Fatalf("after expiry (-want +got):\n%s", diff)
	}
}

// A counting function that produces too many buckets fails the write it
// counts: nothing of it is stored.
func TestCountWithRefusesTooMany(t *testing.T) {
	s := openTemp(t)
	s.CountWith(func(_, after domain.Incident) []store.CountDelta {
		out := make([]store.CountDelta, store.MaxCountDeltas+1)
		for i := range out {
			out[i] = store.CountDelta{Bucket: fmt.Sprint(i), Counts: store.Counts{"n": 1}}
		}
		return out
	})
	if _, err := s.Update(t.Context(), "inc_x", func(inc *domain.Incident) error { inc.ID = "inc_x"; return nil }); err == nil {
		t.Fatal("a write whose counting failed succeeded")
	}
	if _, err := s.Get(t.Context(), "inc_x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get: %v, want the write rolled back", err)
	}
}

// A file written before the attention queue existed gets it filled at
// open, so nothing already waiting drops out of the team's view.
func TestAttentionIndexBuiltOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	for i, att := range []*domain.Attention{{Since: since.Add(time.Hour)}, nil, {Since: since}} {
		id := fmt.Sprint("inc_", i)
		if _, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			inc.ID, inc.Attention = id, att
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// As an older release left the file.
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(attentionBucket) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	queue, err := s.NeedingAttention(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inc := range queue {
		ids = append(ids, inc.ID)
	}
	if diff := cmp.Diff([]string{"inc_2", "inc_0"}, ids); diff != "" {
		t.Errorf("queue after reopening (-want +got):\n%s", diff)
	}
}

// ExpireEphemera deletes what expired at the given time and keeps the
// rest; Expire forgets change ids older than ChangeMemory, after which the
// same id counts again.
func TestExpireEphemeraAndChanges(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	for key, expires := range map[string]time.Time{"gone": now.Add(-time.Second), "due": now, "kept": now.Add(time.Hour)} {
		if err := s.PutEphemeral(ctx, key, []byte(key), expires); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.ExpireEphemera(ctx, now); err != nil || n != 2 {
		t.Fatalf("ExpireEphemera = %d, %v; want 2", n, err)
	}
	if _, err := s.GetEphemeral(ctx, "kept", now); err != nil {
		t.Errorf("kept: %v", err)
	}

	add := func(change string) {
		t.Helper()
		if err := s.AddCounts(ctx, change, []store.CountDelta{{Bucket: "b", Counts: store.Counts{"n": 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	add("old#1")
	add("new#1")
	// Age old#1's stamp past the memory.
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(changesBucket).Put([]byte("old#1"), updatedKey(time.Now().Add(-ChangeMemory-time.Minute), ""))
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Expire(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	add("old#1")
	add("new#1")
	got, err := s.ReadCounts(ctx, []string{"b"})
	if err != nil || got["b"]["n"] != 3 {
		t.Fatalf("counts = %v, %v; want 3 (old#1 forgotten and counted again, new#1 remembered)", got, err)
	}
}

// BenchmarkUpdateCounting times an incident write with and without inline
// counting (a few buckets read, summed and rewritten in the same
// transaction), and an AddCounts of five buckets.
func BenchmarkUpdateCounting(b *testing.B) {
	for _, counting := range []bool{false, true} {
		b.Run(fmt.Sprint("counting=", counting), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "incidents.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if counting {
				s.CountWith(answered)
			}
			t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			for i := range b.N {
				id := fmt.Sprint("inc_", i%50)
				if _, err := s.Update(b.Context(), id, func(inc *domain.Incident) error {
					inc.ID, inc.Provider, inc.UpdatedAt = id, "calcom", t0.Add(time.Duration(i)*time.Second)
					inc.Status = domain.StatusCompleted
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("AddCounts", func(b *testing.B) {
		s, err := Open(filepath.Join(b.TempDir(), "incidents.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		deltas := make([]store.CountDelta, 5)
		for i := range deltas {
			deltas[i] = store.CountDelta{Bucket: fmt.Sprint("2026-11|provider:p", i), Counts: store.Counts{"csat_n": 1, "csat_sum": 4}}
		}
		for i := range b.N {
			if err := s.AddCounts(b.Context(), fmt.Sprint("inc#", i), deltas); err != nil {
				b.Fatal(err)
			}
		}
	})
}
