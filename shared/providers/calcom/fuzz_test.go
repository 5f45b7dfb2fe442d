package calcom

import (
	"path/filepath"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

// FuzzParse signs arbitrary bodies correctly, so every input reaches the
// decoder and the mapping. Parse must not panic and must return valid
// events with stable ids, or an error in exactly one of the classes the web
// layer maps to a status code. Bodies are bounded by providers.MaxBody
// before Parse sees them, so allocation is bounded too.
func FuzzParse(f *testing.F) {
	hooktest.Seeds(f, filepath.Join("testdata", "*.json"),
		``, `null`, `{}`, `[]`, `{"triggerEvent":"BOOKING_CREATED"}`,
		`{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:00:00Z","payload":{}}`,
		`{"triggerEvent":"BOOKING_RESCHEDULED","createdAt":"2024-01-01T00:00:00Z","payload":{"uid":"n","rescheduleUid":"o","attendees":[{"email":"a@b.gr"}]}}`,
		`{"triggerEvent":"BOOKING_NO_SHOW_UPDATED","createdAt":"2024-01-01T00:00:00Z","payload":{"bookingUid":"u","attendees":[{"email":"a@b.gr","noShow":null}]}}`,
		`{"triggerEvent":"MEETING_ENDED","uid":"u","endTime":"2024-01-01T00:00:00Z","attendees":[{"email":"a@b.gr"}]}`,
		`{"triggerEvent":"BOOKING_CANCELLED","createdAt":"2024-01-01T00:00:00Z","payload":{"uid":"u","responses":{"email":{"value":{"x":1}}}}}`,
		"{\"triggerEvent\":\"\xff\"}",
	)
	p := newProvider(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > providers.MaxBody {
			t.Skip()
		}
		parse := func() ([]domain.Event, error) { return p.Parse(signed(testSecret, body), testNow) }
		evs, err := parse()
		hooktest.CheckOutcome(t, Name, 2, evs, err, parse)
	})
}
