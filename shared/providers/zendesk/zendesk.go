package zendesk

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

// Name is the provider's path segment and the Provider on its events.
const Name = "zendesk"

// Signature headers.
const (
	HeaderSignature = "X-Zendesk-Webhook-Signature"
	HeaderTimestamp = "X-Zendesk-Webhook-Signature-Timestamp"
)

// Tolerance is how far the signed timestamp may lie from our clock: long
// enough for clock skew and a slow delivery, short enough that a captured
// request cannot be replayed later.
const Tolerance = 5 * time.Minute

// TriggerBody is the JSON body to paste into the Zendesk trigger's "Notify
// by > Active webhook" action. Its keys mirror the placeholders that fill
// them. time_zone is left for the operator to fill with an IANA zone (Zendesk
// has no placeholder for the requester's zone); empty means UTC.
const TriggerBody = `{
  "ticket": {
    "id": "{{ticket.id}}",
    "title": "{{ticket.title}}",
    "status": "{{ticket.status}}",
    "updated_at": "{{ticket.updated_at_with_timestamp}}",
    "tags": "{{ticket.tags}}",
    "assignee": { "name": "{{ticket.assignee.name}}" },
    "requester": {
      "email": "{{ticket.requester.email}}",
      "name": "{{ticket.requester.name}}",
      "language": "{{ticket.requester.language}}",
      "time_zone": ""
    }
  }
}
`

// Provider verifies and maps Zendesk deliveries.
type Provider struct {
	keys hookutil.Keys
}

var _ providers.Provider = (*Provider)(nil)

// New returns the provider checking signatures against the webhook's
// signing secret(s): one, or two while rotating.
func New(secrets ...string) (*Provider, error) {
	keys, err := hookutil.NewKeys(secrets...)
	if err != nil {
		return nil, fmt.Errorf("zendesk: %w", err)
	}
	return &Provider{keys: keys}, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Parse implements providers.Provider. It authenticates before it decodes.
func (p *Provider) Parse(r providers.Request, now time.Time) ([]domain.Event, error) {
	if err := p.verify(r, now); err != nil {
		return nil, fmt.Errorf("%w: %w", providers.ErrUnauthorized, err)
	}
	var b body
	if err := hookutil.Decode(r.Body, &b); err != nil {
		return nil, err
	}
	var e domain.Event
	var err error
	if strings.HasPrefix(strings.TrimSpace(b.Type), "zen:") {
		e, err = b.fromEvent()
	} else {
		e, err = b.fromTrigger()
	}
	if err != nil {
		return nil, err
	}
	return []domain.Event{e}, nil
}

// verify checks the signature against every active secret, then the
// timestamp: a forgery must not learn whether its timestamp would pass.
func (p *Provider) verify(r providers.Request, now time.Time) error {
	sig := strings.TrimSpace(r.Header.Get(HeaderSignature))
	ts := strings.TrimSpace(r.Header.Get(HeaderTimestamp))
	switch {
	case sig == "":
		return fmt.Errorf("missing %s header", HeaderSignature)
	case ts == "":
		return fmt.Errorf("missing %s header", HeaderTimestamp)
	}
	mac, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%s is not base64", HeaderSignature)
	}
	if !p.keys.Match(mac, []byte(ts), r.Body) {
		return fmt.Errorf("%s matches none of %d secret(s): wrong secret, or the body was altered", HeaderSignature, p.keys.Len())
	}
	at, err := hookutil.ParseTime(ts)
	if err != nil {
		return fmt.Errorf("%s: %w", HeaderTimestamp, err)
	}
	return hookutil.CheckSkew(at, now, Tolerance)
}
