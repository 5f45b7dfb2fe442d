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
