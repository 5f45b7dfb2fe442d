package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// RunTeam runs the contract of the team's side of a store (store.Ephemera,
// store.Counters, store.Pager) against fresh stores from open, as Run
// does for store.Store. Both adapters must pass it, so that the dashboard
// behaves the same on a laptop and on AWS.
func RunTeam(t *testing.T, open func(t *testing.T) store.Team) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Team)
	}{
		{"EphemeralExpiry", testEphemeralExpiry},
		{"EphemeralExists", testEphemeralExists},
		{"EphemeralTakeOnce", testEphemeralTakeOnce},
		{"EphemeralCount", testEphemeralCount},
		{"CountsOncePerChange", testCountsOnce},
		{"CountsConcurrentDuplicates", testCountsConcurrent},
		{"CountsManyBuckets", testCountsMany},
		{"PageAll", testPageAll},
		{"NeedingAttention", testNeedingAttention},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// ephemeral keys as callers make them: a prefix, a separator, and a value
// that may be any string (a hashed token, an address's hash).
const (
	ephKey  = "session|Ωμέγα#ñ/1"
	ephKey2 = "signin|token#2"
)

func mustGetEphemeral(t *testing.T, s store.Ephemera, key string, now time.Time) string {
	t.Helper()
	v, err := s.GetEphemeral(t.Context(), key, now)
	if err != nil {
		t.Fatalf("GetEphemeral(%q, %v): %v", key, now, err)
	}
	return string(v)
}

func assertNoEphemeral(t *testing.T, s store.Ephemera, key string, now time.Time) {
	t.Helper()
	if v, err := s.GetEphemeral(t.Context(), key, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetEphemeral(%q, %v) = %q, %v; want ErrNotFound", key, now, v, err)
	}
}

// An ephemeral record is there until its expiry and missing from then on,
// whether or not the adapter has deleted it yet; Delete removes it, and
// deleting a missing key is no error.
func testEphemeralExpiry(t *testing.T, s store.Team) {
	ctx := t.Context()
	now := time.Now()
	expires := now.Add(time.Hour)
	value := []byte("v\x00\xffΩ")
	if err := s.PutEphemeral(ctx, ephKey, value, expires); err != nil {
		t.Fatalf("PutEphemeral: %v", err)
	}
	if got := mustGetEphemeral(t, s, ephKey, now); got != string(value) {
		t.Errorf("GetEphemeral = %q, want %q", got, value)
	}
	if got := mustGetEphemeral(t, s, ephKey, expires.Add(-time.Millisecond)); got != string(value) {
		t.Errorf("GetEphemeral just before expiry = %q, want %q", got, value)
	}
	assertNoEphemeral(t, s, ephKey, expires)
	assertNoEphemeral(t, s, ephKey, expires.Add(time.Hour))
	if _, err := s.TakeEphemeral(ctx, ephKey, expires.Add(time.Second)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TakeEphemeral after expiry: %v, want ErrNotFound", err)
	}
	assertNoEphemeral(t, s, ephKey2, now)

	if err := s.DeleteEphemeral(ctx, ephKey); err != nil {
		t.Fatalf("DeleteEphemeral: %v", err)
	}
	assertNoEphemeral(t, s, ephKey, now)
	if err := s.DeleteEphemeral(ctx, ephKey); err != nil {
		t.Errorf("DeleteEphemeral of a missing key: %v", err)
	}
}

// A held key cannot be put again; an expired one can, and holds the new
// value and expiry.
func testEphemeralExists(t *testing.T, s store.Team) {
	ctx := t.Context()
	now := time.Now()
	if err := s.PutEphemeral(ctx, ephKey, []byte("first"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEphemeral(ctx, ephKey, []byte("second"), now.Add(2*time.Hour)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("PutEphemeral over a held key: %v, want ErrExists", err)
	}
	if got := mustGetEphemeral(t, s, ephKey, now); got != "first" {
		t.Errorf("value after a refused put = %q, want first", got)
	}

	// Expired a second ago (by the adapter's clock too): free to take.
	if err := s.PutEphemeral(ctx, ephKey2, []byte("old"), now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEphemeral(ctx, ephKey2, []byte("new"), now.Add(time.Hour)); err != nil {
		t.Fatalf("PutEphemeral over an expired key: %v", err)
	}
	if got := mustGetEphemeral(t, s, ephKey2, now); got != "new" {
		t.Errorf("value = %q, want new", got)
	}
}

// Of racing takers of one token exactly one gets it, and then it is gone.
func testEphemeralTakeOnce(t *testing.T, s store.Team) {
	ctx := t.Context()
	now := time.Now()
	for round := range 3 {
		key := fmt.Sprintf("%s-%d", ephKey, round)
		if err := s.PutEphemeral(ctx, key, []byte("token"), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			won    int
			others []error
		)
		for range writers {
			wg.Go(func() {
				v, err := s.TakeEphemeral(ctx, key, now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && string(v) == "token":
					won++
				case errors.Is(err, store.ErrNotFound):
				default:
					others = append(others, fmt.Errorf("TakeEphemeral = %q, %w", v, err))
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("round %d: %d of %d takers got the token, want exactly 1", round, won, writers)
		}
		for _, err := range others {
			t.Error(err)
		}
		assertNoEphemeral(t, s, key, now)
	}
}

// A counter counts 1, 2, 3 within its window, concurrent counts each get a
// distinct number, and once the window expired it starts again at 1 with
// the new expiry.
func testEphemeralCount(t *testing.T, s store.Team) {
	ctx := t.Context()
	now := time.Now()
	window := now.Add(time.Minute)
	for want := 1; want <= 3; want++ {
		n, err := s.CountEphemeral(ctx, ephKey, window, now.Add(time.Duration(want)*time.Second))
		if err != nil || n != want {
			t.Fatalf("CountEphemeral #%d = %d, %v; want %d", want, n, err, want)
		}
	}
	// The expiry of a running window is the first count's: a later count
	// naming a later expiry does not stretch it.
	if n, err := s.CountEphemeral(ctx, ephKey, window.Add(time.Hour), now.Add(4*time.Second)); err != nil || n != 4 {
		t.Fatalf("CountEphemeral #4 = %d, %v; want 4", n, err)
	}
	next := window.Add(time.Minute)
	if n, err := s.CountEphemeral(ctx, ephKey, next, window); err != nil || n != 1 {
		t.Fatalf("CountEphemeral at the window's expiry = %d, %v; want a new window at 1", n, err)
	}
	if n, err := s.CountEphemeral(ctx, ephKey, next.Add(time.Hour), window.Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("CountEphemeral in the new window = %d, %v; want 2", n, err)
	}
	if n, err := s.CountEphemeral(ctx, ephKey, next.Add(time.Minute), next); err != nil || n != 1 {
		t.Fatalf("CountEphemeral after the new window = %d, %v; want 1 (it expired at %v, not later)", n, err, next)
	}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen []int
	)
	for range writers {
		wg.Go(func() {
			n, err := s.CountEphemeral(ctx, ephKey2, window, now)
			if err != nil {
				t.Errorf("concurrent CountEphemeral: %v", err)
				return
			}
			mu.Lock()
			seen = append(seen, n)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(seen)
	want := make([]int, writers)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(seen, want) {
		t.Errorf("concurrent counts = %v, want %v", seen, want)
	}
}

func readCounts(t *testing.T, s store.Counters, buckets ...string) map[string]store.Counts {
	t.Helper()
	got, err := s.ReadCounts(t.Context(), buckets)
	if err != nil {
		t.Fatalf("ReadCounts: %v", err)
	}
	return got
}

// A change counts once however often it is applied; negative deltas take
// back, a bucket never counted is absent, and deltas on one bucket add up.
func testCountsOnce(t *testing.T, s store.Team) {
	ctx := t.Context()
	week := "2025-W23|calcom"
	month := "2025-06|agent:José Ñúñez"
	first := []store.CountDelta{
		{Bucket: week, Counts: store.Counts{"csat_n": 1, "csat_sum|4-5": 5, "sent": 2}},
		{Bucket: month, Counts: store.Counts{"csat_n": 1}},
		{Bucket: month, Counts: store.Counts{"csat_n": 1, "nps.promoters": 1}},
	}
	for range 3 {
		if err := s.AddCounts(ctx, "inc_a#2", first); err != nil {
			t.Fatalf("AddCounts: %v", err)
		}
	}
	want := map[string]store.Counts{
		week:  {"csat_n": 1, "csat_sum|4-5": 5, "sent": 2},
		month: {"csat_n": 2, "nps.promoters": 1},
	}
	if diff := cmp.Diff(want, readCounts(t, s, week, month, "2024-W01|never")); diff != "" {
		t.Errorf("after one change applied three times (-want +got):\n%s", diff)
	}
	// The incident changed again: its old contribution is taken back.
	if err := s.AddCounts(ctx, "inc_a#3", []store.CountDelta{{Bucket: week, Counts: store.Counts{"csat_n": -1, "csat_sum|4-5": -5, "sent": 1}}}); err != nil {
		t.Fatalf("AddCounts with negative deltas: %v", err)
	}
	want[week] = store.Counts{"csat_n": 0, "csat_sum|4-5": 0, "sent": 3}
	if diff := cmp.Diff(want, readCounts(t, s, week, month)); diff != "" {
		t.Errorf("after a negative change (-want +got):\n%s", diff)
	}
	if got := readCounts(t, s); len(got) != 0 {
		t.Errorf("ReadCounts of no buckets = %v", got)
	}
	if err := s.AddCounts(ctx, "inc_a#4", nil); err != nil {
		t.Errorf("AddCounts with no deltas: %v", err)
	}
	too := make([]store.CountDelta, store.MaxCountDeltas+1)
	for i := range too {
		too[i] = store.CountDelta{Bucket: fmt.Sprint("b", i), Counts: store.Counts{"n": 1}}
	}
	if err := s.AddCounts(ctx, "inc_a#5", too); err == nil {
		t.Error("AddCounts of more than MaxCountDeltas buckets succeeded")
	}
	if got := readCounts(t, s, "b0"); len(got) != 0 {
		t.Errorf("a refused change counted: %v", got)
	}
}

// Duplicates of one change racing each other (a batch redelivered while
// the first delivery still runs) count once; distinct changes all count.
func testCountsConcurrent(t *testing.T, s store.Team) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for change := range 3 {
				deltas := []store.CountDelta{
					{Bucket: "dup", Counts: store.Counts{"n": 1}},
					{Bucket: "dup2", Counts: store.Counts{"n": 10}},
				}
				if err := s.AddCounts(ctx, fmt.Sprint("inc_dup#", change), deltas); err != nil {
					t.Errorf("writer %d: AddCounts: %v", w, err)
				}
			}
			if err := s.AddCounts(ctx, fmt.Sprint("inc_w", w, "#1"), []store.CountDelta{{Bucket: "distinct", Counts: store.Counts{"n": 1}}}); err != nil {
				t.Errorf("writer %d: AddCounts: %v", w, err)
			}
		})
	}
	wg.Wait()
	want := map[string]store.Counts{"dup": {"n": 3}, "dup2": {"n": 30}, "distinct": {"n": writers}}
	if diff := cmp.Diff(want, readCounts(t, s, "dup", "dup2", "distinct")); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// A change may touch up to MaxCountDeltas buckets, and a report reads more
// buckets than one request of the adapter's carries.
func testCountsMany(t *testing.T, s store.Team) {
	ctx := t.Context()
	var deltas []store.CountDelta
	want := map[string]store.Counts{}
	for i := range store.MaxCountDeltas {
		b := fmt.Sprintf("2025-%03d|provider:p%d", i, i%7)
		c := store.Counts{"n": int64(i + 1), fmt.Sprintf("score|%d", i%5): -int64(i)}
		deltas = append(deltas, store.CountDelta{Bucket: b, Counts: c})
		want[b] = store.Counts{"n": int64(i + 1)}
		if i > 0 { // a zero delta makes no counter
			want[b][fmt.Sprintf("score|%d", i%5)] = -int64(i)
		}
	}
	if err := s.AddCounts(ctx, "inc_many#1", deltas); err != nil {
		t.Fatalf("AddCounts of %d buckets: %v", len(deltas), err)
	}
	var buckets []string
	for b := range want {
		buckets = append(buckets, b)
	}
	for i := range 150 {
		buckets = append(buckets, fmt.Sprint("absent-", i))
	}
	if diff := cmp.Diff(want, readCounts(t, s, buckets...)); diff != "" {
		t.Errorf("ReadCounts of %d buckets (-want +got):\n%s", len(buckets), diff)
	}
}

// Paging from the start to the end returns every incident exactly once,
// most recently updated first, and ends with the empty cursor; an empty
// store has one empty page. The incidents are an hour apart: an adapter
// may order by UpdatedAt to the hour (DynamoDB's listing index does).
func testPageAll(t *testing.T, s store.Team) {
	ctx := t.Context()
	if page, next, err := s.Page(ctx, "", 5); err != nil || len(page) != 0 || next != "" {
		t.Fatalf("Page of an empty store = %d incidents, %q, %v", len(page), next, err)
	}
	const n = 23
	var want []string
	for i := range n {
		id := fmt.Sprintf("inc_page_%02d", (i*7)%n) // ids not in time order
		create(t, s, id, t0.Add(time.Duration(i)*time.Hour))
		want = append(want, id)
	}
	slices.Reverse(want)
	for _, limit := range []int{1, 5, 8, n, n + 1} {
		var got []string
		var cur store.Cursor
		for pages := 0; ; pages++ {
			if pages > n+1 {
				t.Fatalf("limit %d: paging does not end", limit)
			}
			page, next, err := s.Page(ctx, cur, limit)
			if err != nil {
				t.Fatalf("limit %d: Page(%q): %v", limit, cur, err)
			}
			if len(page) > limit || (next != "" && len(page) != limit) {
				t.Fatalf("limit %d: a page of %d with next %q", limit, len(page), next)
			}
			for _, inc := range page {
				got = append(got, inc.ID)
			}
			if next == "" {
				break
			}
			cur = next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: paged ids (-want +got):\n%s", limit, diff)
		}
	}
	if page, _, err := s.Page(ctx, "", 0); err != nil || len(page) != 0 {
		t.Errorf("Page with limit 0 = %d incidents, %v", len(page), err)
	}
	if _, _, err := s.Page(ctx, "not a cursor!", 5); err == nil {
		t.Error("Page with a malformed cursor succeeded")
	}
}

// The attention queue holds what waits for the team, oldest attention
// first; handling, clearing or deleting takes an incident out of it, and
// any other write keeps it in.
func testNeedingAttention(t *testing.T, s store.Team) {
	ctx := t.Context()
	set := func(id string, fn func(inc *domain.Incident)) {
		t.Helper()
		if _, err := s.Update(ctx, id, func(inc *domain.Incident) error {
			if inc.ID == "" {
				inc.ID, inc.Provider, inc.Ref = id, "test", id
				inc.CreatedAt = t0
			}
			inc.UpdatedAt = inc.UpdatedAt.Add(time.Minute)
			fn(inc)
			return nil
		}); err != nil {
			t.Fatalf("Update(%s): %v", id, err)
		}
	}
	attention := func(since time.Duration) func(inc *domain.Incident) {
		return func(inc *domain.Incident) { inc.Attention = &domain.Attention{Since: t0.Add(since), Episode: 1} }
	}
	queue := func(limit int) []string {
		t.Helper()
		incs, err := s.NeedingAttention(ctx, limit)
		if err != nil {
			t.Fatalf("NeedingAttention: %v", err)
		}
		var ids []string
		for _, inc := range incs {
			if !inc.NeedsTeam() {
				t.Errorf("%s is queued but does not need the team", inc.ID)
			}
			ids = append(ids, inc.ID)
		}
		return ids
	}
	if got := queue(10); len(got) != 0 {
		t.Fatalf("queue of an empty store = %v", got)
	}
	set("inc_att_c", attention(3*time.Hour))
	set("inc_att_a", attention(time.Hour))
	set("inc_att_d", attention(4*time.Hour+time.Nanosecond))
	set("inc_att_b", attention(2*time.Hour))
	set("inc_att_calm", func(*domain.Incident) {})
	set("inc_att_handled", func(inc *domain.Incident) {
		attention(0)(inc)
		handled(inc, t0.Add(time.Hour))
	})
	if diff := cmp.Diff([]string{"inc_att_a", "inc_att_b", "inc_att_c", "inc_att_d"}, queue(10)); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"inc_att_a", "inc_att_b"}, queue(2)); diff != "" {
		t.Errorf("queue, limit 2 (-want +got):\n%s", diff)
	}

	set("inc_att_b", func(inc *domain.Incident) { handled(inc, t0.Add(5*time.Hour)) })
	set("inc_att_c", func(inc *domain.Incident) { inc.Attention = nil })
	set("inc_att_d", func(inc *domain.Incident) { inc.Title = "still waiting" })
	if err := s.Delete(ctx, "inc_att_a"); err != nil {
		t.Fatal(err)
	}
	// A new episode on a handled incident queues it again, at its new time.
	set("inc_att_handled", func(inc *domain.Incident) {
		inc.Attention = &domain.Attention{Since: t0.Add(10 * time.Hour), Episode: inc.Attention.Episode + 1}
	})
	if diff := cmp.Diff([]string{"inc_att_d", "inc_att_handled"}, queue(10)); diff != "" {
		t.Errorf("queue after handling, clearing and deleting (-want +got):\n%s", diff)
	}
	if got := queue(0); len(got) != 0 {
		t.Errorf("queue with limit 0 = %v", got)
	}
}

// handled marks the incident's attention episode handled at, as the
// team's "handled" action records it.
func handled(inc *domain.Incident, at time.Time) {
	inc.Team = &domain.Handling{Handled: []domain.HandledEpisode{{Episode: inc.Attention.Episode, AlertedAt: inc.Attention.Since, At: at, By: "ana@seabreeze.example"}}}
}
