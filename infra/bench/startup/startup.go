// Package startup measures how long a Lambda bootstrap takes to become ready:
// from just before the process is started until it asks the Lambda Runtime
// API for its first event (GET /2018-06-01/runtime/invocation/next). That is
// the part of a cold start the code controls; everything after it is the
// handler's own latency, which the Go benchmarks cover.
//
// Each run gets its own fake Runtime API and its own fake AWS endpoint on
// 127.0.0.1, so that work a function does at init (loading SDK config,
// fetching secrets from SSM) is included in the figure instead of failing or
// hanging on the network, and so that nothing leaks between runs.
package startup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"sync"
	"time"
)

// ErrTimeout is reported for a binary that stayed alive without asking for an
// event: a function blocked at init (say, on an unreachable endpoint) must
// show up as a failure, not as a very slow success.
var ErrTimeout = errors.New("did not ask the Runtime API for an event in time")

// ErrExited is reported for a binary that ended before asking for an event,
// typically because a required environment variable was missing.
var ErrExited = errors.New("exited before asking the Runtime API for an event")

// ErrInitError is reported when the binary told the Runtime API that its
// initialisation failed (POST /2018-06-01/runtime/init/error).
var ErrInitError = errors.New("reported an init error to the Runtime API")

// BaseEnv is the environment every measured binary gets, the hello-world
// baseline included. It imitates what Lambda's provided.al2023 runtime sets,
// with dummy credentials and a fixed region so the SDK resolves its
// configuration from the environment alone, as it does in Lambda. The
// harness's own environment is deliberately not inherited: a developer's
// AWS_PROFILE or ~/.aws would otherwise change what is measured.
func BaseEnv() []string {
	return []string{
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDBENCHMARK0000000",
		"AWS_SECRET_ACCESS_KEY=benchmark-secret-access-key",
		"AWS_SESSION_TOKEN=benchmark-session-token",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME=bench",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/bench",
		"AWS_LAMBDA_LOG_STREAM_NAME=bench",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"LAMBDA_TASK_ROOT=/var/task",
		"_HANDLER=bootstrap",
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		// No instance metadata and no shared config files, as in Lambda.
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/nonexistent/aws-config",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent/aws-credentials",
	}
}

// Options control a measurement.
type Options struct {
	// Runs is how many timed starts each binary gets.
	Runs int
	// Warmup starts are made and discarded before the timed ones, so the
	// first binary measured does not pay alone for a cold page cache.
	Warmup int
	// Timeout bounds a single start.
	Timeout time.Duration
	// Env is the environment of every binary (see BaseEnv); the harness adds
	// AWS_LAMBDA_RUNTIME_API and AWS_ENDPOINT_URL per run.
	Env []string
	// Parameters are what the fake SSM endpoint holds, by full name.
	Parameters map[string]string
}

// Target is one executable to measure.
type Target struct {
	Name string
	Path string
	// Env is added after Options.Env, for per-function settings.
	Env []string
}

// Start is the outcome of one successful start.
type Start struct {
	// Ready is the time from just before exec until the Runtime API received
	// the first request for an event.
	Ready time.Duration
	// AWSCalls lists, in order, the AWS operations the binary made before
	// asking for an event, as "Service.Operation" or "METHOD /path".
	AWSCalls []string
}

// Once starts bin once, waits until it asks for its first event, then kills
// it. A binary that exits, reports an init error or exceeds timeout yields an
// error wrapping ErrExited, ErrInitError or ErrTimeout with the tail of its
// output, which is where a missing setting is usually named.
func Once(ctx context.Context, bin string, env []string, params map[string]string, timeout time.Duration) (Start, error) {
	rt, err := newRuntimeAPI()
	if err != nil {
		return Start{}, err
	}
	defer rt.close()
	aws, err := newFakeAWS(params)
	if err != nil {
		return Start{}, err
	}
	defer aws.close()

	cmd := exec.Command(bin)
	cmd.Env = append(slices.Clip(env),
		"AWS_LAMBDA_RUNTIME_API="+rt.addr,
		"AWS_ENDPOINT_URL="+aws.url,
	)
	out := &tail{max: 2048}
	cmd.Stdout, cmd.Stderr = out, out
	// Output copying must not keep Wait alive if the binary forked a child
	// that holds the pipe.
	cmd.WaitDelay = time.Second

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return Start{}, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	select {
	case at := <-rt.next:
		stop()
		return Start{Ready: at.Sub(began), AWSCalls: aws.calls()}, nil
	case msg := <-rt.initError:
		stop()
		return Start{}, fmt.Errorf("%w: %s; output: %s", ErrInitError, msg, out)
	case err := <-exited:
		return Start{}, fmt.Errorf("%w (%v); output: %s", ErrExited, err, out)
	case <-timer.C:
		stop()
		return Start{}, fmt.Errorf("%w (%s); output: %s", ErrTimeout, timeout, out)
	case <-ctx.Done():
		stop()
		return Start{}, fmt.Errorf("measure %s: %w", bin, ctx.Err())
	}
}

// Result is the measurement of one target.
type Result struct {
	Target Target
	// Samples are the timed starts, in the order they were made.
	Samples []time.Duration
	// AWSCalls are those of the first timed start.
	AWSCalls []string
	// Err is the first failure; a target that failed once is not measured
	// further, since a figure over the remaining runs would hide it.
	Err error
}

// Run measures every target. Runs are interleaved round by round (one start
// of each target, then the next round) so that drift in machine load during
// the run affects all targets alike instead of whichever came last.
func Run(ctx context.Context, targets []Target, opt Options) []Result {
	if opt.Runs < 1 {
		opt.Runs = 1
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	results := make([]Result, len(targets))
	for i, t := range targets {
		results[i].Target = t
	}
	for round := -opt.Warmup; round < opt.Runs; round++ {
		for i := range results {
			r := &results[i]
			if r.Err != nil {
				continue
			}
			env := append(slices.Clip(opt.Env), r.Target.Env...)
			s, err := Once(ctx, r.Target.Path, env, opt.Parameters, opt.Timeout)
			if err != nil {
				r.Err = err
				continue
			}
			if round < 0 {
				continue
			}
			if r.Samples == nil {
				r.AWSCalls = s.AWSCalls
			}
			r.Samples = append(r.Samples, s.Ready)
		}
	}
	return results
}

// tail keeps the last max bytes written to it: enough of a failing binary's
// output to name the cause without flooding the report.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(bytes.TrimSpace(t.buf))
	if s == "" {
		return "(none)"
	}
	return s
}
