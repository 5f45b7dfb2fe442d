// Package mime writes a mail.Message as an RFC 5322 message: headers,
// RFC 2047 encoded words for non-ASCII names and subjects, and a
// multipart/alternative body with the plain-text and HTML parts in UTF-8.
// The .eml outbox and the SMTP sender share it, so what the local runtime
// shows is byte for byte what a mail server would receive.
//
// Every header value is reduced to one line before it is written: names,
// subjects and custom values come partly from customers, and a CR or LF in
// any of them must never start a header of its own.
package mime

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
)

// TagPrefix starts the header each mail.Message tag becomes: tag "step"
// is written as "X-Aftercare-Step", so the outbox and any mailbox can tell
// which incident and step a message belongs to.
const TagPrefix = "X-Aftercare-"

// ErrInvalid is wrapped by every error about a message that cannot be
// built as given; sending it again will not help.
var ErrInvalid = errors.New("invalid message")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// reserved headers are written from Message fields or by the MIME
// encoder; a custom header may not replace them.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Message-Id": true, "Reply-To": true, "Sender": true, "Return-Path": true,
	"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true,
	"Content-Disposition": true, "Content-Id": true, "Received": true,
}

var (
	headerNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,75}$`)
	messageIDRE  = regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`)
)

// Build encodes m. A zero Date means now; an empty MessageID gets a random
// one (callers that report the id should set it first, see NewMessageID).
// It fails with ErrInvalid for a message that no retry could send.
func Build(m mail.Message) ([]byte, error) {
	from, err := address("from", m.From)
	if err != nil {
		return nil, err
	}
	to, err := address("to", m.To)
	if err != nil {
		return nil, err
	}
	if m.Text == "" && m.HTML == "" {
		return nil, invalid("no body")
	}
	b := enmime.Builder().
		From(from.Name, from.Address).
		To(to.Name, to.Address).
		Subject(OneLine(m.Subject))
	if m.ReplyTo != "" {
		rt, err := netmail.ParseAddress(OneLine(m.ReplyTo))
		if err != nil {
			return nil, invalid("reply-to %q: %v", m.ReplyTo, err)
		}
		b = b.ReplyTo(OneLine(rt.Name), rt.Address)
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	b = b.Date(date)

	id := m.MessageID
	if id == "" {
		id = NewMessageID(from.Address)
	}
	if !messageIDRE.MatchString(id) {
		return nil, invalid("message id %q is not <local@domain>", id)
	}
	b = b.Header("Message-ID", id)

	for name, value := range m.Headers {
		if !headerNameRE.MatchString(name) {
			return nil, invalid("header name %q", name)
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if reserved[canon] || strings.HasPrefix(canon, TagPrefix) {
			return nil, invalid("header %s is set by the mailer", canon)
		}
		b = b.Header(canon, OneLine(value))
	}
	for key, value := range m.Tags {
		name, err := TagHeader(key)
		if err != nil {
			return nil, err
		}
		b = b.Header(name, OneLine(value))
	}
	if m.Text != "" {
		b = b.Text([]byte(crlf(m.Text)))
	}
	if m.HTML != "" {
		b = b.HTML([]byte(crlf(m.HTML)))
	}
	root, err := b.Build()
	if err != nil {
		return nil, invalid("%v", err)
	}
	var buf bytes.Buffer
	if err := root.Encode(&buf); err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return buf.Bytes(), nil
}

// TagHeader is the header a tag is written as ("step" → "X-Aftercare-Step").
func TagHeader(key string) (string, error) {
	k := strings.ReplaceAll(key, "_", "-")
	if !headerNameRE.MatchString(k) {
		return "", invalid("tag name %q", key)
	}
	return textproto.CanonicalMIMEHeaderKey(TagPrefix + k), nil
}

// address checks an envelope address and makes its display name one line.
func address(field string, a netmail.Address) (netmail.Address, error) {
	if a.Address == "" {
		return a, invalid("%s: no address", field)
	}
	p, err := netmail.ParseAddress("<" + a.Address + ">")
	if err != nil || p.Address != a.Address {
		return a, invalid("%s: %q is not a plain email address", field, a.Address)
	}
	return netmail.Address{Name: OneLine(a.Name), Address: a.Address}, nil
}

// NewMessageID returns a random, globally unique Message-ID in the sending
// domain, for messages that did not bring their own.
func NewMessageID(from string) string {
	domain := "aftercare.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" && !strings.ContainsAny(d, "<>@ \t\r\n") {
		domain = d
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// OneLine makes s safe as a header value: every run of whitespace or
// control characters, CR and LF included, becomes one space.
func OneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// crlf gives a body the CRLF line ends RFC 5322 requires; bare CR or LF
// would be rewritten differently by every relay.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
