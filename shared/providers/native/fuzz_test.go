package native

import (
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

// FuzzParse signs arbitrary bodies correctly, so every input reaches the
// decoder. Parse must not panic and must keep the promise every provider
// keeps (hooktest.CheckOutcome): one valid event, or an error of exactly
// one of the classes the web layer maps to a status code.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"aftercare-booking-completed.json", "aftercare-booking-created.json", "aftercare-ticket-solved.json"} {
		f.Add(readSample(f, name))
	}
	for _, s := range []string{
		``, `null`, `{}`, `{"type":"ticket.closed","ticket":{}}`,
		`{"type":"booking.created","booking":{"ref":"x"},"ticket":{"ref":"y"}}`,
		`{"type":"booking.completed","occurred_at":"2026-11-20T17:30:00Z","customer":{"email":"a@b.gr"},"booking":{"ref":"1","starts_at":"2026-11-20T15:00:00Z","ends_at":"2026-11-20T14:00:00Z"}}`,
		`{"type":"invoice.paid"}`, `{"customer":{"email":7}}`, "{\"type\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	p := newProvider(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := signed(t, testSecret, testID, body)
		evs, err := p.Parse(req, testNow)
		hooktest.CheckOutcome(t, Name, 1, evs, err, func() ([]domain.Event, error) { return p.Parse(req, testNow) })
		// The native format's event id is the delivery's webhook-id.
		if err == nil && evs[0].ID != testID {
			t.Fatalf("Parse returned ID %q, want the webhook-id %q", evs[0].ID, testID)
		}
	})
}
