package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/schedule/local"
)

func TestRunDueFiresDueOldestFirst(t *testing.T) {
	rec := &recorder{}
	s := open(t, tempPath(t), clock.NewFrozen(t0), rec.target)
	mustCreate(t, s,
		sched("a", t0.Add(2*time.Minute)),
		sched("b", t0.Add(1*time.Minute)),
		sched("c", t0.Add(10*time.Minute)),
	)
	results, err := s.RunDue(t.Context(), t0.Add(5*time.Minute))
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	var fired []string
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Schedule.Name, r.Err)
		}
		fired = append(fired, r.Schedule.Name)
	}
	if diff := cmp.Diff([]string{"b", "a"}, fired); diff != "" {
		t.Errorf("RunDue results (-want +got):\n%s", diff)
	}
	// Due schedules fire concurrently (FireWorkers), so the target may see
	// them in any order; the results above are oldest first.
	wantFire := schedule.Fire{IncidentID: "inc_b", Step: "c1.csat", Schedule: "b"}
	var gotFire schedule.Fire
	for _, f := range rec.fires {
		if f.Schedule == "b" {
			gotFire = f
		}
	}
	if diff := cmp.Diff(wantFire, gotFire); diff != "" {
		t.Errorf("target input (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c"}, listNames(t, s)); diff != "" {
		t.Errorf("fired schedules were not deleted (-want +got):\n%s", diff)
	}
}

func TestFailureBacksOffThenDeadLetters(t *testing.T) {
	clk := clock.NewFrozen(t0)
	rec := &recorder{fail: func(schedule.Fire) error { return errors.New("SES throttled") }}
	s := open(t, tempPath(t), clk, rec.target)
	mustCreate(t, s, sched("flaky", t0))

	wantBackoff := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	if len(wantBackoff) != local.MaxAttempts-1 {
		t.Fatalf("test expects %d attempts, package has %d", len(wantBackoff)+1, local.MaxAttempts)
	}
	for attempt := 1; attempt <= local.MaxAttempts; attempt++ {
		results, err := s.RunDue(t.Context(), clk.Now())
		if err != nil {
			t.Fatalf("attempt %d: RunDue: %v", attempt, err)
		}
		if len(results) != 1 {
			t.Fatalf("attempt %d: %d results, want 1", attempt, len(results))
		}
		r := results[0]
		last := attempt == local.MaxAttempts
		if r.Err == nil || r.Error != "SES throttled" || r.Attempts != attempt || r.DeadLettered != last {
			t.Fatalf("attempt %d: result %+v", attempt, r)
		}
		if last {
			break
		}
		entries, err := s.List()
		if err != nil || len(entries) != 1 {
			t.Fatalf("attempt %d: List = %v, %v; want the schedule kept", attempt, entries, err)
		}
		e := entries[0]
		backoff := wantBackoff[attempt-1]
		if e.Attempts != attempt || e.LastError != "SES throttled" || !e.NextTry.Equal(clk.Now().Add(backoff)) {
			t.Fatalf("attempt %d: entry %+v, want NextTry now+%v", attempt, e, backoff)
		}
		if again, _ := s.RunDue(t.Context(), clk.Now().Add(backoff-time.Second)); len(again) != 0 {
			t.Fatalf("attempt %d: retried before its backoff: %+v", attempt, again)
		}
		clk.Advance(backoff)
	}

	if names := listNames(t, s); len(names) != 0 {
		t.Errorf("dead-lettered schedule still pending: %v", names)
	}
	dead, err := s.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Name != "flaky" || dead[0].Attempts != local.MaxAttempts ||
		dead[0].LastError != "SES throttled" || !dead[0].DeadAt.Equal(clk.Now()) {
		t.Errorf("DeadLetters = %+v", dead)
	}
	if n := rec.count("flaky"); n != local.MaxAttempts {
		t.Errorf("target called %d times, want %d", n, local.MaxAttempts)
	}
}

