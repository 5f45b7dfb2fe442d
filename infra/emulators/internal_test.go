package emulators

import (
	"errors"
	"strings"
	"testing"
)

func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &tailBuffer{max: 5}
	b.Write([]byte("abc"))
	b.Write([]byte("defgh"))
	if got := b.String(); got != "defgh" {
		t.Fatalf("got %q, want %q", got, "defgh")
	}
}

// recorder is a testing.TB that records how a test ended instead of ending.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Skipf(f string, a ...any)       { r.skipped = f }
func (r *recorder) Fatalf(format string, a ...any) { r.failed = format }

func TestUnavailableSkipsLocallyAndFailsInCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{}
	unavailable(r, "X", errors.New("no java"))
	if r.skipped == "" || r.failed != "" {
		t.Errorf("without CI: skipped %q failed %q, want a skip", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recorder{}
	unavailable(r, "X", errors.New("no java"))
	if r.failed == "" || !strings.Contains(r.failed, "never silently skip") {
		t.Errorf("in CI: skipped %q failed %q, want a failure", r.skipped, r.failed)
	}
}
