package native

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Name is the provider's path segment (POST /webhooks/aftercare) and the
// Provider recorded on its events.
const Name = "aftercare"

// Provider parses Aftercare's native, Standard Webhooks-signed deliveries.
type Provider struct {
	verifier *stdwebhooks.Verifier
}

var _ providers.Provider = (*Provider)(nil)

// New returns the native provider checking signatures with v. A nil v
// rejects every delivery: an endpoint without a secret must fail closed.
func New(v *stdwebhooks.Verifier) *Provider { return &Provider{verifier: v} }

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Parse implements providers.Provider. It authenticates before it decodes, so
// an unauthenticated sender learns nothing about the payload rules; then it
// decodes, drops types Aftercare does not act on, and validates, naming bad
// fields by their path in the native JSON.
func (p *Provider) Parse(r providers.Request, now time.Time) ([]domain.Event, error) {
	if p.verifier == nil {
		return nil, fmt.Errorf("%w: no webhook secret is configured for %q", providers.ErrUnauthorized, Name)
	}
	if err := p.verifier.Verify(r.Header, r.Body, now); err != nil {
		return nil, fmt.Errorf("%w: %w", providers.ErrUnauthorized, err)
	}

	pl, err := decode(r.Body)
	if err != nil {
		return nil, err
	}
	t := domain.EventType(strings.TrimSpace(pl.Type))
	switch {
	case t == "":
		return nil, invalid("type", "is required")
	case !t.Known():
		return nil, fmt.Errorf("%w: event type %s is not one Aftercare acts on", providers.ErrIgnored, domain.Quote(string(t)))
	}
	e, err := pl.toEvent(t)
	if err != nil {
		return nil, err
	}
	e.ID = stdwebhooks.DeliveryID(r.Header)
	e = e.Clean()
	if err := e.Validate(); err != nil {
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			return nil, invalid(nativeField(fe.Field, t.Kind()), fe.Reason)
		}
		return nil, err
	}
	return []domain.Event{e}, nil
}

// decode unmarshals body; hookutil.Decode reports syntax and type errors
// with their place, as for every provider.
func decode(body []byte) (payload, error) {
	var pl payload
	err := hookutil.Decode(body, &pl)
	return pl, err
}
