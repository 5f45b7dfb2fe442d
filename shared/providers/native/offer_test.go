package native

import (
	"errors"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

// booking.offer_code is an offer code the booking redeems; too long a one
// is refused, naming the field.
func TestBookingOfferCode(t *testing.T) {
	b := body(t, domain.BookingCreated, func(m map[string]any) {
		sub(m, "booking")["offer_code"] = " THANKS3-7QK3-M2XA "
	})
	evs, err := parseBody(t)(b)
	if err != nil || evs[0].OfferCode != "THANKS3-7QK3-M2XA" {
		t.Fatalf("offer code: %+v %v", evs, err)
	}
	b = body(t, domain.BookingCreated, func(m map[string]any) {
		sub(m, "booking")["offer_code"] = strings.Repeat("X", 65)
	})
	if _, err := parseBody(t)(b); !errors.Is(err, domain.ErrInvalidEvent) || !strings.Contains(err.Error(), "booking.offer_code") {
		t.Fatalf("65 characters: err = %v, want invalid booking.offer_code", err)
	}
}
