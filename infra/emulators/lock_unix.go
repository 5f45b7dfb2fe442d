//go:build unix

package emulators

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on path, blocking until the
// holder releases it. The kernel drops the lock if the holder dies, so a
// test binary killed mid-install cannot wedge the next run.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
