package native

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
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
		return nil, fmt.Errorf("%w: event type %q is not one Aftercare acts on", providers.ErrIgnored, t)
	}
	e, err := pl.toEvent(t)
	if err != nil {
		return nil, err
	}
	e.ID = r.Header.Get(stdwebhooks.HeaderID)
	if err := e.Validate(); err != nil {
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			return nil, invalid(nativeField(fe.Field, t.Kind()), fe.Reason)
		}
		return nil, err
	}
	return []domain.Event{e}, nil
}

// decode unmarshals body, reporting syntax and type errors with their place
// so that the sender can find the mistake.
func decode(body []byte) (payload, error) {
	var pl payload
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return pl, fmt.Errorf("%w: body is empty; expected a JSON object", providers.ErrMalformed)
	case trimmed[0] != '{':
		return pl, fmt.Errorf("%w: body must be a JSON object", providers.ErrMalformed)
	}
	err := json.Unmarshal(body, &pl)
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return pl, nil
	case errors.As(err, &syntaxErr):
		line, col := position(body, syntaxErr.Offset)
		return pl, fmt.Errorf("%w: invalid JSON at line %d, column %d: %v", providers.ErrMalformed, line, col, syntaxErr)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the top level"
		}
		return pl, fmt.Errorf("%w: %s must be a JSON %s, not %s", providers.ErrMalformed, field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	default:
		return pl, fmt.Errorf("%w: %w", providers.ErrMalformed, err)
	}
}

// jsonKind names a Go kind in JSON terms for the sender.
func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "ptr":
		return "object"
	default:
		return goKind
	}
}

// position converts a json.SyntaxError offset (the bytes read up to and
// including the offending one) into the 1-based line and column of that
// byte, counted in bytes, which is what editors show.
func position(body []byte, offset int64) (line, col int) {
	offset = max(1, min(offset, int64(len(body))))
	before := body[:offset]
	line = bytes.Count(before[:len(before)-1], []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before[:len(before)-1], '\n') - 1
	return line, col
}
