package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/local/devenv"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/calcom"
	"github.com/aftercare/aftercare/shared/providers/calendly"
	"github.com/aftercare/aftercare/shared/providers/freshdesk"
	"github.com/aftercare/aftercare/shared/providers/native"
	"github.com/aftercare/aftercare/shared/providers/zendesk"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// TestRunSignsWhatTheVerifierAccepts posts a sample body to a server that
// verifies it as the native provider does, and checks the exit codes.
func TestRunSignsWhatTheVerifierAccepts(t *testing.T) {
	v, err := stdwebhooks.NewVerifier(stdwebhooks.DevSecret)
	if err != nil {
		t.Fatal(err)
	}
	var gotID string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.Verify(r.Header, body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		gotID = r.Header.Get(stdwebhooks.HeaderID)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"accepted"}`)
	}))
	defer srv.Close()

	file := "../../../events/bodies/aftercare-booking-completed.json"
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  string
	}{
		{"file with dev secret", []string{"-url", srv.URL, "-id", "msg_test1", file}, "", 0, "202 Accepted"},
		{"stdin", []string{"-url", srv.URL, "-id", "msg_test2", "-"}, `{"type":"booking.created"}`, 0, `{"status":"accepted"}`},
		{"wrong secret is rejected", []string{"-url", srv.URL, "-secret", "whsec_YW5vdGhlci1zZWNyZXQtdGhhdC1kb2VzLW5vdC1tYXRjaA==", file}, "", 1, "401 Unauthorized"},
		{"malformed secret", []string{"-url", srv.URL, "-secret", "hunter2", file}, "", 1, ""},
		{"no file", []string{"-url", srv.URL}, "", 2, ""},
		{"missing file", []string{"-url", srv.URL, "no-such-file.json"}, "", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, noEnv, strings.NewReader(tt.stdin), &stdout, &stderr, srv.Client())
			if code != tt.wantCode {
				t.Fatalf("run = %d, want %d; stdout %q, stderr %q", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.wantOut)
			}
		})
	}
	if gotID != "msg_test2" {
		t.Errorf("last accepted webhook-id = %q, want msg_test2", gotID)
	}
}

func TestRandomIDIsSignable(t *testing.T) {
	a, b := randomID(), randomID()
	if a == b {
		t.Fatalf("randomID returned %q twice", a)
	}
	if _, err := stdwebhooks.Sign(stdwebhooks.DevSecret, a, time.Now(), nil); err != nil {
		t.Fatalf("Sign rejects randomID() = %q: %v", a, err)
	}
}

func TestShiftTimesKeepsTheEventCurrent(t *testing.T) {
	body, err := os.ReadFile("../../../events/bodies/aftercare-booking-completed.json")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 5, 4, 12, 0, 0, 0, time.UTC)
	out, err := shiftTimes(body, at)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OccurredAt time.Time `json:"occurred_at"`
		Booking    struct {
			Ref      string    `json:"ref"`
			StartsAt time.Time `json:"starts_at"`
			EndsAt   time.Time `json:"ends_at"`
		} `json:"booking"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	// The sample ends when it occurs and lasts 2.5 h: both survive the move.
	if !got.OccurredAt.Equal(at) || !got.Booking.EndsAt.Equal(at) || got.Booking.EndsAt.Sub(got.Booking.StartsAt) != 150*time.Minute {
		t.Fatalf("shifted: %+v", got)
	}
	if got.Booking.Ref != "BK-1042" {
		t.Fatalf("other fields must be kept: %+v", got)
	}
	if _, err := shiftTimes([]byte(`{"occurred_at":"yesterday"}`), at); err == nil {
		t.Fatal("a bad occurred_at must be an error")
	}
}

// noEnv is an environment with nothing set, as on a newcomer's laptop.
func noEnv(string) string { return "" }

// samples are the bodies in events/bodies, one per provider, each posted
// without -provider (the file name says it) and with it.
var samples = map[string]string{
	native.Name:    "aftercare-booking-completed.json",
	calcom.Name:    "calcom-booking-created.json",
	calendly.Name:  "calendly-invitee-created.json",
	zendesk.Name:   "zendesk-ticket-solved.json",
	freshdesk.Name: "freshdesk-ticket-resolved.json",
}

