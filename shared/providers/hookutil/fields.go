package hookutil

import (
	"errors"
	"fmt"

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
