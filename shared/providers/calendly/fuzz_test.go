package calendly

import (
	"errors"
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
		``, `null`, `{}`, `{"event":"invitee.created"}`, `{"event":"invitee.created","payload":null}`,
		`{"event":"invitee.created","created_at":"2020-11-23T17:51:19Z","payload":{"uri":"u","email":"a@b.gr","old_invitee":"o"}}`,
		`{"event":"invitee_no_show.deleted","created_at":"2020-11-23T17:51:19Z","payload":{"uri":"u","email":"a@b.gr","scheduled_event":{"end_time":"2020-11-23T17:51:19Z"}}}`,
		`{"event":"invitee.canceled","created_at":"x","payload":{"scheduled_event":{"event_memberships":[{}]}}}`,
		"{\"event\":\"\xff\"}",
	)
	p := newProvider(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > providers.MaxBody {
			t.Skip()
		}
		parse := func() ([]domain.Event, error) { return p.Parse(signed(testKey, body), testNow) }
		evs, err := parse()
		hooktest.CheckOutcome(t, Name, 2, evs, err, parse)
	})
}

// FuzzSignatureHeader feeds arbitrary Calendly-Webhook-Signature values:
// none may panic or be accepted without the key.
func FuzzSignatureHeader(f *testing.F) {
	body := []byte(`{"event":"invitee.created"}`)
	for _, s := range []string{"", "t=1,v1=", "t=,v1=00", "v1=00,t=1566302400", "t=1566302400,v1=" + string(make([]byte, 64)), ",,,=,=", "t=-1,v1=ab", "t=99999999999999999999,v1=ab"} {
		f.Add(s)
	}
	p := newProvider(f)
	f.Fuzz(func(t *testing.T, header string) {
		r := providers.Request{Header: map[string][]string{HeaderSignature: {header}}, Body: body}
		if _, err := p.Parse(r, testNow); !errors.Is(err, providers.ErrUnauthorized) {
			t.Fatalf("header %q: Parse = %v, want ErrUnauthorized", header, err)
		}
	})
}
