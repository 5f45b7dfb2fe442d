package calendly

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

// Name is the provider's path segment and the Provider on its events.
const Name = "calendly"

// HeaderSignature carries "t=<unix>,v1=<hex>".
const HeaderSignature = "Calendly-Webhook-Signature"

// Tolerance is how far the signed timestamp may lie from our clock.
const Tolerance = 3 * time.Minute

// Provider verifies and maps Calendly deliveries.
type Provider struct {
	keys hookutil.Keys
}

var _ providers.Provider = (*Provider)(nil)

// New returns the provider checking signatures against the subscription's
// signing key(s): one, or two while rotating.
func New(signingKeys ...string) (*Provider, error) {
	keys, err := hookutil.NewKeys(signingKeys...)
	if err != nil {
		return nil, fmt.Errorf("calendly: %w", err)
	}
	return &Provider{keys: keys}, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Parse implements providers.Provider. It authenticates before it decodes.
func (p *Provider) Parse(r providers.Request, now time.Time) ([]domain.Event, error) {
	if err := p.verify(r.Header.Get(HeaderSignature), r.Body, now); err != nil {
		return nil, fmt.Errorf("%w: %w", providers.ErrUnauthorized, err)
	}
	var head struct {
		Event string `json:"event"`
	}
	if err := hookutil.Decode(r.Body, &head); err != nil {
		return nil, err
	}
	event := strings.TrimSpace(head.Event)
	switch event {
	case "":
		return nil, hookutil.Invalid("event", "is required")
	case inviteeCreated, inviteeCanceled, noShowCreated, noShowDeleted:
	default:
		return nil, fmt.Errorf("%w: Calendly event %s is not one Aftercare acts on", providers.ErrIgnored, domain.Quote(event))
	}
	var d delivery
	if err := hookutil.Decode(r.Body, &d); err != nil {
		return nil, err
	}
	return d.events(event)
}

// verify checks the header against every active key. Several v1 entries
// are accepted, as in Calendly's own verification sample.
func (p *Provider) verify(header string, body []byte, now time.Time) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if mac, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, mac)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("%s must be t=<unix seconds>,v1=<hex signature>", HeaderSignature)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || unix < 0 {
		return fmt.Errorf("%s timestamp %s is not unix seconds", HeaderSignature, domain.Quote(ts))
	}
	// Check the signature before the clock: a forged header must not learn
	// whether its timestamp would have passed.
	for _, mac := range sigs {
		if p.keys.Match(mac, []byte(ts), []byte{'.'}, body) {
			return hookutil.CheckSkew(time.Unix(unix, 0), now, Tolerance)
		}
	}
	return fmt.Errorf("%s matches none of %d signing key(s): wrong key, or the body was altered", HeaderSignature, p.keys.Len())
}
