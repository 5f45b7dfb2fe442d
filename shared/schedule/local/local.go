// Package local is the local runtime's scheduler: a persistent in-process
// timer on its own bbolt file that behaves like EventBridge Scheduler's
// one-time schedules, so dispatch runs the same way on a laptop as on AWS.
//
// Like EventBridge it deletes a schedule after a successful fire
// (ActionAfterCompletion DELETE), retries a failed fire with exponential
// backoff, and after MaxAttempts moves it to a dead-letter list (the SQS
// dead-letter queue on AWS). Delivery is at least once: a crash between a
// successful fire and its deletion fires again after restart, which dispatch
// tolerates because it re-checks and claims each step.
//
// Layout: bucket "schedules" maps a name to its Entry as JSON; bucket "due"
// is an index keyed by the time the entry next fires (12 order-preserving
// bytes) followed by the name, so finding due work is a cursor walk from the
// start, not a scan; bucket "dead" holds dead letters by name.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/aftercare/aftercare/shared/boltgroup"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/schedule"
)

var (
	schedulesBucket = []byte("schedules")
	dueBucket       = []byte("due")
	deadBucket      = []byte("dead")
)

// ErrNotFound is returned by RunNow for a name that is not scheduled.
var ErrNotFound = errors.New("schedule not found")

// ErrInFlight is returned by RunNow while the schedule is already firing:
// a schedule never fires twice at once.
var ErrInFlight = errors.New("schedule is firing")

// lockTimeout bounds the wait for the file lock so that a second process
// fails clearly instead of hanging. A variable so tests can shorten it.
var lockTimeout = time.Second

// pollInterval is the longest the loop sleeps: the dev clock can jump
// forward at any moment, and nothing tells the loop when it does.
const pollInterval = time.Second

// validName is EventBridge Scheduler's rule for schedule names. Enforcing
// it locally catches a name AWS would reject before it reaches AWS.
var validName = regexp.MustCompile(`^[0-9a-zA-Z_.-]{1,64}$`)

// Entry is a stored schedule with its delivery state.
type Entry struct {
	schedule.Schedule
	// Attempts counts failed fires.
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// NextTry is when a failed schedule fires again; zero until it fails.
	NextTry time.Time `json:"next_try,omitzero"`
	// DeadAt is set on dead letters: when the last attempt failed.
	DeadAt time.Time `json:"dead_at,omitzero"`
}

// FiresAt is when the entry is next due: At, or NextTry after a failure.
func (e Entry) FiresAt() time.Time {
	if !e.NextTry.IsZero() {
		return e.NextTry
	}
	return e.At
}

// Scheduler is a schedule.Scheduler that also fires its schedules: on
// demand (RunDue, RunNow: the dev console and tests) and in the background
// (Start). All three may run at once; claims keep each schedule to one
// fire at a time.
type Scheduler struct {
	db     *bbolt.DB
	group  *boltgroup.Group
	path   string
	clk    clock.Clock
	target schedule.Target
	log    *slog.Logger
	// wake nudges the loop when Create adds a schedule that may be due
	// sooner than the loop's next poll.
	wake chan struct{}
	// pending counts the pending schedules, for Count: counted once at
	// Open, then kept by every committed write.
	pending atomic.Int64
	// workers is how many schedules RunDue fires at once.
	workers atomic.Int32

	mu       sync.Mutex
	inFlight map[string]bool
	cancel   context.CancelFunc // of the loop, nil until Start
	done     chan struct{}      // closed when the loop ends
	closed   bool
}

var _ schedule.Scheduler = (*Scheduler)(nil)

