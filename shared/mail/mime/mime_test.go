package mime

import (
	"bytes"
	"errors"
	stdmime "mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
)

func message() mail.Message {
	return mail.Message{
		From:      netmail.Address{Name: "Sea Breeze Tours", Address: "care@seabreeze.example"},
		To:        netmail.Address{Name: "Μαρία Παπαδοπούλου", Address: "maria@example.gr"},
		ReplyTo:   "Front desk <desk@seabreeze.example>",
		Subject:   "Σας ευχαριστούμε, Μαρία! Πώς σας φάνηκε;",
		Text:      "Γεια σας,\nευχαριστούμε.\n",
		HTML:      "<p>Γεια σας,</p><p>ευχαριστούμε.</p>",
		MessageID: "<thanks-1.inc_abc@seabreeze.example>",
		Date:      time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://care.example/u/tok>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
		Tags: map[string]string{"incident": "inc_abc", "step": "thanks-1"},
	}
}

func build(t *testing.T, m mail.Message) []byte {
	t.Helper()
	raw, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		to      netmail.Address
		subject string
	}{
		{"greek", netmail.Address{Name: "Μαρία Παπαδοπούλου", Address: "maria@example.gr"}, "Σας ευχαριστούμε, Μαρία! Πώς σας φάνηκε;"},
		{"spanish accents", netmail.Address{Name: "José Núñez", Address: "jose@example.es"}, "¡Gracias, José! ¿Qué tal fue?"},
		{"quotes", netmail.Address{Name: `Jane "JJ" O'Neil`, Address: "jane@example.com"}, `How did we do with "Refund"?`},
		{"comma in name", netmail.Address{Name: "Doe, Jane", Address: "jane.doe@example.com"}, "How did we do?"},
		{"long greek subject", netmail.Address{Name: "Ελένη", Address: "eleni@example.gr"}, strings.Repeat("Πώς τα πήγαμε με το αίτημά σας; ", 5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := message()
			m.To, m.Subject = tc.to, tc.subject
			raw := build(t, m)

			// net/mail: headers parse and decode to what went in.
			msg, err := netmail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			var dec stdmime.WordDecoder
			subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if want := OneLine(tc.subject); subj != want {
				t.Errorf("Subject = %q, want %q", subj, want)
			}
			to, err := msg.Header.AddressList("To")
			if err != nil || len(to) != 1 || *to[0] != tc.to {
				t.Errorf("To = %v (%v), want %v", to, err, tc.to)
			}
			from, err := msg.Header.AddressList("From")
			if err != nil || len(from) != 1 || *from[0] != m.From {
				t.Errorf("From = %v (%v), want %v", from, err, m.From)
			}
			for name, want := range map[string]string{
				"Message-Id":            m.MessageID,
				"Date":                  "Sat, 21 Nov 2026 10:00:00 +0000",
				"Reply-To":              "\"Front desk\" <desk@seabreeze.example>",
				"List-Unsubscribe":      "<https://care.example/u/tok>",
				"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
				"X-Aftercare-Incident":  "inc_abc",
				"X-Aftercare-Step":      "thanks-1",
				"Mime-Version":          "1.0",
			} {
				if got := msg.Header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			for _, line := range strings.Split(string(raw), "\r\n") {
				if len(line) > 998 {
					t.Errorf("line longer than RFC 5322 allows: %d", len(line))
				}
				for _, r := range line {
					if r > 127 {
						t.Fatalf("raw message is not 7-bit clean: %q", line)
					}
				}
			}

			// enmime: both parts present, decoded back to UTF-8.
			env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if ct := env.Root.ContentType; ct != "multipart/alternative" {
				t.Errorf("root Content-Type = %q, want multipart/alternative", ct)
			}
			if env.Text != "Γεια σας,\r\nευχαριστούμε.\r\n" && env.Text != "Γεια σας,\nευχαριστούμε.\n" {
				t.Errorf("Text = %q", env.Text)
			}
			if env.HTML != m.HTML {
				t.Errorf("HTML = %q, want %q", env.HTML, m.HTML)
			}
			if got := env.GetHeader("Subject"); got != OneLine(tc.subject) {
				t.Errorf("enmime Subject = %q", got)
			}
		})
	}
}

