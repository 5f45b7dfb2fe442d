package emulators

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long an emulator may take to answer. DynamoDB
// Local's JVM needs about 3 s on a quiet two-core machine; a loaded CI
// runner with several test binaries starting JVMs at once needs more.
const startTimeout = 90 * time.Second

// process is one running emulator.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *tailBuffer
}

var (
	mu      sync.Mutex
	running []*process
)

// Run runs the tests and then stops every emulator they started, returning
// the exit code for os.Exit:
//
//	func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }
func Run(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops every emulator started so far. Run calls it; call it yourself
// only from a TestMain that cannot use Run.
func Stop() {
	mu.Lock()
	ps := running
	running = nil
	mu.Unlock()
	for _, p := range ps {
		p.stop()
	}
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// spawnReq asks the spawner goroutine to start a command.
type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

// spawn starts cmd from one goroutine locked to one OS thread for the life
// of the binary. On Linux the children get a parent-death signal, which the
// kernel sends when the thread that forked them exits, not the process; a
// dedicated thread that never exits makes that signal mean "the test binary
// died", so a binary killed by a timeout leaves no JVM behind.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must outlive the children
			for r := range spawnCh {
				r.err <- r.cmd.Start()
			}
		}()
	})
	setParentDeathSignal(cmd)
	r := spawnReq{cmd: cmd, err: make(chan error, 1)}
	spawnCh <- r
	return <-r.err
}

// start runs the command built by mk for a free port and waits until ready
// reports the emulator answers. Picking a free port and handing it to a
// child races with other processes, so a start that dies early is retried
// on a new port.
func start(name string, mk func(port int) *exec.Cmd, ready func(ctx context.Context, endpoint string) error) (string, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return "", fmt.Errorf("%s: find a free port: %w", name, err)
		}
		endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
		cmd := mk(port)
		p := &process{name: name, cmd: cmd, done: make(chan struct{}), out: &tailBuffer{max: 16 << 10}}
		cmd.Stdout, cmd.Stderr = p.out, p.out
		if err := spawn(cmd); err != nil {
			return "", fmt.Errorf("%s: start %s: %w", name, cmd.Path, err)
		}
		go func() { _ = cmd.Wait(); close(p.done) }()
		mu.Lock()
		running = append(running, p)
		mu.Unlock()

		err = waitReady(p, endpoint, ready)
		if err == nil {
			return endpoint, nil
		}
		p.stop()
		lastErr = fmt.Errorf("%s on port %d: %w\n--- output ---\n%s", name, port, err, p.out.String())
		if !errors.Is(err, errExited) {
			break // it ran but never answered: a new port will not help
		}
	}
	return "", lastErr
}

var errExited = errors.New("exited before answering")

func waitReady(p *process, endpoint string, ready func(context.Context, string) error) error {
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := ready(ctx, endpoint)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v)", errExited, p.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s: %w", startTimeout, err)
		}
	}
}

// answers is a readiness probe: any HTTP response at all from path, or, if
// want is non-zero, exactly that status.
func answers(path string, want int) func(context.Context, string) error {
	return func(ctx context.Context, endpoint string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+path, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if want != 0 && resp.StatusCode != want {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return nil
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written, so a failed start can show
// why without holding an emulator's whole log in memory.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
