package hookutil

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aftercare/aftercare/shared/domain"
)

// Invalid builds the error shape domain.Event.Validate uses (wrapping
// domain.ErrInvalidEvent and a *domain.FieldError), so the web layer answers
// 400 naming the field, whichever side found the problem.
func Invalid(field, reason string) error {
	return fmt.Errorf("%w: %w", domain.ErrInvalidEvent, &domain.FieldError{Field: field, Reason: reason})
}

// Validate checks an event with domain.Event.Validate and renames the
// offending field to the sender's own path with names (domain field name →
// provider path), so the 400 says what to fix in the sender's terms. A
// field not in names keeps its domain name.
func Validate(e domain.Event, names map[string]string) error {
	err := e.Validate()
	if err == nil {
		return nil
	}
	var fe *domain.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	field := fe.Field
	if n, ok := names[field]; ok {
		field = n
	}
	return Invalid(field, fe.Reason)
}

// Flag reads a yes/no value a sender's template renders as text ("true",
// "yes", "1", "on" and their opposites, any case; empty is no): nil when
// it is absent or an unrendered placeholder, so that saying nothing
// changes nothing.
func Flag(raw any) *bool {
	var s string
	switch v := raw.(type) {
	case nil:
		return nil
	case bool:
		return &v
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return nil
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(s, "{{") {
		return nil
	}
	yes := s == "true" || s == "yes" || s == "1" || s == "on" || s == "y"
	return &yes
}
