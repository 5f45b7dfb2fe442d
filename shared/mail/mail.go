// Package mail defines the outgoing email port. Adapters: outbox (.eml
// files, for the local runtime), smtp, and ses (SES v2 on AWS). Rendering
// lives in mail/render.
package mail

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
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
