package local_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"encoding/json"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// childEnv marks the test binary, started again by the fault-injection
// suite, as the local runtime: what `make dev` runs, in its own process,
// so that it can be killed at a crash point.
const childEnv = "AFTERCARE_TEST_RUNTIME_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if err := local.Main(context.Background(), os.Getenv, io.Discard, log); err != nil {
			fmt.Fprintln(os.Stderr, "runtime:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is the local runtime in its own process.
type child struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
	done chan struct{}
}

// lease is the claim lease of the children: short, so a taken-over claim
// is a second's wait.
const lease = time.Second

// startChild starts the runtime on dir, killing itself at crashAt if set.
func startChild(t *testing.T, dir, addr, crashAt string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childEnv+"=1",
		"AFTERCARE_DATA="+dir,
		"AFTERCARE_ADDR="+addr,
		"AFTERCARE_PUBLIC_URL=http://"+addr,
		"AFTERCARE_FROM=Sea Breeze Tours <care@seabreeze.example>",
		"AFTERCARE_CLAIM_LEASE="+lease.String(),
		"AFTERCARE_CRASH_AT="+crashAt,
	)
	c := &child{t: t, cmd: cmd, base: "http://" + addr, logs: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{w: c.logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(c.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return c
		}
		select {
		case <-c.done:
			t.Fatalf("runtime exited at start: %s", c.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("runtime did not start: %s", c.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedWriter lets the child's stderr be read while it is written.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// killed waits for the child to die and checks it died by SIGKILL, at the
// crash point, not by an error of its own.
func (c *child) killed() {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.t.Fatal("the runtime did not reach its crash point")
	}
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		c.t.Fatalf("runtime ended with %v, want killed at its crash point; logs:\n%s", c.cmd.ProcessState, c.logs)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// postWebhook signs and posts a native webhook; err is set when the
// connection broke (the runtime died answering it).
func (c *child) postWebhook(id string, body []byte) (int, error) {
	resp, err := http.DefaultClient.Do(signedWebhook(c.t, c.base, stdwebhooks.DevSecret, id, body))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// runDue fires every schedule due within a month; err is set when the
// connection broke.
func (c *child) runDue() (string, error) {
	until := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	resp, err := http.Post(c.base+"/dev/api/schedules/run-due?until="+url.QueryEscape(until), "", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("run-due: %s %s", resp.Status, b)
	}
	return string(b), nil
}

type faultIncident struct {
	ID    string `json:"id"`
	Steps map[string]struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"steps"`
	Scheduled map[string]any `json:"scheduled"`
}

// TestCrashPoints is the fault-injection suite. For every crash point it
// runs the local runtime as a child process that kills itself there
// (SIGKILL: nothing flushed, nothing closed), restarts it on the same data
// directory and lets it finish. Then, for every crash point: every step
// ends sent (or failed with a reason), none is left sending, the outbox
// holds exactly one message per step, and every rating link in every
// delivered email works.
func TestCrashPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	var table []string
	for _, point := range app.CrashPoints {
		t.Run(point, func(t *testing.T) {
			dir, addr := t.TempDir(), freeAddr(t)
			first := startChild(t, dir, addr, point)
			body := bookingCompleted(t, time.Now().Add(-2*time.Hour))
			code, err := first.postWebhook("msg_crash_1", body)
			if point == app.CrashAfterStore {
				if err == nil {
					t.Fatalf("webhook answered %d; the runtime should have died storing it", code)
				}
			} else {
				if err != nil || code != http.StatusAccepted {
					t.Fatalf("webhook: %d %v", code, err)
				}
				if out, err := first.runDue(); err == nil {
					t.Fatalf("run-due answered %s; the runtime should have died at %s", out, point)
				}
			}
			first.killed()

			// The same data directory, no crash point: it must finish the
			// job with no help (the sender does not retry).
			second := startChild(t, dir, addr, "")
			time.Sleep(lease + 100*time.Millisecond)
			for i := 0; i < 6; i++ {
				if _, err := second.runDue(); err != nil {
					t.Fatal(err)
				}
				var scheds []apiSchedule
				getJSONFrom(t, second.base+"/dev/api/schedules", &scheds)
				if len(scheds) == 0 {
					break
				}
				time.Sleep(lease / 2)
			}
			var incs []faultIncident
			getJSONFrom(t, second.base+"/dev/api/incidents", &incs)
			if len(incs) != 1 {
				t.Fatalf("incidents: %+v", incs)
			}
			inc := incs[0]
			var outcome []string
			for key, st := range inc.Steps {
				outcome = append(outcome, key+" "+st.Status)
				switch st.Status {
				case "sent":
				case "failed", "rejected":
					if st.Error == "" {
						t.Errorf("%s %s without a reason", key, st.Status)
					}
				default:
					t.Errorf("%s left %s after restart", key, st.Status)
				}
			}
			if len(inc.Steps) != 2 {
				t.Errorf("steps = %v; want the thank-you and its reminder", outcome)
			}
			sent := outboxSteps(t, dir)
			if strings.Join(sent, ",") != "thanks-1,thanks-1-r" {
				t.Errorf("outbox holds %v; want exactly one thanks-1 and one thanks-1-r", sent)
			}
			links := 0
			emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
			for _, name := range emls {
				for _, link := range ratingLinks(t, name, second.base) {
					links++
					resp, err := http.Get(link)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("delivered link %s answers %s", link, resp.Status)
					}
				}
			}
			if links == 0 {
				t.Error("no rating links in the delivered emails")
			}
			table = append(table, fmt.Sprintf("%-13s killed → restarted: steps %v, outbox %v, %d rating links answer 200", point, outcome, sent, links))
		})
	}
	for _, row := range table {
		t.Log(row)
	}
}

func ratingLinks(t *testing.T, path, base string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env, err := enmime.ReadEnvelope(f)
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(regexp.QuoteMeta(base)+`/r/[A-Za-z0-9_\-.]+`).FindAllString(env.Text, -1)
}

func getJSONFrom(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
