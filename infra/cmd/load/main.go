// Command load is a bounded load test of the local runtime over loopback:
// `make load`. It starts the runtime in this process on a fresh data
// directory on disk (never tmpfs: the point is to pay for real fsyncs),
// posts N signed native webhooks with distinct refs from C concurrent
// connections, then fires every resulting follow-up with one
// POST /dev/api/schedules/run-due, and prints throughput, latency, the
// machine's load average, and whether the targets were met:
//
//	go run ./infra/cmd/load -n 2000 -c 16
//
// A 202 still means stored: the runtime's writes are group commits (one
// fsync for all the writes waiting for it), not skipped syncs. The tool
// checks that every accepted webhook is an incident and every fired
// schedule an email in the outbox, and exits 1 when something is missing
// or a target is missed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Targets (issue 9).
const (
	targetWebhooks = 1500.0 // per second
	targetP99      = 30 * time.Millisecond
	targetEmails   = 400.0 // per second
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	n, c    int
	timeout time.Duration
	dir     string
	body    string
	keep    bool
	logFile string
	profile string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.n, "n", 3000, "webhooks to post (1..100000)")
	fs.IntVar(&o.c, "c", 16, "concurrent connections (1..256)")
	fs.DurationVar(&o.timeout, "timeout", 50*time.Second, "give up after this long (at most 10m)")
	fs.StringVar(&o.dir, "dir", "", "parent of the temporary data directory (default: ./bin, else the system temp directory; tmpfs is refused)")
	fs.StringVar(&o.body, "body", "events/bodies/aftercare-booking-completed.json", "native webhook body to post, with distinct refs")
	fs.BoolVar(&o.keep, "keep", false, "keep the data directory afterwards")
	fs.StringVar(&o.logFile, "log", "", "write the runtime's JSON log to this file (default: no log)")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the webhooks to FILE.hooks and of run-due to FILE.due")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.n < 1 || o.n > 100000 || o.c < 1 || o.c > 256 || o.timeout <= 0 || o.timeout > 10*time.Minute {
		fmt.Fprintln(stderr, "load: -n must be 1..100000, -c 1..256, -timeout at most 10m")
		return 2
	}
	ok, err := load(o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

func load(o options, out io.Writer) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	template, err := os.ReadFile(o.body)
	if err != nil {
		return false, err
	}
	parent, fsName, err := dataParent(o.dir)
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp(parent, "load-")
	if err != nil {
		return false, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	log := slog.New(slog.DiscardHandler)
	if o.logFile != "" {
		f, err := os.Create(o.logFile)
		if err != nil {
			return false, err
		}
		defer f.Close()
		log = slog.New(slog.NewJSONHandler(f, nil))
	}

	// The runtime, as `make dev` starts it, on loopback only.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"AFTERCARE_DATA": dir, "AFTERCARE_ADDR": ln.Addr().String(), "AFTERCARE_PUBLIC_URL": base,
	}
	cfg, err := local.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		return false, err
	}
	rt, err := local.Open(cfg, log)
	if err != nil {
		return false, err
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- rt.Serve(serveCtx, ln) }()
	defer func() {
		stopServe()
		<-served
		rt.Close()
	}()

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: o.c, MaxIdleConnsPerHost: o.c, MaxConnsPerHost: o.c,
		DisableCompression: true, Proxy: nil,
	}}
	fmt.Fprintf(out, "load: %d webhooks from %d connections to %s; data in %s (%s); %d CPUs, GOMAXPROCS %d\n",
		o.n, o.c, base, dir, fsName, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	loadBefore := loadavg()

	// Webhooks: every request is built and signed before the clock starts.
	reqs, err := buildWebhooks(template, cfg.WebhookSecrets[0], o.n)
	if err != nil {
		return false, err
	}
	stopProfile := startProfile(o.profile, ".hooks")
	cpu := cpuTime()
	hooks := postAll(ctx, client, base+"/webhooks/aftercare", reqs, o.c)
	hookCPU := cpuTime() - cpu
	stopProfile()
	lat := hooks.latencies
	slices.Sort(lat)
	hookRate := float64(hooks.accepted) / hooks.elapsed.Seconds()
	fmt.Fprintf(out, "webhooks: %d accepted (202) of %d in %s = %.0f/s; latency p50 %s, p90 %s, p99 %s, max %s\n",
		hooks.accepted, o.n, round(hooks.elapsed), hookRate,
		round(pct(lat, 50)), round(pct(lat, 90)), round(pct(lat, 99)), round(pct(lat, 100)))
	fmt.Fprintf(out, "  CPU of this process (runtime and client): %s = %.2f of %d cores\n",
		round(hookCPU), hookCPU.Seconds()/hooks.elapsed.Seconds(), runtime.NumCPU())
	for _, e := range hooks.errors {
		fmt.Fprintln(out, "  error:", e)
	}
	loadHooks := loadavg()

	// Every follow-up, fired at once: the schedules are due the next day.
	pending, err := countSchedules(ctx, client, base)
	if err != nil {
		return false, err
	}
	until := time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)
	stopProfile = startProfile(o.profile, ".due")
	start, cpu := time.Now(), cpuTime()
	fired, failed, err := runDue(ctx, client, base, until)
	dueCPU := cpuTime() - cpu
	stopProfile()
	if err != nil {
		return false, err
	}
	dueElapsed := time.Since(start)
	sent := fired - failed
	emailRate := float64(sent) / dueElapsed.Seconds()
	fmt.Fprintf(out, "run-due: %d schedules pending, %d fired, %d emails in %s = %.0f emails/s (%d failed)\n",
		pending, fired, sent, round(dueElapsed), emailRate, failed)
	fmt.Fprintf(out, "  CPU of this process: %s = %.2f of %d cores\n", round(dueCPU), dueCPU.Seconds()/dueElapsed.Seconds(), runtime.NumCPU())
	loadAfter := loadavg()
	fmt.Fprintf(out, "load average (1m 5m 15m): before %s, after webhooks %s, after run-due %s\n", loadBefore, loadHooks, loadAfter)

	// Nothing accepted may be missing.
	stored, err := countIncidents(ctx, client, base)
	if err != nil {
		return false, err
	}
	emls, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "durability: %d incidents stored for %d accepted webhooks; %d .eml files for %d emails\n",
		stored, hooks.accepted, len(emls), sent)

	ok := true
	check := func(good bool, format string, a ...any) {
		verdict := "met"
		if !good {
			verdict, ok = "MISSED", false
		}
		fmt.Fprintf(out, "target %-28s %s\n", fmt.Sprintf(format, a...), verdict)
	}
	check(hookRate >= targetWebhooks, "webhooks ≥ %.0f/s:", targetWebhooks)
	check(pct(lat, 99) <= targetP99, "webhook p99 ≤ %s:", targetP99)
	check(emailRate >= targetEmails, "run-due ≥ %.0f emails/s:", targetEmails)
	check(hooks.accepted == o.n && stored == hooks.accepted, "every webhook stored:")
	check(fired == pending && failed == 0 && len(emls) == sent && sent == hooks.accepted, "every email sent:")
	return ok, nil
}

