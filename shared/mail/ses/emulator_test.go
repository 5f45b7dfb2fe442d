package ses_test

import (
	"context"
	"fmt"
	netmail "net/mail"
	"os"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/emulators"
	"github.com/aftercare/aftercare/shared/mail/ses"
)

func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }

// TestSendThroughEmulator sends through aws-ses-v2-local and reads back what
// it stored. The emulator records subject, bodies, addresses and custom
// headers but not tags; the request-shape tests cover those.
func TestSendThroughEmulator(t *testing.T) {
	endpoint := emulators.SES(t)
	s := ses.New(newClient(endpoint), ses.Config{ConfigurationSet: "aftercare-events"})

	m := greek()
	// The emulator is shared by the test binary: a unique recipient finds ours.
	m.To.Address = fmt.Sprintf("guest-%d@guest.example", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := s.Send(ctx, m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}

	var got *emulators.SESMessage
	for _, e := range emulators.SESMessages(t, endpoint) {
		if e.MessageID == id {
			got = &e
			break
		}
	}
	if got == nil {
		t.Fatalf("emulator has no message with id %q", id)
	}

	if got.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, m.Subject)
	}
	if got.Body.HTML != m.HTML || got.Body.Text != m.Text {
		t.Errorf("body = %q / %q, want %q / %q", got.Body.HTML, got.Body.Text, m.HTML, m.Text)
	}
	checkAddress(t, "from", got.From, m.From)
	if len(got.Destination.To) != 1 {
		t.Fatalf("to = %d addresses, want 1", len(got.Destination.To))
	}
	checkAddress(t, "to", got.Destination.To[0], m.To)
	if len(got.Destination.Cc)+len(got.Destination.Bcc) != 0 {
		t.Errorf("cc/bcc = %d/%d addresses, want none", len(got.Destination.Cc), len(got.Destination.Bcc))
	}
	if len(got.ReplyTo) != 1 {
		t.Fatalf("reply-to = %d addresses, want 1", len(got.ReplyTo))
	}
	checkAddress(t, "reply-to", got.ReplyTo[0], netmail.Address{Name: "Reception", Address: "reception@aftercare.example"})

	headers := map[string]string{}
	for _, h := range got.Headers {
		headers[h.Name] = h.Value
	}
	for name, want := range map[string]string{
		"List-Unsubscribe":       m.Headers["List-Unsubscribe"],
		"List-Unsubscribe-Post":  "List-Unsubscribe=One-Click",
		"X-Aftercare-Message-ID": m.MessageID,
	} {
		if headers[name] != want {
			t.Errorf("header %s = %q, want %q", name, headers[name], want)
		}
	}
	if len(got.Headers) != 3 {
		t.Errorf("%d headers stored, want 3", len(got.Headers))
	}
}

// checkAddress decodes an address as a mail client would and compares it,
// so the RFC 2047 encoding of Greek names is checked end to end. Failures
// do not print the address itself.
func checkAddress(t *testing.T, field, raw string, want netmail.Address) {
	t.Helper()
	a, err := netmail.ParseAddress(raw)
	if err != nil {
		t.Errorf("%s does not parse: %v", field, err)
		return
	}
	if a.Name != want.Name {
		t.Errorf("%s display name = %q, want %q", field, a.Name, want.Name)
	}
	if a.Address != want.Address {
		t.Errorf("%s address differs from the one sent", field)
	}
}
