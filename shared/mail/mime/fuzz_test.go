package mime

import (
	"bytes"
	"errors"
	stdmime "mime"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
)

// FuzzBuild builds messages from arbitrary names, subject, bodies and one
// custom header. Build must not panic; it refuses with ErrInvalid, or
// writes a message that parses as MIME, whose every line fits 998 octets,
// whose headers are exactly those it was asked for (nothing injected), and
// whose To name and subject read back as DisplayName and OneLine say.
func FuzzBuild(f *testing.F) {
	// Short seeds keep the mutator fast; the long words the hostile table
	// tests in full are represented by two.
	for name, s := range hostile {
		if len(s) > 120 {
			s = string([]rune(s)[:40])
		}
		f.Add(s, s, "text "+name, "<p>"+name+"</p>", "X-Campaign", s)
	}
	f.Add(strings.Repeat(`"`, 500), strings.Repeat("a", 1000), "", "<p>x</p>", "X-A", "b")
	f.Add("Μαρία", "Σας ευχαριστούμε", "Γεια σας,\nευχαριστούμε.\n", "<p>Γεια</p>", "List-Unsubscribe", "<https://care.example/u/tok>")
	f.Add("", "", "", "", "", "")
	f.Add("a", "b", strings.Repeat("x", 1000), "", "X-A", strings.Repeat("y", 901))
	f.Add("Eve\r\nBcc: v@x.example", "Hi\r\nBcc: v@x.example", "\r\n.\r\n", "", "X-A", "v\r\nBcc: v@x.example")
	f.Fuzz(func(t *testing.T, name, subject, text, html, hname, hvalue string) {
		m := mail.Message{
			From:      netmail.Address{Name: "Sea Breeze " + name, Address: "care@seabreeze.example"},
			To:        netmail.Address{Name: name, Address: "maria@example.gr"},
			ReplyTo:   "desk@seabreeze.example",
			Subject:   subject,
			Text:      text,
			HTML:      html,
			MessageID: "<fuzz@seabreeze.example>",
			Tags:      map[string]string{"step": hvalue},
		}
		if hname != "" {
			m.Headers = map[string]string{hname: hvalue}
		}
		raw, err := Build(m)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Build error %v is not ErrInvalid", err)
			}
			return
		}
		for i, line := range bytes.Split(raw, []byte("\r\n")) {
			if len(line) > 998 {
				t.Fatalf("line %d is %d octets", i+1, len(line))
			}
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
		}
		allowed := map[string]bool{
			"From": true, "To": true, "Reply-To": true, "Subject": true, "Date": true, "Message-Id": true,
			"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true, "X-Aftercare-Step": true,
		}
		if hname != "" {
			allowed[textproto.CanonicalMIMEHeaderKey(hname)] = true
		}
		for k, v := range msg.Header {
			if !allowed[k] || len(v) != 1 {
				t.Fatalf("header %s (%d values) was not asked for:\n%s", k, len(v), raw)
			}
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != m.To.Address || to[0].Name != DisplayName(name) {
			t.Fatalf("To = %q (%v); want %q <%s>", msg.Header.Get("To"), err, DisplayName(name), m.To.Address)
		}
		var dec stdmime.WordDecoder
		if got, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || got != OneLine(subject) {
			t.Fatalf("Subject = %q (%v); want %q", got, err, OneLine(subject))
		}
		if _, err := enmime.ReadEnvelope(bytes.NewReader(raw)); err != nil {
			t.Fatalf("enmime cannot read the message: %v", err)
		}
	})
}
