package native

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

func parseBody(t testing.TB) func(b []byte) ([]domain.Event, error) {
	p := newProvider(t)
	return func(b []byte) ([]domain.Event, error) { return p.Parse(signed(t, testSecret, testID, b), testNow) }
}

func TestFutureOccurredAtIsRefusedAtIngest(t *testing.T) {
	b := body(t, domain.BookingCompleted, func(m map[string]any) { m["occurred_at"] = hooktest.Far })
	evs, err := parseBody(t)(b)
	hooktest.CheckFuture(t, testNow, evs, err)
}

func TestNameThatIsNotUnicode(t *testing.T) {
	b := body(t, domain.BookingCompleted, func(m map[string]any) { sub(m, "customer")["name"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "customer.name", parseBody(t))
	b = body(t, domain.TicketSolved, func(m map[string]any) { sub(m, "ticket")["subject"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "ticket.subject", parseBody(t))
}

func TestBidiControlsAreRemoved(t *testing.T) {
	b := body(t, domain.BookingCompleted, func(m map[string]any) {
		sub(m, "customer")["name"] = "\u202EEleni\u202C K."
		sub(m, "booking")["title"] = "Sunset\u2066 sailing\u2069"
	})
	evs, err := parseBody(t)(b)
	if err != nil || evs[0].Customer.Name != "Eleni K." || evs[0].Title != "Sunset sailing" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestErrorsQuoteInputShort(t *testing.T) {
	long := strings.Repeat("x", 2000)
	for name, edit := range map[string]func(m map[string]any){
		"type":        func(m map[string]any) { m["type"] = "booking." + long },
		"occurred_at": func(m map[string]any) { m["occurred_at"] = long },
		"time_zone":   func(m map[string]any) { sub(m, "customer")["time_zone"] = long },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseBody(t)(body(t, domain.BookingCompleted, edit))
			hooktest.CheckShortError(t, err)
		})
	}
}

// no_survey: true and false are passed on; absent is nil (an earlier
// event's word stands); anything else is a 400 naming the field.
func TestNoSurvey(t *testing.T) {
	for name, tc := range map[string]struct {
		value any
		want  *bool
	}{"true": {true, ptr(true)}, "false": {false, ptr(false)}, "absent": {nil, nil}} {
		t.Run(name, func(t *testing.T) {
			b := body(t, domain.BookingCompleted, func(m map[string]any) {
				if tc.value != nil {
					m["no_survey"] = tc.value
				}
			})
			evs, err := parseBody(t)(b)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Parse = %v, %v", evs, err)
			}
			if got := evs[0].NoSurvey; (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Fatalf("NoSurvey = %v, want %v", got, tc.want)
			}
		})
	}
	b := body(t, domain.BookingCompleted, func(m map[string]any) { m["no_survey"] = "yes" })
	if _, err := parseBody(t)(b); err == nil || !strings.Contains(err.Error(), "no_survey") {
		t.Fatalf("no_survey \"yes\": %v", err)
	}
}

func ptr(b bool) *bool { return &b }
