package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

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

	t.Setenv("AFTERCARE_WEBHOOK_SECRET", "")
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
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, srv.Client())
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
