package emulators

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
)

var ses = emulator{name: "SES v2 emulator (aws-ses-v2-local)"}

// SES returns the endpoint (http://127.0.0.1:<port>) of an SES v2 emulator,
// started on first use and shared by the test binary. Point an sesv2 client
// at it with BaseEndpoint and any static credentials; it accepts SendEmail
// (Simple, Raw, Template) and keeps every message in memory for SESMessages.
func SES(t testing.TB) string {
	t.Helper()
	return ses.get(t, startSES)
}

func startSES() (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("node is not installed (the SES emulator needs Node.js 20+): %w", err)
	}
	d, err := dir()
	if err != nil {
		return "", err
	}
	if err := ensureInstalled(d); err != nil {
		return "", err
	}
	cli := filepath.Join(d, "node_modules", "aws-ses-v2-local", "dist", "cli.js")
	mk := func(port int) *exec.Cmd {
		// Node itself, not npx: the child is then the server, which the
		// parent-death signal and Stop reach directly.
		cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", fmt.Sprint(port))
		cmd.Dir = d
		return cmd
	}
	return start("SES v2 emulator", mk, answers("/health-check", http.StatusOK))
}

// SESMessage is one email the SES emulator accepted, as it reports it at
// GET /store. For Raw content the emulator parses the MIME message; Headers
// are reported only for Simple content.
type SESMessage struct {
	MessageID   string   `json:"messageId"`
	From        string   `json:"from"`
	ReplyTo     []string `json:"replyTo"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	Attachments []struct {
		Content     string `json:"content"` // base64
		ContentType string `json:"contentType"`
		Filename    string `json:"filename"`
		Size        int    `json:"size"`
	} `json:"attachments"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	// At is when the emulator accepted the message, in Unix seconds.
	At int64 `json:"at"`
}

// SESMessages returns every message the SES emulator at endpoint has
// accepted, oldest first. The emulator is shared by the test binary, so
// tests should tell their messages apart (a unique recipient or subject)
// rather than count all of them.
func SESMessages(t testing.TB, endpoint string) []SESMessage {
	t.Helper()
	resp, err := http.Get(endpoint + "/store")
	if err != nil {
		t.Fatalf("SES emulator store: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SES emulator store: %s", resp.Status)
	}
	var store struct {
		Emails []SESMessage `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatalf("SES emulator store: decode: %v", err)
	}
	return store.Emails
}
