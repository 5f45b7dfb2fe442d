package startup

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// helperEnv switches the test binary into a fake Lambda bootstrap, so the
// harness's failure paths can be exercised without building anything.
const helperEnv = "STARTUP_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "ready":
		// Make one AWS call at init, as a function loading its secrets does,
		// then ask for an event and wait to be killed.
		req, _ := http.NewRequest(http.MethodPost, os.Getenv("AWS_ENDPOINT_URL"), strings.NewReader(`{"Names":["/p/a"],"WithDecryption":true}`))
		req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameters")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		_, _ = http.Get("http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + nextPath)
		os.Exit(0)
	case "silent":
		// Alive but never asks: a function stuck at init.
		time.Sleep(time.Minute)
		os.Exit(0)
	case "exit":
		fmt.Fprintln(os.Stderr, "missing environment variable(s) AFTERCARE_TABLE")
		os.Exit(1)
	case "initerror":
		_, _ = http.Post("http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+initErrorPath, "application/json",
			strings.NewReader(`{"errorMessage":"no table"}`))
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(3)
}

func helper(t *testing.T, mode string) (path string, env []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe, append(BaseEnv(), helperEnv+"="+mode)
}

// TestHello builds the real baseline the way `make bench` does and checks
// that one start is measured: the harness's happy path end to end.
func TestHello(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	flags, err := SplitFlags(DefaultBuildFlags)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	if err := Build(t.Context(), ".", "../hello", bin, runtime.GOOS, runtime.GOARCH, flags); err != nil {
		t.Fatal(err)
	}
	s, err := Once(t.Context(), bin, BaseEnv(), nil, 10*time.Second)
	if err != nil {
		t.Fatalf("hello world did not start: %v", err)
	}
	if s.Ready <= 0 || s.Ready > 10*time.Second {
		t.Errorf("Ready = %s", s.Ready)
	}
	if len(s.AWSCalls) != 0 {
		t.Errorf("hello world made AWS calls: %v", s.AWSCalls)
	}
}

func TestOnceFailures(t *testing.T) {
	tests := []struct {
		mode   string
		want   error
		output string
	}{
		{"silent", ErrTimeout, ""},
		{"exit", ErrExited, "AFTERCARE_TABLE"},
		{"initerror", ErrInitError, "no table"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			bin, env := helper(t, tt.mode)
			began := time.Now()
			_, err := Once(t.Context(), bin, env, nil, 500*time.Millisecond)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.output) {
				t.Errorf("err = %v, want it to quote %q", err, tt.output)
			}
			if d := time.Since(began); d > 5*time.Second {
				t.Errorf("took %s: the process was not killed promptly", d)
			}
		})
	}
}

// TestRun checks that a failing target is reported and not retried, while
// the others still get all their runs, and that AWS calls at init are seen.
func TestRun(t *testing.T) {
	ready, readyEnv := helper(t, "ready")
	silent, silentEnv := helper(t, "silent")
	res := Run(t.Context(), []Target{
		{Name: "ready", Path: ready, Env: readyEnv},
		{Name: "silent", Path: silent, Env: silentEnv},
	}, Options{Runs: 3, Warmup: 1, Timeout: 500 * time.Millisecond})

	if res[0].Err != nil || len(res[0].Samples) != 3 {
		t.Errorf("ready: %d samples, err %v; want 3, nil", len(res[0].Samples), res[0].Err)
	}
	if want := []string{"AmazonSSM.GetParameters"}; !slices.Equal(res[0].AWSCalls, want) {
		t.Errorf("ready: AWS calls %v, want %v", res[0].AWSCalls, want)
	}
	if !errors.Is(res[1].Err, ErrTimeout) || len(res[1].Samples) != 0 {
		t.Errorf("silent: %d samples, err %v; want 0, a timeout", len(res[1].Samples), res[1].Err)
	}
}

func TestFakeSSM(t *testing.T) {
	f := &fakeAWS{params: map[string]string{
		"/app/prod/a":       "1",
		"/app/prod/b":       "2",
		"/app/prod/deep/c":  "3",
		"/app/production/x": "4",
	}}
	call := func(target, body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		rec := httptest.NewRecorder()
		f.serve(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: %v in %q", target, err, rec.Body)
		}
		return rec.Code, out
	}
	names := func(v any) []string {
		var n []string
		for _, p := range v.([]any) {
			n = append(n, p.(map[string]any)["Name"].(string))
		}
		return n
	}

	// The functions' call: the names asked for, those missing listed apart.
	_, out := call("AmazonSSM.GetParameters", `{"Names":["/app/prod/b","/app/prod/nope","/app/prod/a"],"WithDecryption":true}`)
	if got, want := names(out["Parameters"]), []string{"/app/prod/b", "/app/prod/a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("by name: %v, want %v", got, want)
	}
	if got := out["InvalidParameters"]; !reflect.DeepEqual(got, []any{"/app/prod/nope"}) {
		t.Errorf("by name: InvalidParameters %v, want [/app/prod/nope]", got)
	}
	if v := out["Parameters"].([]any)[0].(map[string]any); v["Value"] != "2" || v["Type"] != "SecureString" {
		t.Errorf("by name: %v", v)
	}
	_, out = call("AmazonSSM.GetParametersByPath", `{"Path":"/app/prod","WithDecryption":true}`)
	if got, want := names(out["Parameters"]), []string{"/app/prod/a", "/app/prod/b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("by path: %v, want %v", got, want)
	}
	_, out = call("AmazonSSM.GetParametersByPath", `{"Path":"/app/prod/","Recursive":true}`)
	if got, want := names(out["Parameters"]), []string{"/app/prod/a", "/app/prod/b", "/app/prod/deep/c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("recursive: %v, want %v", got, want)
	}
	if code, out := call("AmazonSSM.GetParameter", `{"Name":"/nope"}`); code != http.StatusBadRequest || out["__type"] != "ParameterNotFound" {
		t.Errorf("missing parameter: %d %v", code, out)
	}
	if code, out := call("DynamoDB_20120810.DescribeTable", `{"TableName":"t"}`); code != http.StatusOK || len(out) != 0 {
		t.Errorf("other call: %d %v, want 200 {}", code, out)
	}
	if want := []string{"AmazonSSM.GetParameters", "AmazonSSM.GetParametersByPath", "AmazonSSM.GetParametersByPath", "AmazonSSM.GetParameter", "DynamoDB_20120810.DescribeTable"}; !slices.Equal(f.calls(), want) {
		t.Errorf("calls %v, want %v", f.calls(), want)
	}
}

