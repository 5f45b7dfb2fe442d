package calendly

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

func parseBody(t testing.TB) func(b []byte) ([]domain.Event, error) {
	p := newProvider(t)
	return func(b []byte) ([]domain.Event, error) { return p.Parse(signed(testKey, b), testNow) }
}

func TestFutureCreatedAtIsRefusedAtIngest(t *testing.T) {
	for _, file := range []string{"invitee-created.json", "reschedule-2-invitee-created.json", "invitee-canceled.json"} {
		t.Run(file, func(t *testing.T) {
			b := hooktest.Edit(t, file, func(m map[string]any) { m["created_at"] = hooktest.Far })
			evs, err := parseBody(t)(b)
			hooktest.CheckFuture(t, testNow, evs, err)
		})
	}
}

func TestNameThatIsNotUnicode(t *testing.T) {
	b := hooktest.Edit(t, "invitee-created.json", func(m map[string]any) { payload(m)["name"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "payload.name", parseBody(t))
	b = hooktest.Edit(t, "invitee-created.json", func(m map[string]any) { scheduled(m)["name"] = hooktest.Marker })
	hooktest.CheckBadText(t, b, "payload.scheduled_event.name", parseBody(t))
}

func TestBidiControlsAreRemoved(t *testing.T) {
	b := hooktest.Edit(t, "invitee-created.json", func(m map[string]any) { payload(m)["name"] = "\u202EJohn\u202C Doe\u200F" })
	evs, err := parseBody(t)(b)
	if err != nil || evs[len(evs)-1].Customer.Name != "John Doe" {
		t.Fatalf("Parse = %+v, %v", evs, err)
	}
}

func TestErrorsQuoteInputShort(t *testing.T) {
	long := strings.Repeat("X", 2000)
	for name, body := range map[string][]byte{
		"event":      []byte(`{"event":"` + long + `"}`),
		"created_at": hooktest.Edit(t, "invitee-created.json", func(m map[string]any) { m["created_at"] = long }),
		"end_time":   hooktest.Edit(t, "invitee-created.json", func(m map[string]any) { scheduled(m)["end_time"] = long }),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseBody(t)(body)
			hooktest.CheckShortError(t, err)
		})
	}
	_, err := newProvider(t).Parse(signedHeader("t="+long+",v1=00"), testNow)
	hooktest.CheckShortError(t, err)
}

func signedHeader(h string) providers.Request {
	return providers.Request{Header: map[string][]string{HeaderSignature: {h}}, Body: []byte(`{}`)}
}
