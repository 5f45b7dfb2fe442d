package freshdesk

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

func parseBody(t testing.TB) func(b []byte) ([]domain.Event, error) {
	p := newProvider(t)
	return func(b []byte) ([]domain.Event, error) { return p.Parse(withHeader(testToken, b), testNow) }
}

func TestFutureUpdatedAtIsRefusedAtIngest(t *testing.T) {
	b := edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["updated_at"] = hooktest.Far })
	evs, err := parseBody(t)(b)
	hooktest.CheckFuture(t, testNow, evs, err)
}

func TestNameThatIsNotUnicode(t *testing.T) {
	b := edit(t, "ticket-resolved.json", func(_, req map[string]any) { req["name"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "ticket.requester.name", parseBody(t))
	b = edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["agent"].(map[string]any)["name"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "ticket.agent.name", parseBody(t))
}

func TestBidiControlsAreRemoved(t *testing.T) {
	b := edit(t, "ticket-resolved.json", func(tk, req map[string]any) {
		req["name"] = "\u202ETom\u202C"
		tk["subject"] = "Support\u2068 Needed\u2069\u061C"
	})
	evs, err := parseBody(t)(b)
	if err != nil || evs[0].Customer.Name != "Tom" || evs[0].Title != "Support Needed" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestErrorsQuoteInputShort(t *testing.T) {
	long := strings.Repeat("X", 2000)
	for name, body := range map[string][]byte{
		"status":      edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["status"] = long }),
		"placeholder": edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["id"] = "{{" + long }),
		"updated_at":  edit(t, "ticket-resolved.json", func(tk, _ map[string]any) { tk["updated_at"] = long }),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseBody(t)(body)
			hooktest.CheckShortError(t, err)
		})
	}
}
