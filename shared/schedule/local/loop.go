package local

import (
	"context"
	"time"

	"go.etcd.io/bbolt"
)

// Start fires due schedules in the background until ctx ends or Close is
// called. Its first pass runs at once, so schedules that came due while
// the process was down fire right away. Calling Start again is a no-op.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil || s.closed {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx, s.done)
}

// loop runs RunDue, then sleeps until the next schedule is due, a Create
// wakes it, or pollInterval passes (the dev clock may have jumped).
func (s *Scheduler) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	s.log.Info("local scheduler started", "path", s.path)
	defer s.log.Info("local scheduler stopped", "path", s.path)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if _, err := s.RunDue(ctx, s.clk.Now()); err != nil && ctx.Err() == nil {
			s.log.Error("local scheduler: run due", "error", err)
		}
		timer.Reset(s.wait())
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// wait is how long the loop may sleep: until the earliest schedule fires,
// by the scheduler's clock, but never longer than pollInterval. A schedule
// already due here is being fired by someone else; polling catches its
// retry.
func (s *Scheduler) wait() time.Duration {
	var next time.Time
	var ok bool
	if err := s.db.View(func(tx *bbolt.Tx) error {
		next, ok = nextDue(tx)
		return nil
	}); err != nil || !ok {
		return pollInterval
	}
	d := next.Sub(s.clk.Now())
	if d <= 0 || d > pollInterval {
		return pollInterval
	}
	return d
}