// dataParent picks where the data directory goes: the flag, else ./bin,
// else the system temp directory, skipping any on tmpfs or ramfs, where
// fsync costs nothing and the test would prove nothing.
func dataParent(flagDir string) (string, string, error) {
	candidates := []string{"bin", os.TempDir()}
	if flagDir != "" {
		candidates = []string{flagDir}
	}
	var refused []string
	for _, d := range candidates {
		if err := os.MkdirAll(d, 0o755); err != nil {
			refused = append(refused, d+": "+err.Error())
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", "", err
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(abs, &st); err != nil {
			refused = append(refused, abs+": "+err.Error())
			continue
		}
		name := fsType(int64(st.Type))
		if name == "tmpfs" || name == "ramfs" {
			refused = append(refused, abs+" is on "+name)
			continue
		}
		return abs, name, nil
	}
	return "", "", fmt.Errorf("no directory on disk for the data (%s); pass -dir", strings.Join(refused, "; "))
}

func fsType(magic int64) string {
	switch magic {
	case 0x01021994:
		return "tmpfs"
	case 0x858458f6:
		return "ramfs"
	case 0xef53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683e:
		return "btrfs"
	case 0x794c7630:
		return "overlayfs"
	}
	return "filesystem 0x" + strconv.FormatInt(magic, 16)
}

// webhook is one prepared request.
type webhook struct {
	id, ts, sig string
	body        []byte
}

// buildWebhooks makes n copies of the body with distinct refs and
// guests, moved to
// now (as post-webhook -now does), each signed as a Standard Webhooks
// sender signs it.
func buildWebhooks(template []byte, secret string, n int) ([]webhook, error) {
	var m map[string]any
	if err := json.Unmarshal(template, &m); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	now := time.Now()
	shift(m, now.Add(-time.Minute))
	obj, kind := m["booking"].(map[string]any), "booking"
	if obj == nil {
		obj, kind = m["ticket"].(map[string]any), "ticket"
	}
	if obj == nil {
		return nil, errors.New("body: no booking or ticket object to give distinct refs")
	}
	run := strconv.FormatInt(now.UnixNano()%1e9, 36)
	out := make([]webhook, n)
	customer, _ := m["customer"].(map[string]any)
	if customer == nil {
		return nil, errors.New("body: no customer object to give distinct addresses")
	}
	for i := range out {
		obj["ref"] = fmt.Sprintf("LOAD-%s-%06d", run, i)
		m[kind] = obj
		// A guest each, as a day's bookings are: one person's second
		// survey within the survey budget would (rightly) not be sent.
		customer["email"] = fmt.Sprintf("guest-%s-%06d@example.com", run, i)
		m["customer"] = customer
		body, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("msg_load_%s_%06d", run, i)
		sig, err := stdwebhooks.Sign(secret, id, now, body)
		if err != nil {
			return nil, err
		}
		out[i] = webhook{id: id, ts: strconv.FormatInt(now.Unix(), 10), sig: sig, body: body}
	}
	return out, nil
}

// shift moves occurred_at to at, and the booking's or ticket's times by
// the same amount.
func shift(m map[string]any, at time.Time) {
	occurred, _ := m["occurred_at"].(string)
	t, err := time.Parse(time.RFC3339, occurred)
	if err != nil {
		m["occurred_at"] = at.UTC().Format(time.RFC3339)
		return
	}
	delta := at.Sub(t)
	m["occurred_at"] = at.UTC().Format(time.RFC3339)
	for _, kind := range []string{"booking", "ticket"} {
		obj, _ := m[kind].(map[string]any)
		for _, key := range []string{"starts_at", "ends_at"} {
			if v, ok := obj[key].(string); ok {
				if t, err := time.Parse(time.RFC3339, v); err == nil {
					obj[key] = t.Add(delta).UTC().Format(time.RFC3339)
				}
			}
		}
	}
}

type hookResults struct {
	accepted  int
	elapsed   time.Duration
	latencies []time.Duration
	errors    []string
}

// postAll posts every webhook from c workers, one connection each.
func postAll(ctx context.Context, client *http.Client, endpoint string, reqs []webhook, c int) hookResults {
	var (
		next     atomic.Int64
		accepted atomic.Int64
		mu       sync.Mutex
		res      hookResults
		wg       sync.WaitGroup
	)
	res.latencies = make([]time.Duration, 0, len(reqs))
	start := time.Now()
	for range c {
		wg.Go(func() {
			lat := make([]time.Duration, 0, len(reqs)/c+1)
			var errs []string
			defer func() {
				mu.Lock()
				res.latencies = append(res.latencies, lat...)
				if len(res.errors) < 5 {
					res.errors = append(res.errors, errs...)
				}
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				w := reqs[i]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(w.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(stdwebhooks.HeaderID, w.id)
				req.Header.Set(stdwebhooks.HeaderTimestamp, w.ts)
				req.Header.Set(stdwebhooks.HeaderSignature, w.sig)
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if len(errs) < 5 {
						errs = append(errs, err.Error())
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t))
				if resp.StatusCode == http.StatusAccepted && bytes.Contains(body, []byte(`"incident_id"`)) {
					accepted.Add(1)
				} else if len(errs) < 5 {
					errs = append(errs, resp.Status+": "+strings.TrimSpace(string(body)))
				}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.accepted = int(accepted.Load())
	return res
}

// runDue fires everything due by until and counts the fires and failures.
func runDue(ctx context.Context, client *http.Client, base, until string) (fired, failed int, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/dev/api/schedules/run-due?until="+url.QueryEscape(until), nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("run-due: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, 0, fmt.Errorf("run-due: %s %s", resp.Status, b)
	}
	var out struct {
		Fired []struct {
			Error string `json:"error"`
		} `json:"fired"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, 0, fmt.Errorf("run-due: %w", err)
	}
	for _, f := range out.Fired {
		if f.Error != "" {
			failed++
		}
	}
	return len(out.Fired), failed, nil
}

// countIncidents pages through /dev/api/incidents, following its cursor.
func countIncidents(ctx context.Context, client *http.Client, base string) (int, error) {
	return countPages(ctx, client, base+"/dev/api/incidents?limit=500", "before")
}

// countSchedules pages through /dev/api/schedules, following its cursor.
func countSchedules(ctx context.Context, client *http.Client, base string) (int, error) {
	return countPages(ctx, client, base+"/dev/api/schedules?limit=500", "after")
}

// countPages counts the items of a paged JSON array API, passing the
// X-Next-Cursor of each page as param of the next, to the end.
func countPages(ctx context.Context, client *http.Client, first, param string) (int, error) {
	total, cursor := 0, ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			return 0, fmt.Errorf("%s: more than 1000 pages", first)
		}
		u := first
		if cursor != "" {
			u += "&" + param + "=" + url.QueryEscape(cursor)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		var items []json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&items)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%s: %s %v", u, resp.Status, err)
		}
		total += len(items)
		if cursor = resp.Header.Get("X-Next-Cursor"); cursor == "" {
			return total, nil
		}
	}
}

// startProfile profiles the CPU into path+suffix until the returned
// function is called; no path, no profile.
func startProfile(path, suffix string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path + suffix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "load: profile:", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg is the first three fields of /proc/loadavg, or "n/a".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "n/a"
}

// pct is the p-th percentile of sorted durations.
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
