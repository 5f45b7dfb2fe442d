package hookutil

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// timeLayouts are the timestamp shapes the providers send: RFC 3339 with or
// without fractions (Cal.com, Calendly, Zendesk event subscriptions), and
// RFC 3339 without seconds, which Zendesk's {{ticket.updated_at_with_timestamp}}
// placeholder renders ("2013-12-12T05:35Z").
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"}

// ParseTime reads a timestamp in one of the accepted layouts, in UTC.
// A time without a zone is refused: guessing one would shift follow-ups.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not an ISO 8601 time with a zone, such as 2026-11-20T17:30:00Z", domain.Quote(s))
}

// OptionalTime reads a timestamp that may be absent (zero time). A present
// but unreadable one is an invalid field, named field.
func OptionalTime(field, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, Invalid(field, err.Error())
	}
	return t, nil
}

// ErrStale is wrapped when a signed timestamp lies too far from the
// receiver's clock: a replayed delivery, or a badly skewed clock.
var ErrStale = errors.New("signature timestamp outside tolerance")

// CheckSkew returns ErrStale, saying by how much and in which direction,
// when ts lies more than tolerance before or after now.
func CheckSkew(ts, now time.Time, tolerance time.Duration) error {
	switch d := now.Sub(ts); {
	case d > tolerance:
		return fmt.Errorf("%w: %s in the past (tolerance %s)", ErrStale, d.Truncate(time.Second), tolerance)
	case -d > tolerance:
		return fmt.Errorf("%w: %s in the future (tolerance %s)", ErrStale, (-d).Truncate(time.Second), tolerance)
	}
	return nil
}
