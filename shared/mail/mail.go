// Package mail defines the outgoing email port. Adapters: outbox (.eml
// files, for the local runtime), smtp, and ses (SES v2 on AWS). Rendering
// lives in mail/render.
package mail

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Message is one rendered email, ready to send.
type Message struct {
	From    mail.Address
	To      mail.Address
	ReplyTo string
	Subject string
	HTML    string
	Text    string
	// MessageID is deterministic per incident and step ("<key.incident@domain>"),
	// so a recipient's client can spot a duplicate.
	MessageID string
	Date      time.Time
	// Headers are extra headers such as List-Unsubscribe. Values are
	// encoded by the adapter; names must be valid header names.
	Headers map[string]string
	// Tags label the message for the provider's event stream (incident, step).
	Tags map[string]string
	// Attachments travel with the message (a booking's .ics calendar
	// entry); every sender writes them as parts of the same MIME message.
	Attachments []Attachment
}

// Attachment is one file sent with a message. Name is the file name the
// recipient sees (plain ASCII, no path); ContentType its MIME type with
// parameters ("text/calendar; charset=utf-8; method=PUBLISH").
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// MaxAttachment bounds one attachment: an .ics is a few kilobytes, and a
// large file has no place in a follow-up email (SES's limit is 40 MB for
// the whole message).
const MaxAttachment = 256 << 10

// plainAttachmentName keeps file names plain: no path, no quoting trouble
// in a Content-Disposition header, an extension. It is the pattern
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.[A-Za-z0-9]{1,8}$ checked byte by
// byte, since every function that links this package would otherwise
// compile its 64-fold repetition at cold start.
func plainAttachmentName(s string) bool {
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
	dot := strings.LastIndexByte(s, '.')
	if dot < 1 || dot > 64 || len(s)-dot-1 < 1 || len(s)-dot-1 > 8 || !alnum(s[0]) {
		return false
	}
	for i := 1; i < dot; i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	for i := dot + 1; i < len(s); i++ {
		if !alnum(s[i]) {
			return false
		}
	}
	return true
}

// Check reports what makes an attachment unsendable: a name that is not a
// plain file name, a bad content type, no data or too much.
func (a Attachment) Check() error {
	if !plainAttachmentName(a.Name) {
		return fmt.Errorf("attachment name %q must be a plain file name with an extension", a.Name)
	}
	if _, _, err := mime.ParseMediaType(a.ContentType); err != nil || strings.ContainsAny(a.ContentType, "\r\n") {
		return fmt.Errorf("attachment %s: bad content type %q", a.Name, a.ContentType)
	}
	if len(a.Data) == 0 || len(a.Data) > MaxAttachment {
		return fmt.Errorf("attachment %s: %d bytes, want 1 to %d", a.Name, len(a.Data), MaxAttachment)
	}
	return nil
}

// ErrPermanent wraps send failures that a retry cannot fix (a rejected
// address, a message too large); anything else may be retried.
var ErrPermanent = errors.New("permanent send failure")

// Sender sends messages, returning the provider's message id.
type Sender interface {
	Send(ctx context.Context, m Message) (string, error)
}

var emailLike = regexp.MustCompile(`[^\s<>()\[\],;:"'@]+@[^\s<>()\[\],;:"'@]+`)

// Redact replaces anything that looks like an email address in s with
// "<redacted>". Mail servers name the rejected recipient in their errors,
// and errors end up in logs, which must never hold an address.
func Redact(s string) string { return emailLike.ReplaceAllString(s, "<redacted>") }