// receiver is a webhook endpoint that authenticates and parses deliveries
// with the real provider, built from the registry with secret, as the
// runtime builds it: 202 with the events, 401 with the reason.
func receiver(t *testing.T, p compose.Provider, secret string) (*httptest.Server, *[]domain.Event, *string) {
	t.Helper()
	built, err := p.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	var got []domain.Event
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		path = r.URL.Path
		evs, err := built.Parse(providers.Request{Header: r.Header, Query: r.URL.Query(), Body: body}, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got = evs
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"accepted"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &got, &path
}

// TestEveryProviderIsAccepted: for every provider in the registry, the
// sample body, signed by post-webhook with the secret `make dev` uses when
// nothing is set, is authenticated and parsed by that provider's own code;
// with -now its events are current; a wrong secret is refused and exits 1.
func TestEveryProviderIsAccepted(t *testing.T) {
	if len(samples) != len(compose.Providers) {
		t.Fatalf("%d samples for %d providers", len(samples), len(compose.Providers))
	}
	for _, p := range compose.Providers {
		t.Run(p.Name, func(t *testing.T) {
			secret, ok := devenv.Secret(noEnv, p.Setting)
			if !ok {
				t.Fatalf("no dev secret for %s", p.Name)
			}
			srv, got, _ := receiver(t, p, secret)
			file := filepath.Join("..", "..", "..", "events", "bodies", samples[p.Name])
			for _, args := range [][]string{
				{"-url", srv.URL, "-now", file},
				{"-url", srv.URL, "-provider", p.Name, "-now", file},
			} {
				*got = nil
				var stdout, stderr bytes.Buffer
				if code := run(args, noEnv, nil, &stdout, &stderr, srv.Client()); code != 0 {
					t.Fatalf("run %v = %d; stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
				}
				if len(*got) == 0 {
					t.Fatal("the provider parsed no event")
				}
				e := (*got)[0]
				if e.Provider != p.Name || e.Customer.Email != "maria@example.com" {
					t.Errorf("event %+v", e)
				}
				if d := time.Since(e.OccurredAt); p.Name != calcom.Name && p.Name != calendly.Name && (d < -time.Minute || d > 2*time.Minute) {
					t.Errorf("-now: occurred %s ago", d)
				}
				if !e.EndsAt.IsZero() && (time.Since(e.EndsAt) > 2*time.Minute || time.Until(e.EndsAt) > time.Minute) {
					t.Errorf("-now: the booking ends %s, want about now", e.EndsAt)
				}
			}
			// Signed with another secret: refused, and post-webhook says so.
			other := "whsec_YW5vdGhlci1zZWNyZXQtdGhhdC1kb2VzLW5vdC1tYXRjaA=="
			if p.Name != native.Name {
				other = "another-secret-0123456789"
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"-url", srv.URL, "-secret", other, file}, noEnv, nil, &stdout, &stderr, srv.Client()); code != 1 || !strings.Contains(stdout.String(), "401") {
				t.Fatalf("wrong secret: run = %d, stdout %q", code, stdout.String())
			}
		})
	}
}

// TestSecretFromTheRuntimesVariable: the secret is the one the runtime
// reads from its variable (the first while rotating), not the dev default.
func TestSecretFromTheRuntimesVariable(t *testing.T) {
	p := compose.Providers[slices.IndexFunc(compose.Providers, func(p compose.Provider) bool { return p.Name == zendesk.Name })]
	srv, got, _ := receiver(t, p, "the-operators-zendesk-secret")
	env := func(k string) string {
		if k == compose.ZendeskSecret {
			return "the-operators-zendesk-secret, the-old-one"
		}
		return ""
	}
	file := filepath.Join("..", "..", "..", "events", "bodies", samples[zendesk.Name])
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-url", srv.URL, file}, env, nil, &stdout, &stderr, srv.Client()); code != 0 || len(*got) != 1 {
		t.Fatalf("run = %d, %d events; stdout %q, stderr %q", code, len(*got), stdout.String(), stderr.String())
	}
	// The dev default no longer matches a runtime given its own secret.
	if code := run([]string{"-url", srv.URL, file}, noEnv, nil, &stdout, &stderr, srv.Client()); code != 1 {
		t.Fatalf("with the dev default: run = %d, want 1", code)
	}
	off := func(k string) string {
		if k == compose.ZendeskSecret {
			return "off"
		}
		return ""
	}
	stderr.Reset()
	if code := run([]string{"-url", srv.URL, file}, off, nil, &stdout, &stderr, srv.Client()); code != 2 || !strings.Contains(stderr.String(), compose.ZendeskSecret) {
		t.Fatalf("provider off: run = %d, stderr %q", code, stderr.String())
	}
}

