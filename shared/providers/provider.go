// Package providers defines how a webhook sender is plugged in: each
// provider (native, calcom, calendly, zendesk, freshdesk) authenticates its
// own requests and maps its own payloads onto domain events.
package providers

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// MaxBody is the largest webhook body accepted (256 KiB); larger is 413.
const MaxBody = 256 << 10

// Request is the part of an HTTP request a provider needs. Body is the raw
// bytes, exactly as signed.
type Request struct {
	Header http.Header
	Query  url.Values
	Body   []byte
}

// Errors a provider returns; the web layer maps them to status codes in one
// place. Wrap them with detail: the message is shown to the sender.
var (
	// ErrUnauthorized: missing, bad or stale signature or token (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrMalformed: the body is not the provider's JSON (400). Missing or
	// invalid fields wrap domain.ErrInvalidEvent instead (400, field named).
	ErrMalformed = errors.New("malformed payload")
	// ErrIgnored: an authentic delivery of an event type Aftercare does not
	// act on (202 "ignored", so the sender does not retry).
	ErrIgnored = errors.New("ignored")
)

// Provider authenticates and parses one sender's webhooks.
type Provider interface {
	// Name is the path segment: POST /webhooks/{name}.
	Name() string
	// Parse verifies the request at time now and returns the events it
	// carries, each valid (domain.Event.Validate) and with a stable ID.
	Parse(r Request, now time.Time) ([]domain.Event, error)
}
