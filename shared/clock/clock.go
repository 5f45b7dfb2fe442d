// Package clock provides the time source port, so that planning and token
// expiry can be tested and the dev console can run time forward.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// System is the wall clock.
type System struct{}

// Now returns time.Now in UTC.
func (System) Now() time.Time { return time.Now().UTC() }

// Settable is a clock for tests and the dev runtime: it runs with the wall
// clock plus an offset that Advance and Set move.
type Settable struct {
	mu     sync.Mutex
	offset time.Duration
	frozen *time.Time
}

var (
	_ Clock = System{}
	_ Clock = (*Settable)(nil)
)

// NewFrozen returns a clock that stands still at t until moved.
func NewFrozen(t time.Time) *Settable { return &Settable{frozen: &t} }

// Now returns the clock's current time in UTC.
func (c *Settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		return c.frozen.UTC()
	}
	return time.Now().Add(c.offset).UTC()
}

// Advance moves the clock forward by d.
func (c *Settable) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
		return
	}
	c.offset += d
}

// Set moves the clock to t.
func (c *Settable) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		c.frozen = &t
		return
	}
	c.offset = time.Until(t)
}