// TestFollowsAftercareAddr: with no -url, post-webhook posts to the
// provider's route at $AFTERCARE_ADDR, and fails loudly when nothing
// listens there or something else answers.
func TestFollowsAftercareAddr(t *testing.T) {
	p := compose.Providers[slices.IndexFunc(compose.Providers, func(p compose.Provider) bool { return p.Name == calcom.Name })]
	srv, got, path := receiver(t, p, devenv.CalcomSecret)
	addr := strings.TrimPrefix(srv.URL, "http://")
	env := func(k string) string {
		if k == EnvAddr {
			return addr
		}
		return ""
	}
	file := filepath.Join("..", "..", "..", "events", "bodies", samples[calcom.Name])
	var stdout, stderr bytes.Buffer
	if code := run([]string{file}, env, nil, &stdout, &stderr, srv.Client()); code != 0 || len(*got) == 0 || *path != "/webhooks/calcom" {
		t.Fatalf("run = %d, %d events at %q; stderr %q", code, len(*got), *path, stderr.String())
	}

	// Nothing listens: a non-zero exit that says what to check.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	stderr.Reset()
	code := run([]string{file}, func(k string) string {
		if k == EnvAddr {
			return closed
		}
		return ""
	}, nil, &stdout, &stderr, &http.Client{Timeout: 5 * time.Second})
	if code != 1 || !strings.Contains(stderr.String(), "cannot reach Aftercare") || !strings.Contains(stderr.String(), EnvAddr) {
		t.Fatalf("nothing listening: run = %d, stderr %q", code, stderr.String())
	}

	// Another program answers 200: not a success.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>my other app</html>")
	}))
	defer other.Close()
	stderr.Reset()
	if code := run([]string{"-url", other.URL, file}, noEnv, nil, &stdout, &stderr, other.Client()); code != 1 || !strings.Contains(stderr.String(), "another program") {
		t.Fatalf("another program: run = %d, stderr %q", code, stderr.String())
	}
}

func TestDefaultURL(t *testing.T) {
	tests := []struct{ addr, provider, want string }{
		{"", "aftercare", "http://127.0.0.1:3000/webhooks/aftercare"},
		{"127.0.0.1:3001", "calcom", "http://127.0.0.1:3001/webhooks/calcom"},
		{":3001", "zendesk", "http://127.0.0.1:3001/webhooks/zendesk"},
		{"0.0.0.0:3002", "freshdesk", "http://127.0.0.1:3002/webhooks/freshdesk"},
		{"[::]:3003", "calendly", "http://[::1]:3003/webhooks/calendly"},
		{"localhost:8080", "aftercare", "http://localhost:8080/webhooks/aftercare"},
	}
	for _, tt := range tests {
		got := defaultURL(func(k string) string {
			if k == EnvAddr {
				return tt.addr
			}
			return ""
		}, tt.provider)
		if got != tt.want {
			t.Errorf("AFTERCARE_ADDR=%q: %s, want %s", tt.addr, got, tt.want)
		}
	}
}

func TestPickProvider(t *testing.T) {
	tests := []struct{ flag, file, want string }{
		{"", "events/bodies/calcom-booking-created.json", calcom.Name},
		{"", "events/bodies/aftercare-ticket-solved.json", native.Name},
		{"", "-", native.Name},
		{"", "my-body.json", native.Name},
		{zendesk.Name, "events/bodies/calcom-booking-created.json", zendesk.Name},
	}
	for _, tt := range tests {
		if p, err := pickProvider(tt.flag, tt.file); err != nil || p.Name != tt.want {
			t.Errorf("pickProvider(%q, %q) = %q, %v; want %q", tt.flag, tt.file, p.Name, err, tt.want)
		}
	}
	if _, err := pickProvider("hubspot", "x.json"); err == nil || !strings.Contains(err.Error(), "calendly") {
		t.Errorf("an unknown provider: %v, want an error listing the known ones", err)
	}
}

// TestShiftAll: the latest time becomes now, the others keep their
// distance to it and their layout, and the rest of the body is kept.
func TestShiftAll(t *testing.T) {
	body := []byte(`{"id": 1042, "created": "2026-11-18T09:00:00.000Z", "when": {"start": "2026-11-20T15:00:00Z", "end": "2026-11-20T17:30:00Z"}, "zd": ["2026-11-20T17:00Z"], "note": "<b>2026</b>"}`)
	at := time.Date(2031, 5, 4, 12, 0, 0, 0, time.UTC)
	out, err := shiftAll(body, at)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	when := got["when"].(map[string]any)
	if when["end"] != "2031-05-04T12:00:00Z" || when["start"] != "2031-05-04T09:30:00Z" ||
		got["created"] != "2031-05-02T03:30:00Z" || got["zd"].([]any)[0] != "2031-05-04T11:30Z" {
		t.Fatalf("shifted: %s", out)
	}
	if got["note"] != "<b>2026</b>" || !bytes.Contains(out, []byte(`"id": 1042`)) {
		t.Fatalf("other fields must be kept as written: %s", out)
	}
	noTimes := []byte(`{"ticket": {"id": "88"}}`)
	if out, err := shiftAll(noTimes, at); err != nil || !bytes.Equal(out, noTimes) {
		t.Fatalf("a body without times: %s, %v", out, err)
	}
}
