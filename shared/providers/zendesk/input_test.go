package zendesk

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

func parseBody(t testing.TB) func(b []byte) ([]domain.Event, error) {
	p := newProvider(t)
	return func(b []byte) ([]domain.Event, error) { return p.Parse(signed(testSecret, b), testNow) }
}

func TestFutureUpdatedAtIsRefusedAtIngest(t *testing.T) {
	b := edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["updated_at"] = "2099-01-01T00:00Z" })
	evs, err := parseBody(t)(b)
	hooktest.CheckFuture(t, testNow, evs, err)
}

func TestNameThatIsNotUnicode(t *testing.T) {
	b := edit(t, "trigger-ticket-solved.json", func(_, req map[string]any) { req["name"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "ticket.requester.name", parseBody(t))
	b = edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["id"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "ticket.id", parseBody(t))
}

func TestBidiControlsAreRemoved(t *testing.T) {
	b := edit(t, "trigger-ticket-solved.json", func(tk, req map[string]any) {
		req["name"] = "\u202EMaría\u202C Pérez"
		tk["title"] = "\u2066Help\u2069"
	})
	evs, err := parseBody(t)(b)
	if err != nil || evs[0].Customer.Name != "María Pérez" || evs[0].Title != "Help" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestErrorsQuoteInputShort(t *testing.T) {
	long := strings.Repeat("X", 2000)
	for name, body := range map[string][]byte{
		"status":       edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["status"] = long }),
		"placeholder":  edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["id"] = "{{" + long }),
		"updated_at":   edit(t, "trigger-ticket-solved.json", func(tk, _ map[string]any) { tk["updated_at"] = long }),
		"event type":   []byte(`{"type":"zen:` + long + `"}`),
		"event status": []byte(`{"type":"zen:event-type:ticket.created","detail":{"status":"` + long + `"}}`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseBody(t)(body)
			hooktest.CheckShortError(t, err)
		})
	}
}
