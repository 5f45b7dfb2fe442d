package freshdesk

import (
	"path/filepath"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/hookutil/hooktest"
)

// FuzzParse sends arbitrary bodies with the right token, so every input
// reaches the decoder and the mapping. Parse must not panic and must return
// one valid event with a stable id, or an error in exactly one of the
// classes the web layer maps to a status code. Bodies are bounded by
// providers.MaxBody before Parse sees them, so allocation is bounded too.
func FuzzParse(f *testing.F) {
	hooktest.Seeds(f, filepath.Join("testdata", "*.json"),
		``, `null`, `{}`, `{"ticket":{}}`, `{"ticket":{"id":1,"status":2,"requester":{"email":"a@b.gr"}}}`,
		`{"ticket":{"id":"1","status":"resolved","updated_at":"2026-11-20T17:30Z","requester":{"email":"a@b.gr","language":"xx"}}}`,
		"{\"ticket\":{\"status\":\"\xff\"}}",
	)
	p := newProvider(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > providers.MaxBody {
			t.Skip()
		}
		parse := func() ([]domain.Event, error) { return p.Parse(withHeader(testToken, body), testNow) }
		evs, err := parse()
		hooktest.CheckOutcome(t, Name, 1, evs, err, parse)
	})
}
