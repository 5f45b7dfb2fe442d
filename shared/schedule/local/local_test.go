package local_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/schedule/local"
)

var t0 = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// recorder is a target that counts fires per schedule and fails while
// fail says so.
type recorder struct {
	mu    sync.Mutex
	fires []schedule.Fire
	fail  func(f schedule.Fire) error
}

func (r *recorder) target(_ context.Context, f schedule.Fire) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fires = append(r.fires, f)
	if r.fail != nil {
		return r.fail(f)
	}
	return nil
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range r.fires {
		out = append(out, f.Schedule)
	}
	return out
}

func (r *recorder) count(name string) int {
	n := 0
	for _, got := range r.names() {
		if got == name {
			n++
		}
	}
	return n
}

func open(t *testing.T, path string, clk clock.Clock, target schedule.Target) *local.Scheduler {
	t.Helper()
	s, err := local.Open(path, clk, target, nil)
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

func tempPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "local", "schedules.db")
}

func sched(name string, at time.Time) schedule.Schedule {
	return schedule.Schedule{Name: name, IncidentID: "inc_" + name, Step: "c1.csat", Due: at, At: at, TimeZone: "Europe/Madrid"}
}

func mustCreate(t *testing.T, s *local.Scheduler, scs ...schedule.Schedule) {
	t.Helper()
	for _, sc := range scs {
		if err := s.Create(t.Context(), sc); err != nil {
			t.Fatalf("Create(%s): %v", sc.Name, err)
		}
	}
}

func listNames(t *testing.T, s *local.Scheduler) []string {
	t.Helper()
	entries, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name)
	}
	return out
}

func TestCreateIsIdempotent(t *testing.T) {
	s := open(t, tempPath(t), clock.NewFrozen(t0), (&recorder{}).target)
	first := sched("a", t0.Add(time.Hour))
	mustCreate(t, s, first)
	again := sched("a", t0.Add(5*time.Hour))
	if err := s.Create(t.Context(), again); err != nil {
		t.Fatalf("second Create of the same name: %v, want nil", err)
	}
	entries, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]local.Entry{{Schedule: first}}, entries); diff != "" {
		t.Errorf("List after two Creates (-want +got):\n%s", diff)
	}
}

func TestCreateValidates(t *testing.T) {
	s := open(t, tempPath(t), clock.NewFrozen(t0), (&recorder{}).target)
	tests := []struct {
		name string
		sc   schedule.Schedule
	}{
		{"empty name", sched("", t0)},
		{"name too long", sched(strings.Repeat("x", 65), t0)},
		{"space in name", sched("a b", t0)},
		{"slash in name", sched("a/b", t0)},
		{"greek in name", sched("Ωμέγα", t0)},
		{"no time", sched("no-time", time.Time{})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Create(t.Context(), tc.sc); err == nil {
				t.Errorf("Create(%q) succeeded, want an error", tc.sc.Name)
			}
		})
	}
	if names := listNames(t, s); len(names) != 0 {
		t.Errorf("invalid schedules were stored: %v", names)
	}
	mustCreate(t, s, sched("inc_abc.c1.csat.20250601T0900", t0), sched(strings.Repeat("x", 64), t0))
}

func TestDelete(t *testing.T) {
	s := open(t, tempPath(t), clock.NewFrozen(t0), (&recorder{}).target)
	if err := s.Delete(t.Context(), "missing"); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	mustCreate(t, s, sched("a", t0), sched("b", t0))
	if err := s.Delete(t.Context(), "a"); err != nil {
		t.Fatalf("Delete(a): %v", err)
	}
	if diff := cmp.Diff([]string{"b"}, listNames(t, s)); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
	results, err := s.RunDue(t.Context(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Schedule.Name != "b" {
		t.Errorf("RunDue after Delete fired %+v, want only b", results)
	}
}

func TestListSorted(t *testing.T) {
	s := open(t, tempPath(t), clock.NewFrozen(t0), (&recorder{}).target)
	mustCreate(t, s,
		sched("c", t0.Add(3*time.Hour)),
		sched("b2", t0.Add(2*time.Hour)),
		sched("a", t0.Add(1*time.Hour)),
		sched("b1", t0.Add(2*time.Hour)),
	)
	if diff := cmp.Diff([]string{"a", "b1", "b2", "c"}, listNames(t, s)); diff != "" {
		t.Errorf("List order (-want +got):\n%s", diff)
	}
}

func TestRestartKeepsSchedules(t *testing.T) {
	path := tempPath(t)
	clk := clock.NewFrozen(t0)
	s, err := local.Open(path, clk, (&recorder{}).target, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []local.Entry{{Schedule: sched("a", t0.Add(time.Hour))}, {Schedule: sched("b", t0.Add(2*time.Hour))}}
	mustCreate(t, s, want[1].Schedule, want[0].Schedule)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path, clk, (&recorder{}).target)
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List after reopen (-want +got):\n%s", diff)
	}
}

func TestOverdueFireAfterRestart(t *testing.T) {
	path := tempPath(t)
	clk := clock.NewFrozen(t0)
	s, err := local.Open(path, clk, (&recorder{}).target, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, sched("overdue", t0.Add(time.Hour)), sched("later", t0.Add(48*time.Hour)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The process was down while "overdue" came due.
	clk.Advance(2 * time.Hour)
	rec := &recorder{}
	s = open(t, path, clk, rec.target)
	s.Start(t.Context())
	waitFor(t, time.Second, func() bool { return rec.count("overdue") == 1 })
	waitFor(t, time.Second, func() bool { return cmp.Equal([]string{"later"}, listNames(t, s)) })
	if n := rec.count("later"); n != 0 {
		t.Errorf("a schedule not yet due fired %d times", n)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	defer local.SetLockTimeout(50 * time.Millisecond)()
	path := tempPath(t)
	open(t, path, clock.NewFrozen(t0), (&recorder{}).target)
	second, err := local.Open(path, clock.NewFrozen(t0), (&recorder{}).target, nil)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("second Open error = %q, want it to say the file is locked", err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
