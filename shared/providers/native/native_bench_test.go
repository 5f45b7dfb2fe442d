package native

import (
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

// BenchmarkIngestNoIO times what one native webhook costs before any I/O:
// verify the Standard Webhooks signature, parse the body to a
// domain.Event, clean and validate it as app.Service.Ingest does, apply it
// to a new incident and plan that incident with the default policy.
func BenchmarkIngestNoIO(b *testing.B) {
	p := newProvider(b)
	req := signed(b, testSecret, testID, readSample(b, "aftercare-booking-completed.json"))
	policy := domain.DefaultPolicy()
	now := testNow
	b.ReportAllocs()
	for b.Loop() {
		evs, err := p.Parse(req, now)
		if err != nil || len(evs) != 1 {
			b.Fatalf("Parse = %d events, %v", len(evs), err)
		}
		e := evs[0].Clean()
		if err := e.ValidateAt(now); err != nil {
			b.Fatal(err)
		}
		var inc domain.Incident
		if o, err := inc.Apply(e, now); err != nil || o != domain.Applied {
			b.Fatalf("Apply = %v, %v", o, err)
		}
		if plan := domain.Plan(inc, policy, now); len(plan) != 1 {
			b.Fatalf("Plan = %d steps, want 1", len(plan))
		}
	}
}
