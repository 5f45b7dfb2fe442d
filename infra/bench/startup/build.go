package startup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// DefaultBuildFlags are the Makefile's LAMBDA_FLAGS. `make bench` passes the
// Makefile's own value, so the two cannot drift apart there; this default only
// serves when the harness is run by hand or from a test.
const DefaultBuildFlags = `-tags lambda.norpc -trimpath -ldflags="-s -w"`

// Build compiles the main package pkg for goos/goarch into out, the way the
// Makefile builds a bootstrap: CGO off and the given go build flags. It runs
// in dir, which must be inside the module, with the go command on PATH (go
// test puts its own toolchain first there).
func Build(ctx context.Context, dir, pkg, out, goos, goarch string, flags []string) error {
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %w\n%s", pkg, goos, goarch, err, bytes.TrimSpace(output.Bytes()))
	}
	return nil
}

// SplitFlags splits a flag string as a POSIX shell would for the simple cases
// a Makefile variable holds: words separated by blanks, with single or double
// quotes grouping blanks into one word (`-ldflags="-s -w"` becomes
// `-ldflags=-s -w`). It exists so that the Makefile's LAMBDA_FLAGS can be
// handed over verbatim instead of being restated here.
func SplitFlags(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' {
				escaped = true
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			escaped, inWord = true, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unbalanced quote or trailing backslash in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
