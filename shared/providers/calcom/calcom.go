package calcom

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

// Name is the provider's path segment and the Provider on its events.
const Name = "calcom"

// HeaderSignature carries the hex HMAC-SHA256 of the body.
const HeaderSignature = "X-Cal-Signature-256"

// NoSecret is what Cal.com puts in HeaderSignature when the webhook has no
// secret.
const NoSecret = "no-secret-provided"

// Provider verifies and maps Cal.com deliveries.
type Provider struct {
	keys hookutil.Keys
}

var _ providers.Provider = (*Provider)(nil)

// New returns the provider checking signatures against secrets (one, or two
// while rotating). It refuses none, and the "no-secret-provided" marker.
func New(secrets ...string) (*Provider, error) {
	for _, s := range secrets {
		if strings.TrimSpace(s) == NoSecret {
			return nil, fmt.Errorf("calcom: %q is Cal.com's marker for a webhook without a secret, not a secret", NoSecret)
		}
	}
	keys, err := hookutil.NewKeys(secrets...)
	if err != nil {
		return nil, fmt.Errorf("calcom: %w", err)
	}
	return &Provider{keys: keys}, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Parse implements providers.Provider: it authenticates first, so an
// unauthenticated sender learns nothing about the payload rules.
func (p *Provider) Parse(r providers.Request, _ time.Time) ([]domain.Event, error) {
	if err := p.verify(r); err != nil {
		return nil, err
	}
	var head struct {
		TriggerEvent string `json:"triggerEvent"`
	}
	if err := hookutil.Decode(r.Body, &head); err != nil {
		return nil, err
	}
	trigger := strings.TrimSpace(head.TriggerEvent)
	switch trigger {
	case "":
		return nil, hookutil.Invalid("triggerEvent", "is required")
	case created, rescheduled, cancelled, rejected, noShowUpdated, meetingEnded:
	default:
		return nil, fmt.Errorf("%w: Cal.com trigger %s is not one Aftercare acts on", providers.ErrIgnored, domain.Quote(trigger))
	}
	var b body
	if err := hookutil.Decode(r.Body, &b); err != nil {
		return nil, err
	}
	evs, err := b.events(trigger)
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// verify checks X-Cal-Signature-256 against every active secret.
func (p *Provider) verify(r providers.Request) error {
	sig := strings.TrimSpace(r.Header.Get(HeaderSignature))
	switch {
	case sig == "":
		return fmt.Errorf("%w: missing %s header; set a secret on the Cal.com webhook", providers.ErrUnauthorized, HeaderSignature)
	case sig == NoSecret:
		return fmt.Errorf("%w: the Cal.com webhook has no secret (%s: %s); set the same secret in Cal.com and in Aftercare", providers.ErrUnauthorized, HeaderSignature, NoSecret)
	}
	mac, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: %s is not hex", providers.ErrUnauthorized, HeaderSignature)
	}
	if !p.keys.Match(mac, r.Body) {
		return fmt.Errorf("%w: %s matches none of %d secret(s): wrong secret, or the body was altered", providers.ErrUnauthorized, HeaderSignature, p.keys.Len())
	}
	return nil
}
