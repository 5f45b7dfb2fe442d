// Command bench-startup is the start-up half of `make bench`. It builds every
// Lambda function in functions/ and the hello-world baseline in
// infra/bench/hello twice with the same flags: for linux/arm64, the bootstrap
// that is deployed and whose size is reported, and for the host, since an
// arm64 binary cannot run here and start-up has to be timed on something. It
// then times each host build's start-up with package startup and prints a
// markdown table, also written to bin/bench.md, for the README's performance
// section. Any binary that fails to build or start is a row marked failed and
// makes the command exit 1, so CI notices.
//
//	go run ./infra/cmd/bench-startup -runs 20
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aftercare/aftercare/infra/bench/startup"
	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// secretsPath is where the fake SSM endpoint keeps the functions' secrets.
const secretsPath = "/aftercare/bench"

// appEnv are dummy values for every setting the functions read at start-up
// (awswire.Function.RequiredEnv and the optional ones), given to every
// binary, hello included, which ignores them, so that all are measured in
// the same environment. They point nowhere real: AWS calls go to the
// harness's fake endpoint. The names come from awswire so that a renamed
// variable breaks this build rather than the measurement.
var appEnv = []string{
	awswire.EnvTable + "=aftercare-bench",
	awswire.EnvSecretsPath + "=" + secretsPath,
	awswire.EnvPublicURL + "=https://care.example.com",
	awswire.EnvFrom + "=Aftercare <care@example.com>",
	awswire.EnvReplyTo + "=team@example.com",
	awswire.EnvBrandName + "=Aftercare Bench",
	awswire.EnvBrandLink + "=https://example.com",
	awswire.EnvScheduleGroup + "=aftercare-bench",
	awswire.EnvDispatchARN + "=arn:aws:lambda:us-east-1:123456789012:function:aftercare-bench-dispatch",
	awswire.EnvSchedulerRoleARN + "=arn:aws:iam::123456789012:role/aftercare-bench-scheduler",
	awswire.EnvScheduleDLQARN + "=arn:aws:sqs:us-east-1:123456789012:aftercare-bench-dlq",
	awswire.EnvSESConfigurationSet + "=aftercare-bench",
	awswire.EnvReplyAddress + "=care@reply.example.com",
}

// appParams are what the fake SSM endpoint holds: the secrets the functions
// load with GetParameters at cold start, so that the round trip and
// the checks on them are part of the measured start-up. The webhook secret
// is the public development one.
var appParams = map[string]string{
	secretsPath + "/webhook-secret": stdwebhooks.DevSecret,
	secretsPath + "/link-secret":    "bench-link-signing-key-not-a-secret-0123456789",
	secretsPath + "/contact-key":    "bench-contact-key-not-a-secret-0123456789abcdef",
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// envFlags collects repeated -env KEY=VALUE flags.
type envFlags []string

func (e *envFlags) String() string { return strings.Join(*e, " ") }

func (e *envFlags) Set(s string) error {
	if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	*e = append(*e, s)
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench-startup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 20, "timed starts per binary")
	warmup := fs.Int("warmup", 1, "discarded starts per binary before the timed ones")
	timeout := fs.Duration("timeout", 10*time.Second, "limit for one start")
	buildFlags := fs.String("buildflags", startup.DefaultBuildFlags, "go build flags, as the Makefile's LAMBDA_FLAGS")
	functions := fs.String("functions", "functions", "directory holding one main package per Lambda function")
	hello := fs.String("hello", "./infra/bench/hello", "package of the hello-world baseline")
	floorList := fs.String("floors", "./infra/bench/floor/store,./infra/bench/floor/send,./infra/bench/floor/render", "comma-separated packages of the start-up floors; each is row floor-<last element>")
	binDir := fs.String("bindir", "bin/bench", "where the builds go")
	out := fs.String("out", "bin/bench.md", "file the markdown table is also written to")
	var extraEnv envFlags
	fs.Var(&extraEnv, "env", "extra KEY=VALUE for every binary (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	flags, err := startup.SplitFlags(*buildFlags)
	if err != nil {
		fmt.Fprintf(stderr, "bench-startup: -buildflags: %v\n", err)
		return 2
	}

	names, err := functionNames(*functions)
	if err != nil {
		fmt.Fprintf(stderr, "bench-startup: %v\n", err)
		return 1
	}
	if len(names) == 0 {
		fmt.Fprintf(stderr, "bench-startup: no functions under %s yet; measuring the baseline only\n", *functions)
	}
	floorPkgs := strings.FieldsFunc(*floorList, func(r rune) bool { return r == ',' })
	fnPkgs := prefixed("./"+filepath.ToSlash(*functions)+"/", names)
	pkgs := append(append([]string{*hello}, floorPkgs...), fnPkgs...)
	rows := make([]startup.Row, len(pkgs))
	rows[0].Name = "hello"
	floorDeps := make([]map[string]bool, len(floorPkgs))
	for i, p := range floorPkgs {
		rows[1+i].Name = "floor-" + filepath.Base(p)
		if floorDeps[i], err = deps(ctx, p); err != nil {
			fmt.Fprintf(stderr, "bench-startup: %v\n", err)
			return 1
		}
	}
	for i, n := range names {
		r := &rows[1+len(floorPkgs)+i]
		r.Name = n
		if len(floorPkgs) > 0 {
			if r.Floor, err = floorOf(ctx, fnPkgs[i], floorPkgs, floorDeps); err != nil {
				fmt.Fprintf(stderr, "bench-startup: %v\n", err)
				return 1
			}
		}
	}

	fmt.Fprintf(stderr, "bench-startup: building %d binaries for linux/arm64 and %s/%s\n", len(pkgs), runtime.GOOS, runtime.GOARCH)
	began := time.Now()
	hostPaths := buildAll(ctx, rows, pkgs, *binDir, flags)
	fmt.Fprintf(stderr, "bench-startup: built in %s; timing %d starts each\n", time.Since(began).Round(time.Millisecond), *runs)

	var targets []startup.Target
	var index []int
	for i, row := range rows {
		if row.BuildErr == nil {
			targets = append(targets, startup.Target{Name: row.Name, Path: hostPaths[i]})
			index = append(index, i)
		}
	}
	load := loadAverage()
	env := append(append(startup.BaseEnv(), appEnv...), extraEnv...)
	results := startup.Run(ctx, targets, startup.Options{
		Runs: *runs, Warmup: *warmup, Timeout: *timeout, Env: env, Parameters: appParams,
	})
	for j, res := range results {
		rows[index[j]].Result = res
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "bench-startup: %v\n", err)
		return 1
	}

	report := startup.Report{
		Rows: rows, Runs: *runs, Warmup: *warmup,
		HostOS: runtime.GOOS, HostArch: runtime.GOARCH,
		GoVersion: runtime.Version(), CPU: cpuModel(), CPUs: runtime.NumCPU(), Load: load,
		BuildFlags: *buildFlags,
	}
	md := report.Markdown()
	fmt.Fprint(stdout, md)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintf(stderr, "bench-startup: %v\n", err)
		return 1
	}
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		fmt.Fprintf(stderr, "bench-startup: write report: %v\n", err)
		return 1
	}
	if report.Failed() {
		fmt.Fprintln(stderr, "bench-startup: some binaries failed to build or start (see the table)")
		return 1
	}
	return 0
}

