package calcom

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

func TestFutureTimesAreRefusedAtIngest(t *testing.T) {
	for file, field := range map[string]string{"booking-created.json": "createdAt", "booking-rescheduled.json": "createdAt", "meeting-ended.json": "endTime"} {
		t.Run(file, func(t *testing.T) {
			b := hooktest.Edit(t, file, func(m map[string]any) {
				m[field] = hooktest.Far
				if field == "endTime" {
					m["startTime"] = "2098-12-31T23:00:00Z"
				}
			})
			evs, err := parseBody(t)(b)
			hooktest.CheckFuture(t, testNow, evs, err)
		})
	}
}

func TestNameThatIsNotUnicode(t *testing.T) {
	b := hooktest.Edit(t, "booking-created.json", func(m map[string]any) {
		payload(m)["attendees"].([]any)[0].(map[string]any)["name"] = hooktest.Marker
	})
	hooktest.CheckBadText(t, b, "payload.attendees[0].name", parseBody(t))
	b = hooktest.Edit(t, "meeting-ended.json", func(m map[string]any) {
		m["attendees"].([]any)[0].(map[string]any)["name"] = hooktest.Marker
	})
	hooktest.CheckBadText(t, b, "attendees[0].name", parseBody(t))
	b = hooktest.Edit(t, "booking-created.json", func(m map[string]any) {
		delete(payload(m), "attendees")
		payload(m)["responses"] = map[string]any{"email": map[string]any{"value": "a@example.com"}, "name": map[string]any{"value": hooktest.Marker}}
	})
	hooktest.CheckBadText(t, b, "payload.responses.name.value", parseBody(t))
}

func TestBidiControlsAreRemoved(t *testing.T) {
	b := hooktest.Edit(t, "booking-created.json", func(m map[string]any) {
		payload(m)["attendees"].([]any)[0].(map[string]any)["name"] = "\u202EGuest\u202C User"
		payload(m)["title"] = "\u2067Consultation"
	})
	evs, err := parseBody(t)(b)
	if err != nil || evs[0].Customer.Name != "Guest User" || strings.ContainsRune(evs[0].Title, '\u2067') {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestErrorsQuoteInputShort(t *testing.T) {
	long := strings.Repeat("X", 2000)
	for name, body := range map[string][]byte{
		"trigger":   []byte(`{"triggerEvent":"` + long + `"}`),
		"createdAt": hooktest.Edit(t, "booking-created.json", func(m map[string]any) { m["createdAt"] = long }),
		"startTime": hooktest.Edit(t, "booking-created.json", func(m map[string]any) { payload(m)["startTime"] = long }),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseBody(t)(body)
			hooktest.CheckShortError(t, err)
		})
	}
}
