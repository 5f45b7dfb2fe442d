package local

import "time"

// SetLockTimeout shortens the file-lock wait for a test and returns a
// function that restores it.
func SetLockTimeout(d time.Duration) (restore func()) {
	old := lockTimeout
	lockTimeout = d
	return func() { lockTimeout = old }
}
