package local_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/schedule/local"
)

func TestListAfterPages(t *testing.T) {
	clk := clock.NewFrozen(t0)
	s := open(t, tempPath(t), clk, func(context.Context, schedule.Fire) error { return errors.New("down") })
	// Three fire at the same instant: the cursor must tell them apart.
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("s%d", i)
		mustCreate(t, s, sched(name, t0.Add(time.Duration(min(i, 4))*time.Minute)))
		want = append(want, name)
	}
	if got := s.Count(); got != 7 {
		t.Errorf("Count = %d, want 7", got)
	}
	for _, limit := range []int{1, 2, 3, 7, 8} {
		var got []string
		var cur local.Cursor
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: no end", limit)
			}
			parsed, err := local.ParseCursor(cur.String())
			if err != nil || !parsed.At.Equal(cur.At) || parsed.Name != cur.Name {
				t.Fatalf("ParseCursor(%q) = %+v, %v; want %+v", cur.String(), parsed, err, cur)
			}
			page, next, err := s.ListAfter(parsed, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			for _, e := range page {
				got = append(got, e.Name)
			}
			if next.IsZero() {
				break
			}
			cur = next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: pages (-want +got):\n%s", limit, diff)
		}
	}
	// An RFC 3339 time lists what fires at or after it.
	c, err := local.ParseCursor(t0.Add(4 * time.Minute).Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := s.ListAfter(c, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 {
		t.Errorf("at or after t0+4m: %d schedules, want 3", len(page))
	}

	// A failed fire moves the schedule to its retry time; deleting and
	// dead-lettering keep the count.
	clk.Advance(2 * time.Minute)
	if _, err := s.RunNow(t.Context(), "s0"); err != nil {
		t.Fatal(err)
	}
	first, _, err := s.ListAfter(local.Cursor{}, 1)
	if err != nil || len(first) != 1 || first[0].Name != "s1" {
		t.Errorf("after a failure, first = %+v, %v; want s1 (s0 retries later)", first, err)
	}
	if err := s.Delete(t.Context(), "s1"); err != nil {
		t.Fatal(err)
	}
	for range local.MaxAttempts {
		clk.Advance(time.Hour)
		if _, err := s.RunNow(t.Context(), "s2"); err != nil && !errors.Is(err, local.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if got, all := s.Count(), len(listNames(t, s)); got != 5 || all != 5 {
		t.Errorf("Count = %d, List has %d; want 5", got, all)
	}
}

func TestCountSurvivesRestart(t *testing.T) {
	path := tempPath(t)
	s, err := local.Open(path, clock.NewFrozen(t0), func(context.Context, schedule.Fire) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, sched("a", t0), sched("b", t0), sched("a", t0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, clock.NewFrozen(t0), func(context.Context, schedule.Fire) error { return nil })
	if got := s.Count(); got != 2 {
		t.Errorf("Count after restart = %d, want 2", got)
	}
}

// TestRunDueFiresConcurrently checks that RunDue overlaps fires (so their
// commits can group) but never more than FireWorkers, and that a target
// writing to the scheduler from inside a fire, as dispatch does, works.
func TestRunDueFiresConcurrently(t *testing.T) {
	var (
		running, peak atomic.Int32
		s             *local.Scheduler
		mu            sync.Mutex
		seen          = map[string]int{}
	)
	target := func(ctx context.Context, f schedule.Fire) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		mu.Lock()
		seen[f.Schedule]++
		mu.Unlock()
		// A guard for later, then its deletion: two grouped writes.
		guard := sched(f.Schedule+".guard", t0.Add(24*time.Hour))
		if err := s.Create(ctx, guard); err != nil {
			return err
		}
		time.Sleep(2 * time.Millisecond)
		return s.Delete(ctx, guard.Name)
	}
	s = open(t, tempPath(t), clock.NewFrozen(t0), target)
	const n = 64
	var want []string
	for i := range n {
		name := fmt.Sprintf("s%02d", i)
		want = append(want, name)
		mustCreate(t, s, sched(name, t0.Add(time.Duration(i)*time.Second)))
	}
	results, err := s.RunDue(t.Context(), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Schedule.Name, r.Err)
		}
		got = append(got, r.Schedule.Name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results not oldest first (-want +got):\n%s", diff)
	}
	if p := peak.Load(); p < 2 || p > local.FireWorkers {
		t.Errorf("peak concurrency %d, want 2..%d", p, local.FireWorkers)
	}
	for _, name := range want {
		if seen[name] != 1 {
			t.Errorf("%s fired %d times", name, seen[name])
		}
	}
	if left := s.Count(); left != 0 {
		t.Errorf("%d schedules left: %v", left, listNames(t, s))
	}
}
