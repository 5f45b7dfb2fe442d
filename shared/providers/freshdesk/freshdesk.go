package freshdesk

import (
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil"
)

// Name is the provider's path segment and the Provider on its events.
const Name = "freshdesk"

// Where the token may be sent.
const (
	HeaderToken = "X-Aftercare-Token"
	QueryToken  = "token"
)

// AutomationBody is the JSON to paste into the Freshdesk automation's
// "Trigger webhook" action (Content: Advanced). Keys mirror the placeholders
// that fill them. language and time_zone are for the operator to fill (a
// BCP 47 tag such as "es", an IANA zone such as "Europe/Madrid"): Freshdesk
// has no placeholder for either; empty means English and UTC. no_survey
// reads a checkbox custom field named "no_survey" (ticked: no survey for
// this ticket); without that field Freshdesk leaves it empty, which asks
// nothing.
const AutomationBody = `{
  "ticket": {
    "id": "{{ticket.id}}",
    "subject": "{{ticket.subject}}",
    "status": "{{ticket.status}}",
    "triggered_event": "{{triggered_event}}",
    "agent": { "name": "{{ticket.agent.name}}" },
    "no_survey": "{{ticket.cf_no_survey}}",
    "requester": {
      "email": "{{ticket.requester.email}}",
      "name": "{{ticket.requester.name}}",
      "language": "",
      "time_zone": ""
    }
  }
}
`

// Provider authenticates and maps Freshdesk deliveries.
type Provider struct {
	tokens hookutil.Tokens
}

var _ providers.Provider = (*Provider)(nil)

// New returns the provider accepting the given tokens (one, or two while
// rotating), each at least hookutil.MinTokenLen characters.
func New(tokens ...string) (*Provider, error) {
	t, err := hookutil.NewTokens(tokens...)
	if err != nil {
		return nil, fmt.Errorf("freshdesk: %w", err)
	}
	return &Provider{tokens: t}, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Parse implements providers.Provider. It authenticates before it decodes.
func (p *Provider) Parse(r providers.Request, now time.Time) ([]domain.Event, error) {
	if err := p.authenticate(r); err != nil {
		return nil, fmt.Errorf("%w: %w", providers.ErrUnauthorized, err)
	}
	var b body
	if err := hookutil.Decode(r.Body, &b); err != nil {
		return nil, err
	}
	e, err := b.event(now)
	if err != nil {
		return nil, err
	}
	return []domain.Event{e}, nil
}

// authenticate takes the token from the first place it is sent: a wrong
// header is not rescued by a right query parameter.
func (p *Provider) authenticate(r providers.Request) error {
	var token, from string
	if v := strings.TrimSpace(r.Header.Get(HeaderToken)); v != "" {
		token, from = v, HeaderToken+" header"
	} else if v, ok := strings.CutPrefix(strings.TrimSpace(r.Header.Get("Authorization")), "Bearer "); ok {
		token, from = strings.TrimSpace(v), "Authorization header"
	} else if v := strings.TrimSpace(r.Query.Get(QueryToken)); v != "" {
		token, from = v, QueryToken+" query parameter"
	}
	switch {
	case from == "":
		return fmt.Errorf("missing token: send it in the %s header (or ?%s=)", HeaderToken, QueryToken)
	case !p.tokens.Match(token):
		return fmt.Errorf("the token in the %s matches none of %d configured token(s)", from, p.tokens.Len())
	}
	return nil
}
