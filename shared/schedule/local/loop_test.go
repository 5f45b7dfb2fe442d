package local_test

import (
	"context"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/schedule/local"
)

// TestLoopFollowsTheClock is the one slow test: the loop notices a clock
// jump only by polling (once a second).
func TestLoopFollowsTheClock(t *testing.T) {
	clk := clock.NewFrozen(t0)
	rec := &recorder{}
	s := open(t, tempPath(t), clk, rec.target)
	mustCreate(t, s, sched("in-an-hour", t0.Add(time.Hour)))
	s.Start(t.Context())

	time.Sleep(100 * time.Millisecond)
	if n := rec.count("in-an-hour"); n != 0 {
		t.Fatalf("fired %d times before its time", n)
	}
	clk.Advance(time.Hour)
	waitFor(t, 3*time.Second, func() bool { return rec.count("in-an-hour") == 1 })

	// A schedule created due now wakes the loop rather than waiting for
	// the next poll.
	start := time.Now()
	mustCreate(t, s, sched("due-now", clk.Now()))
	waitFor(t, 3*time.Second, func() bool { return rec.count("due-now") == 1 })
	if took := time.Since(start); took > 800*time.Millisecond {
		t.Errorf("a schedule created due now fired after %v; Create should wake the loop", took)
	}
	if n := rec.count("in-an-hour"); n != 1 {
		t.Errorf("fired %d times, want once", n)
	}
}

// TestCloseStopsLoopMidFire: Close cancels the fire in progress and waits
// for it; a fire cut short by shutdown is not counted as a failed attempt.
func TestCloseStopsLoopMidFire(t *testing.T) {
	path := tempPath(t)
	clk := clock.NewFrozen(t0)
	entered := make(chan struct{})
	target := func(ctx context.Context, _ schedule.Fire) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}
	s, err := local.Open(path, clk, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, sched("slow", t0))
	s.Start(t.Context())
	<-entered

	closed := make(chan error)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not return")
	}

	s = open(t, path, clk, (&recorder{}).target)
	entries, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Attempts != 0 || !entries[0].NextTry.IsZero() {
		t.Errorf("after a shutdown mid-fire: %+v, want the schedule untouched", entries)
	}
}
