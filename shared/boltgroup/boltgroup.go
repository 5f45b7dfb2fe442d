// Package boltgroup commits concurrent bbolt writes together, for the
// local runtime's two files (the incident store and the scheduler).
package boltgroup

import (
	"errors"
	"fmt"
	"sync"

	"go.etcd.io/bbolt"
)

// Group commits concurrent writes together: one bbolt transaction, hence
// one pair of fsyncs, for every write that arrived while the previous
// commit was on disk. Like bbolt's DB.Batch, each caller returns only once
// its own write is durable, and a function may run more than once (in a
// batch that was retried without a failing neighbour, then alone). Unlike
// DB.Batch it never waits on a timer: an idle file commits a lone write at
// once, and a busy one batches exactly what queued up during the last
// fsync, so the batch size follows the load instead of a fixed delay.
type Group struct {
	db      *bbolt.DB
	mu      sync.Mutex
	queue   []groupCall
	running bool
}

type groupCall struct {
	fn   func(*bbolt.Tx) error
	done chan error
}

// maxGroup bounds one transaction, so that a flood of writers still sees
// steady commits rather than one huge one.
const maxGroup = 256

// errSolo tells a caller whose function failed inside a batch to run it in
// a transaction of its own, where its error is its alone.
var errSolo = errors.New("boltgroup: run the write alone")

// Update runs fn in a write transaction shared with concurrent callers and
// returns once that transaction is committed (or fn's own transaction has
// failed). fn must be idempotent: it may run more than once.
func (g *Group) Update(fn func(*bbolt.Tx) error) error {
	done := make(chan error, 1)
	g.mu.Lock()
	g.queue = append(g.queue, groupCall{fn: fn, done: done})
	if !g.running {
		g.running = true
		go g.run()
	}
	g.mu.Unlock()
	if err := <-done; !errors.Is(err, errSolo) {
		return err
	}
	return g.db.Update(fn)
}

// run commits batches until the queue is empty.
func (g *Group) run() {
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.running = false
			g.queue = nil
			g.mu.Unlock()
			return
		}
		calls := make([]groupCall, n)
		copy(calls, g.queue)
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.commit(calls)
	}
}

// commit runs calls in one transaction. A call whose function fails is
// taken out and told to run alone; the others are retried without it.
func (g *Group) commit(calls []groupCall) {
	for len(calls) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bbolt.Tx) error {
			for i, c := range calls {
				if err := safely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].done <- errSolo
			calls = append(calls[:failed], calls[failed+1:]...)
			continue
		}
		for _, c := range calls {
			c.done <- err
		}
		return
	}
}

// safely turns a panic in fn into an error, so that the caller re-runs fn
// alone and the panic happens on its own goroutine, not the committer's.
func safely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(tx)
}

// New returns the group committer of db.
func New(db *bbolt.DB) *Group { return &Group{db: db} }
