package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/schedule"
)

// Retry policy for failed fires: 30s, 1m, 2m, 4m, 8m, 15m, 15m, then the
// eighth failure dead-letters (about 45 minutes in all). Like EventBridge's
// retry policy, it outlasts a brief outage without retrying forever.
const (
	MaxAttempts  = 8
	firstBackoff = 30 * time.Second
	maxBackoff   = 15 * time.Minute
)

// Backoff is the wait after the given number of failed attempts (from 1).
func Backoff(attempts int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// Result reports one fire. Err is the target's error, if any; Error carries
// it as text for the dev console's JSON.
type Result struct {
	Schedule schedule.Schedule `json:"schedule"`
	Err      error             `json:"-"`
	Error    string            `json:"error,omitempty"`
	// Attempts counts failed fires so far, this one included.
	Attempts int `json:"attempts,omitempty"`
	// DeadLettered is set when this failure used up the last attempt.
	DeadLettered bool `json:"dead_lettered,omitempty"`
}

// FireWorkers is how many schedules RunDue fires at once by default (see
// SetFireWorkers). Their writes then share commits, and fsyncs, in the
// store and here: each fire waits on a chain of about seven commits, so
// the more fires overlap, the more writes each commit carries and the less
// CPU and disk each email costs (on two cores and ext4: about 300 emails/s
// with 8, 450 with 32).
const FireWorkers = 32

// SetFireWorkers changes how many schedules RunDue fires at once, for a
// target that must not be called too often in parallel (an SMTP server
// that limits connections, say); n < 1 means 1.
func (s *Scheduler) SetFireWorkers(n int) {
	s.workers.Store(int32(max(n, 1)))
}

// RunDue fires every schedule due by until (At, or NextTry after a failure)
// and returns what happened, oldest first. Up to FireWorkers schedules (see
// SetFireWorkers) fire at once, taken oldest first; a schedule still never
// fires twice at once. A schedule another caller is firing is skipped, as
// is one that was fired or deleted meanwhile. Each schedule fires at most
// once per call, so a failure waits for its backoff even if until is
// later. The error is for the scheduler itself (ctx, the file); a target's
// failure is in its Result.
func (s *Scheduler) RunDue(ctx context.Context, until time.Time) ([]Result, error) {
	var names []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		names = dueNames(tx, until)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("local scheduler: find due schedules: %w", err)
	}
	type outcome struct {
		r     Result
		err   error
		fired bool
	}
	outcomes := make([]outcome, len(names))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(int(s.workers.Load()), len(names)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) || ctx.Err() != nil {
					return
				}
				r, err := s.fire(ctx, names[i], &until)
				outcomes[i] = outcome{r: r, err: err, fired: true}
			}
		})
	}
	wg.Wait()
	var (
		results []Result
		errs    []error
		stopped bool
	)
	for _, o := range outcomes {
		if !o.fired {
			stopped = true // ctx ended first
			continue
		}
		switch {
		case errors.Is(o.err, ErrInFlight), errors.Is(o.err, ErrNotFound), errors.Is(o.err, errNotDue):
			continue
		case o.err != nil:
			// One unreadable schedule must not hold up the others.
			errs = append(errs, o.err)
			if o.r.Schedule.Name == "" {
				continue // not fired
			}
		}
		results = append(results, o.r)
	}
	if stopped {
		errs = append(errs, fmt.Errorf("local scheduler: run due: %w", ctx.Err()))
	}
	return results, errors.Join(errs...)
}

// RunNow fires one schedule regardless of its time: the dev console's "run
// now". It returns ErrNotFound for an unknown name and ErrInFlight while the
// schedule is firing elsewhere.
func (s *Scheduler) RunNow(ctx context.Context, name string) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("local scheduler: run %q: %w", name, err)
	}
	return s.fire(ctx, name, nil)
}

// errNotDue says a schedule listed as due was rescheduled by another fire
// before this caller claimed it.
var errNotDue = errors.New("schedule not due")

// fire claims one schedule, calls the target and records the outcome. With
// until set, the schedule must still be due by then once claimed: between
// listing and claiming, another caller may have fired and rescheduled it.
func (s *Scheduler) fire(ctx context.Context, name string, until *time.Time) (Result, error) {
	if !s.claim(name) {
		return Result{}, fmt.Errorf("local scheduler: run %q: %w", name, ErrInFlight)
	}
	defer s.release(name)

	var e Entry
	err := s.db.View(func(tx *bbolt.Tx) error {
		var ok bool
		var err error
		e, ok, err = getEntry(tx, name)
		if err == nil && !ok {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("local scheduler: run %q: %w", name, err)
	}
	if until != nil && e.FiresAt().After(*until) {
		return Result{}, errNotDue
	}

	fireErr := s.call(ctx, e.Schedule)
	r := Result{Schedule: e.Schedule}
	if fireErr == nil {
		s.log.Info("schedule fired", "schedule", name, "incident", e.IncidentID, "step", e.Step)
		return r, s.finish(name, nil)
	}
	r.Err, r.Error = fireErr, fireErr.Error()
	if ctx.Err() != nil {
		// Shutting down is not the target's fault: leave the schedule
		// as it was, to fire again on the next start.
		r.Attempts = e.Attempts
		return r, nil
	}
	r.Attempts = e.Attempts + 1
	r.DeadLettered = r.Attempts >= MaxAttempts
	if r.DeadLettered {
		s.log.Error("schedule dead-lettered", "schedule", name, "attempts", r.Attempts, "error", fireErr)
	} else {
		s.log.Warn("schedule failed, will retry", "schedule", name, "attempts", r.Attempts, "retry_in", Backoff(r.Attempts), "error", fireErr)
	}
	return r, s.finish(name, fireErr)
}

// call runs the target, turning a panic into an error so that one bad fire
// cannot take the local runtime down.
func (s *Scheduler) call(ctx context.Context, sc schedule.Schedule) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("target panicked: %v", p)
		}
	}()
	return s.target(ctx, sc.Fire())
}

// finish records a fire: success deletes the schedule, failure counts an
// attempt and reschedules it or moves it to the dead letters. A schedule
// deleted while it was firing stays deleted.
func (s *Scheduler) finish(name string, fireErr error) error {
	now := s.clk.Now()
	var removed bool
	err := s.group.Update(func(tx *bbolt.Tx) error {
		removed = false
		e, ok, err := getEntry(tx, name)
		if err != nil || !ok {
			return err
		}
		if err := deleteEntry(tx, e); err != nil || fireErr == nil {
			removed = err == nil
			return err
		}
		e.Attempts++
		e.LastError = fireErr.Error()
		if e.Attempts >= MaxAttempts {
			e.DeadAt = now
			removed = true
			return putDead(tx, e)
		}
		e.NextTry = now.Add(Backoff(e.Attempts))
		return putEntry(tx, e)
	})
	if err != nil {
		return fmt.Errorf("local scheduler: record fire of %q: %w", name, err)
	}
	if removed {
		s.pending.Add(-1)
	}
	return nil
}

// claim marks a schedule as firing; false if it already is.
func (s *Scheduler) claim(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[name] {
		return false
	}
	s.inFlight[name] = true
	return true
}

func (s *Scheduler) release(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, name)
}
