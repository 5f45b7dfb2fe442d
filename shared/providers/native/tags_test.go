package native

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

func TestBookingTags(t *testing.T) {
	b := body(t, domain.BookingCreated, func(m map[string]any) {
		sub(m, "booking")["tags"] = []string{" family ", "kids, small", "", "vip\u202E"}
	})
	evs, err := parseBody(t)(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[0].Tags; got != "family,kids  small,vip" {
		t.Errorf("tags = %q: trimmed, empty dropped, commas inside a tag made spaces, bidi removed", got)
	}
	if got := domain.TagList(evs[0].Tags); !slices.Equal(got, []string{"family", "kids  small", "vip"}) {
		t.Errorf("TagList = %q", got)
	}

	b = body(t, domain.BookingCreated, func(m map[string]any) {
		sub(m, "booking")["tags"] = []string{strings.Repeat("x", 501)}
	})
	if _, err := parseBody(t)(b); !errors.Is(err, domain.ErrInvalidEvent) || !strings.Contains(err.Error(), "booking.tags") {
		t.Errorf("500+ bytes of tags: err = %v, want invalid booking.tags", err)
	}
}