// Open opens (creating if needed, with its parent directory) the scheduler
// file at path. Fired schedules call target; clk decides what is due; log
// may be nil.
func Open(path string, clk clock.Clock, target schedule.Target, log *slog.Logger) (*Scheduler, error) {
	if clk == nil || target == nil {
		return nil, errors.New("local scheduler: clock and target are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("local scheduler: create directory for %s: %w", path, err)
	}
	db, err := bbolt.Open(path, 0o600, boltOptions())
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("local scheduler: open %s: database is locked by another process: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("local scheduler: open %s: %w", path, err)
	}
	pending := 0
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{schedulesBucket, dueBucket, deadBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		pending = tx.Bucket(dueBucket).Stats().KeyN
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("local scheduler: initialise %s: %w", path, err)
	}
	s := &Scheduler{
		db: db, group: boltgroup.New(db), path: path, clk: clk, target: target, log: log,
		wake:     make(chan struct{}, 1),
		inFlight: map[string]bool{},
	}
	s.pending.Store(int64(pending))
	s.workers.Store(FireWorkers)
	return s, nil
}

// Close stops the loop started by Start, waits for it (and the fire it may
// be running) to end, and closes the file.
func (s *Scheduler) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("local scheduler: close %s: %w", s.path, err)
	}
	return nil
}

// Create stores a schedule. An existing name is left as it is and is not an
// error: names are deterministic, so a repeat means the same wake-up call.
func (s *Scheduler) Create(ctx context.Context, sc schedule.Schedule) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local scheduler: create %q: %w", sc.Name, err)
	}
	if !validName.MatchString(sc.Name) {
		return fmt.Errorf("local scheduler: create %q: name must be 1-64 of [0-9a-zA-Z-_.]", sc.Name)
	}
	if sc.At.IsZero() {
		return fmt.Errorf("local scheduler: create %q: no time to fire at", sc.Name)
	}
	created := false
	err := s.group.Update(func(tx *bbolt.Tx) error {
		created = false
		if tx.Bucket(schedulesBucket).Get([]byte(sc.Name)) != nil {
			return nil
		}
		created = true
		return putEntry(tx, Entry{Schedule: sc})
	})
	if err != nil {
		return fmt.Errorf("local scheduler: create %q: %w", sc.Name, err)
	}
	if created {
		s.pending.Add(1)
		s.log.Debug("schedule created", "schedule", sc.Name, "at", sc.At)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Delete removes a schedule; a missing name is not an error. A schedule
// that is firing right now finishes, but is not retried or kept.
func (s *Scheduler) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local scheduler: delete %q: %w", name, err)
	}
	deleted := false
	err := s.group.Update(func(tx *bbolt.Tx) error {
		deleted = false
		e, ok, err := getEntry(tx, name)
		if err != nil || !ok {
			return err
		}
		deleted = true
		return deleteEntry(tx, e)
	})
	if err != nil {
		return fmt.Errorf("local scheduler: delete %q: %w", name, err)
	}
	if deleted {
		s.pending.Add(-1)
	}
	return nil
}

// List returns all pending schedules sorted by At, then Name, with their
// delivery state. It reads every schedule: the dev console pages through
// them with ListAfter instead.
func (s *Scheduler) List() ([]Entry, error) {
	out, err := s.all(schedulesBucket)
	if err != nil {
		return nil, fmt.Errorf("local scheduler: list: %w", err)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// DeadLetters returns the schedules that failed MaxAttempts times, most
// recent failure first: what would sit in the SQS dead-letter queue on AWS.
func (s *Scheduler) DeadLetters() ([]Entry, error) {
	out, err := s.all(deadBucket)
	if err != nil {
		return nil, fmt.Errorf("local scheduler: dead letters: %w", err)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := b.DeadAt.Compare(a.DeadAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func (s *Scheduler) all(bucket []byte) ([]Entry, error) {
	var out []Entry
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("schedule %q is corrupt: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// boltOptions keep every commit durable (two fdatasyncs: pages, then the
// meta page) while making it cheaper: the freelist is not written on each
// commit but rebuilt from the pages at open (what etcd does), and kept as
// a map, which allocates in constant time however fragmented the file.
func boltOptions() *bbolt.Options {
	return &bbolt.Options{
		Timeout:        lockTimeout,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	}
}