func TestSplitFlags(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{DefaultBuildFlags, []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}},
		{`  -a   'b c'd "e\"f" g\ h `, []string{"-a", "b cd", `e"f`, "g h"}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := SplitFlags(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitFlags(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := SplitFlags(`-ldflags="-s`); err == nil {
		t.Error("unbalanced quote accepted")
	}
}

func TestMedianPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	s := ms(10, 1, 9, 2, 8, 3, 7, 4, 6, 5)
	if got := Median(s); got != 5500*time.Microsecond {
		t.Errorf("Median = %s", got)
	}
	if got := Median(ms(3, 1, 2)); got != 2*time.Millisecond {
		t.Errorf("Median odd = %s", got)
	}
	if got := Percentile(s, 90); got != 9*time.Millisecond {
		t.Errorf("p90 = %s", got)
	}
	if got := Percentile(ms(7), 90); got != 7*time.Millisecond {
		t.Errorf("p90 of one = %s", got)
	}
	if !slices.Equal(s, ms(10, 1, 9, 2, 8, 3, 7, 4, 6, 5)) {
		t.Error("samples were reordered in place")
	}
}

func TestMarkdown(t *testing.T) {
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	r := Report{
		HostOS: "linux", HostArch: "amd64", GoVersion: "go1.26", Runs: 2, Warmup: 1,
		BuildFlags: DefaultBuildFlags,
		Rows: []Row{
			{Name: "hello", ArmSize: 4 << 20, HostSize: 5 << 20, Result: Result{Samples: []time.Duration{ms(2), ms(2)}}},
			{Name: "floor-store", ArmSize: 6 << 20, HostSize: 6 << 20, Result: Result{Samples: []time.Duration{ms(3), ms(3)}}},
			{Name: "ingest", ArmSize: 12 << 20, HostSize: 10 << 20, Floor: "floor-store", Result: Result{
				Samples:  []time.Duration{ms(5), ms(3)},
				AWSCalls: []string{"AmazonSSM.GetParameters", "AmazonSSM.GetParameters", "DynamoDB_20120810.DescribeTable"},
			}},
			{Name: "planner", ArmSize: 1, HostSize: 1, Result: Result{Err: fmt.Errorf("%w (10s); output: stuck", ErrTimeout)}},
			{Name: "respond", BuildErr: errors.New("undefined: x\nmore")},
		},
	}
	md := r.Markdown()
	for _, want := range []string{
		"| hello (baseline) | 4.00 MiB (1.00×) | 5.00 MiB (1.00×) | 2.0 ms (1.00×) | 2.0 ms | — | none |",
		"| floor-store | 6.00 MiB (1.50×) | 6.00 MiB (1.20×) | 3.0 ms (1.50×) | 3.0 ms | — | none |",
		"| ingest | 12.00 MiB (3.00×) | 10.00 MiB (2.00×) | 4.0 ms (2.00×) | 5.0 ms | 1.33× floor-store | SSM.GetParameters ×2, DynamoDB.DescribeTable |",
		"The floor-* rows are hello plus",
		"| planner |", "**failed**",
		"| respond | build failed |",
		"- **planner**: start-up: did not ask",
		"- **respond**: build: undefined: x more",
		"**Start-up is timed on linux/amd64 builds**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if !r.Failed() {
		t.Error("Failed() = false with failing rows")
	}
	r.Rows = r.Rows[:3]
	if r.Failed() || strings.Contains(r.Markdown(), "Failures") {
		t.Error("a clean run reports failures")
	}
}

// TestTail keeps only the end of long output.
func TestTail(t *testing.T) {
	tl := &tail{max: 8}
	fmt.Fprint(tl, "0123456789")
	fmt.Fprint(tl, "ab")
	if got := tl.String(); got != "456789ab" {
		t.Errorf("tail = %q", got)
	}
	if got := (&tail{max: 8}).String(); got != "(none)" {
		t.Errorf("empty tail = %q", got)
	}
}