func TestFailureThenSuccess(t *testing.T) {
	clk := clock.NewFrozen(t0)
	calls := 0
	rec := &recorder{fail: func(schedule.Fire) error {
		calls++
		if calls == 1 {
			return errors.New("temporary")
		}
		return nil
	}}
	s := open(t, tempPath(t), clk, rec.target)
	mustCreate(t, s, sched("a", t0))
	if _, err := s.RunDue(t.Context(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(local.Backoff(1))
	results, err := s.RunDue(t.Context(), clk.Now())
	if err != nil || len(results) != 1 || results[0].Err != nil {
		t.Fatalf("retry: %+v, %v; want one success", results, err)
	}
	if names := listNames(t, s); len(names) != 0 {
		t.Errorf("schedule kept after a successful retry: %v", names)
	}
	if dead, _ := s.DeadLetters(); len(dead) != 0 {
		t.Errorf("dead letters after a successful retry: %+v", dead)
	}
}

func TestRunNow(t *testing.T) {
	rec := &recorder{}
	s := open(t, tempPath(t), clock.NewFrozen(t0), rec.target)
	mustCreate(t, s, sched("next-week", t0.Add(7*24*time.Hour)))

	r, err := s.RunNow(t.Context(), "next-week")
	if err != nil || r.Err != nil || r.Schedule.Name != "next-week" {
		t.Fatalf("RunNow = %+v, %v", r, err)
	}
	if n := rec.count("next-week"); n != 1 {
		t.Errorf("target called %d times, want 1", n)
	}
	if names := listNames(t, s); len(names) != 0 {
		t.Errorf("schedule kept after RunNow: %v", names)
	}
	if _, err := s.RunNow(t.Context(), "next-week"); !errors.Is(err, local.ErrNotFound) {
		t.Errorf("RunNow of a fired schedule: %v, want ErrNotFound", err)
	}
	if _, err := s.RunNow(t.Context(), "never-created"); !errors.Is(err, local.ErrNotFound) {
		t.Errorf("RunNow(unknown) = %v, want ErrNotFound", err)
	}
}

func TestPanickingTargetIsAFailure(t *testing.T) {
	s := open(t, tempPath(t), clock.NewFrozen(t0), func(context.Context, schedule.Fire) error { panic("boom") })
	mustCreate(t, s, sched("a", t0))
	r, err := s.RunNow(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if r.Err == nil || !strings.Contains(r.Error, "boom") || r.Attempts != 1 {
		t.Errorf("result = %+v, want a failure mentioning the panic", r)
	}
	if names := listNames(t, s); len(names) != 1 {
		t.Errorf("schedule not kept for retry after a panic: %v", names)
	}
}

// TestConcurrentRunsFireOnce overlaps several RunDue and RunNow callers on
// the same schedules: each must fire exactly once.
func TestConcurrentRunsFireOnce(t *testing.T) {
	var mu sync.Mutex
	count := map[string]int{}
	target := func(_ context.Context, f schedule.Fire) error {
		mu.Lock()
		count[f.Schedule]++
		mu.Unlock()
		time.Sleep(time.Millisecond) // widen the window for a double fire
		return nil
	}
	s := open(t, tempPath(t), clock.NewFrozen(t0), target)
	const n = 30
	var names []string
	for i := range n {
		name := fmt.Sprintf("s%02d", i)
		names = append(names, name)
		mustCreate(t, s, sched(name, t0.Add(time.Duration(i)*time.Second)))
	}

	var wg sync.WaitGroup
	results := make(chan local.Result, 16*n)
	errs := make(chan error, 16*n)
	for range 8 {
		wg.Go(func() {
			rs, err := s.RunDue(t.Context(), t0.Add(time.Hour))
			if err != nil {
				errs <- err
			}
			for _, r := range rs {
				results <- r
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for i := len(names) - 1; i >= 0; i-- {
				r, err := s.RunNow(t.Context(), names[i])
				switch {
				case err == nil:
					results <- r
				case !errors.Is(err, local.ErrInFlight) && !errors.Is(err, local.ErrNotFound):
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	reported := 0
	for range results {
		reported++
	}
	if reported != n {
		t.Errorf("%d fires reported, want %d", reported, n)
	}
	for _, name := range names {
		if count[name] != 1 {
			t.Errorf("%s fired %d times, want once", name, count[name])
		}
	}
	if left := listNames(t, s); len(left) != 0 {
		t.Errorf("schedules left: %v", left)
	}
}

func TestResultJSON(t *testing.T) {
	r := local.Result{Schedule: sched("a", t0), Err: errors.New("no"), Error: "no", Attempts: 1}
	buf, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(buf, &back); err != nil {
		t.Fatal(err)
	}
	if back["error"] != "no" || back["Err"] != nil || back["schedule"].(map[string]any)["name"] != "a" {
		t.Errorf("Result JSON = %s", buf)
	}
}