// floorOf names the floor a function is compared with: the last floor
// (they go from least to most) whose design-card dependencies the function
// all links. A floor's card dependencies are its non-standard imports
// outside this module and aws-lambda-go, e.g. the DynamoDB client, or
// SESv2 and hermes; need holds each floor's dependencies, listed once.
func floorOf(ctx context.Context, fn string, floors []string, need []map[string]bool) (string, error) {
	have, err := deps(ctx, fn)
	if err != nil {
		return "", err
	}
	best := ""
	for i, f := range floors {
		all := true
		for d := range need[i] {
			if isCardPackage(d) && !have[d] {
				all = false
				break
			}
		}
		if all {
			best = "floor-" + filepath.Base(f)
		}
	}
	return best, nil
}

// isCardPackage tells the packages that make one floor differ from another:
// an AWS service client or hermes.
func isCardPackage(p string) bool {
	return strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2/service/") && !strings.Contains(p, "/internal/") ||
		p == "github.com/matcornic/hermes/v2"
}

// deps is the set of packages pkg links, from go list.
func deps(ctx context.Context, pkg string) (map[string]bool, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", "-tags", "lambda.norpc", pkg).Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps %s: %w", pkg, err)
	}
	set := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		set[l] = true
	}
	return set, nil
}

// functionNames lists the subdirectories of dir that hold a main.go, in
// order; each is one Lambda function, as the Makefile's build target sees it.
func functionNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "main.go")); err == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// buildAll builds each package for linux/arm64 and for the host, filling in
// sizes and build errors, and returns the host binaries' paths. Two builds
// run at a time: go build parallelises compilation itself, but the link step
// of each binary is single-threaded, and these are mostly links once the
// cache is warm.
func buildAll(ctx context.Context, rows []startup.Row, pkgs []string, binDir string, flags []string) []string {
	type job struct {
		row          int
		goos, goarch string
		arm, host    bool
	}
	var jobs []job
	for i := range pkgs {
		if runtime.GOOS == "linux" && runtime.GOARCH == "arm64" {
			jobs = append(jobs, job{row: i, goos: "linux", goarch: "arm64", arm: true, host: true})
			continue
		}
		jobs = append(jobs, job{row: i, goos: "linux", goarch: "arm64", arm: true})
		jobs = append(jobs, job{row: i, goos: runtime.GOOS, goarch: runtime.GOARCH, host: true})
	}
	hostPaths := make([]string, len(pkgs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			path := filepath.Join(binDir, j.goos+"_"+j.goarch, rows[j.row].Name, "bootstrap")
			err := startup.Build(ctx, ".", pkgs[j.row], path, j.goos, j.goarch, flags)
			var size int64
			if err == nil {
				var fi os.FileInfo
				if fi, err = os.Stat(path); err == nil {
					size = fi.Size()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			r := &rows[j.row]
			if err != nil {
				r.BuildErr = errors.Join(r.BuildErr, err)
				return
			}
			if j.host {
				r.HostSize, hostPaths[j.row] = size, path
			}
			if j.arm {
				r.ArmSize = size
			}
		})
	}
	wg.Wait()
	return hostPaths
}

// cpuModel names the processor, because ratios travel between machines but
// the absolute figures beside them need their context. Best effort: empty
// where /proc/cpuinfo does not exist.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage returns the 1-minute load average, best effort, so a reader
// can tell a figure taken on a busy machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}