// TestHeaderInjection puts CR/LF into every customer-reachable header; the
// parsed message must have exactly the headers we set and no others.
func TestHeaderInjection(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*mail.Message)
	}{
		{"subject", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: victim@example.com\r\n\r\nbody" }},
		{"subject LF only", func(m *mail.Message) { m.Subject = "Hi\nBcc: victim@example.com" }},
		{"to name", func(m *mail.Message) { m.To.Name = "Eve\r\nBcc: victim@example.com" }},
		{"from name", func(m *mail.Message) { m.From.Name = "Shop\nBcc: victim@example.com" }},
		{"custom header", func(m *mail.Message) {
			m.Headers = map[string]string{"List-Unsubscribe": "<https://x.example/u>\r\nBcc: victim@example.com"}
		}},
		{"tag", func(m *mail.Message) { m.Tags = map[string]string{"step": "x\r\nBcc: victim@example.com"} }},
		{"reply-to", func(m *mail.Message) { m.ReplyTo = "desk@seabreeze.example\r\nBcc: victim@example.com" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := message()
			tc.modify(&m)
			raw, err := Build(m)
			if err != nil {
				// Refusing the message is as good as neutralising it.
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v is not ErrInvalid", err)
				}
				return
			}
			msg, err := netmail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := msg.Header["Bcc"]; ok {
				t.Fatalf("injected Bcc header: %q", v)
			}
			allowed := map[string]bool{
				"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true, "Reply-To": true,
				"Mime-Version": true, "Content-Type": true, "List-Unsubscribe": true, "List-Unsubscribe-Post": true,
				"X-Aftercare-Incident": true, "X-Aftercare-Step": true,
			}
			for k := range msg.Header {
				if !allowed[k] {
					t.Errorf("unexpected header %q in:\n%s", k, raw)
				}
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*mail.Message)
	}{
		{"no from", func(m *mail.Message) { m.From.Address = "" }},
		{"no to", func(m *mail.Message) { m.To.Address = "" }},
		{"to with a newline", func(m *mail.Message) { m.To.Address = "a@example.com\r\nBcc: b@example.com" }},
		{"to not an address", func(m *mail.Message) { m.To.Address = "not an address" }},
		{"no body", func(m *mail.Message) { m.Text, m.HTML = "", "" }},
		{"bad reply-to", func(m *mail.Message) { m.ReplyTo = "nope" }},
		{"bad message id", func(m *mail.Message) { m.MessageID = "<a b@c>" }},
		{"header name with colon", func(m *mail.Message) { m.Headers = map[string]string{"X-A: b": "c"} }},
		{"header name with newline", func(m *mail.Message) { m.Headers = map[string]string{"X-A\r\nBcc": "c"} }},
		{"header overrides To", func(m *mail.Message) { m.Headers = map[string]string{"to": "x@example.com"} }},
		{"header overrides a tag", func(m *mail.Message) { m.Headers = map[string]string{"X-Aftercare-Step": "x"} }},
		{"tag name with space", func(m *mail.Message) { m.Tags = map[string]string{"a b": "c"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := message()
			tc.modify(&m)
			if _, err := Build(m); !errors.Is(err, ErrInvalid) {
				t.Errorf("Build error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	m := message()
	m.MessageID, m.Date, m.HTML = "", time.Time{}, ""
	before := time.Now().Add(-time.Second)
	msg, err := netmail.ReadMessage(bytes.NewReader(build(t, m)))
	if err != nil {
		t.Fatal(err)
	}
	if id := msg.Header.Get("Message-Id"); !messageIDRE.MatchString(id) || !strings.HasSuffix(id, "@seabreeze.example>") {
		t.Errorf("generated Message-ID %q", id)
	}
	if d, err := msg.Header.Date(); err != nil || d.Before(before) {
		t.Errorf("Date = %v, %v; want now", d, err)
	}
	if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("text-only message has Content-Type %q", ct)
	}
}

func TestTagHeader(t *testing.T) {
	for key, want := range map[string]string{"incident": "X-Aftercare-Incident", "step": "X-Aftercare-Step", "message_type": "X-Aftercare-Message-Type"} {
		if got, err := TagHeader(key); err != nil || got != want {
			t.Errorf("TagHeader(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := NewMessageID("x@shop.example"), NewMessageID("x@shop.example")
	if a == b || !messageIDRE.MatchString(a) || !strings.HasSuffix(a, "@shop.example>") {
		t.Errorf("NewMessageID = %q, %q", a, b)
	}
	if got := NewMessageID("nonsense"); !strings.HasSuffix(got, "@aftercare.invalid>") {
		t.Errorf("NewMessageID(nonsense) = %q", got)
	}
}
