package emulators

import (
	"os"
	"sync"
	"testing"
	"time"
)

// emulator is one lazily started emulator shared by a test binary's tests.
type emulator struct {
	name     string
	once     sync.Once
	endpoint string
	took     time.Duration
	err      error
	logged   sync.Once
}

// get starts the emulator on first use and returns its endpoint, or skips
// (fails in CI) the calling test if it cannot run.
func (e *emulator) get(t testing.TB, launch func() (string, error)) string {
	t.Helper()
	e.once.Do(func() {
		began := time.Now()
		e.endpoint, e.err = launch()
		e.took = time.Since(began)
	})
	if e.err != nil {
		unavailable(t, e.name, e.err)
	}
	e.logged.Do(func() { t.Logf("%s ready at %s after %s", e.name, e.endpoint, e.took.Round(time.Millisecond)) })
	return e.endpoint
}

// unavailable skips a test whose emulator cannot run, so a laptop without
// Java still runs the rest of the suite, but fails it when CI is set: a
// skipped adapter test in CI would pass a build that was never checked.
func unavailable(t testing.TB, name string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s unavailable: %v\nIn CI the emulator tests must run, never silently skip.", name, err)
	}
	t.Skipf("%s unavailable, skipping: %v", name, err)
}
