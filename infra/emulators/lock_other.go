//go:build !unix

package emulators

// lockFile is a no-op where flock is unavailable: parallel first-time
// installs may then collide, so pre-install with `npm ci` there.
func lockFile(string) (func(), error) { return func() {}, nil }
