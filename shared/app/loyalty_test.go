package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail/outbox"
	"github.com/aftercare/aftercare/shared/schedule"
)

// loyal is the harness with people's records and a loyalty policy: notes
// on the 2nd and 3rd completed booking, with an offer.
func loyal(t *testing.T, pool ...string) *harness {
	return newHarness(t, func(c *app.Config) {
		c.ContactKey = contactKey
		p := domain.DefaultPolicy()
		zero := domain.Duration(0)
		p.SurveyCooldown = &zero // every booking's survey goes: this is about the notes
		p.Loyalty = &domain.Loyalty{Tiers: []int{2, 3}, Prefix: "GRACIAS",
			Offer: map[string]string{"en": "15% off your next booking", "el": "15% έκπτωση στην επόμενη κράτησή σας"}, Codes: pool}
		c.Policy = p
	})
}

// at moves the dev clock forward to t (never back) and returns t.
func (h *harness) at(t time.Time) time.Time {
	if d := t.Sub(h.clock.Now()); d > 0 {
		h.clock.Advance(d)
	}
	return t
}

// loyaltyFire is the loyalty step's wake-up call of an incident.
func (h *harness) loyaltyFire(id string) schedule.Fire {
	h.t.Helper()
	for _, s := range h.schedules() {
		if s.IncidentID == id && strings.HasPrefix(s.Step, "loyalty-") {
			return s.Fire()
		}
	}
	h.t.Fatalf("no loyalty step scheduled for %s", id)
	return schedule.Fire{}
}

func TestLoyaltyNoteAtTheTiersWithTheOfferCode(t *testing.T) {
	h := loyal(t)
	ctx := context.Background()
	var ids, results []string
	for i, prov := range []string{"calcom", "aftercare", "calendly", "aftercare"} {
		done := h.at(t0.Add(time.Duration(i) * 30 * 24 * time.Hour))
		e := h.event("e-"+prov+string(rune('a'+i)), domain.BookingCompleted, done)
		e.Provider, e.Ref = prov, "BK-"+string(rune('1'+i))
		id := h.ingest(e).IncidentID
		ids = append(ids, id)
		h.at(done.Add(3 * 24 * time.Hour)) // the note is due two days later at 11:00
		r, err := h.svc.Dispatch(ctx, h.loyaltyFire(id))
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, r.Skipped)
	}
	// The 2nd and 3rd bookings (across providers) get a note; the 1st and
	// 4th do not, and say why on their timeline.
	if results[0] != app.SkipNotTier || results[1] != "" || results[2] != "" || results[3] != app.SkipNotTier {
		t.Fatalf("results = %q", results)
	}
	first := h.incident(ids[0]).Steps["loyalty-1"]
	if first.Status != domain.StepSkipped || !strings.Contains(first.Error, "not a loyalty tier: the 1st completed booking (notes go on the 2nd, 3rd)") {
		t.Fatalf("the 1st booking's step = %+v", first)
	}
	second := h.incident(ids[1])
	if n := second.Loyalty; n == nil || n.Ordinal != 2 || !strings.HasPrefix(n.Code, "GRACIAS2-") {
		t.Fatalf("note on the 2nd booking = %+v", second.Loyalty)
	}
	if tier, ok := domain.VerifyOfferCode(h.svc.OfferKeyForTest(), domain.ContactKey(contactKey, "nikos@example.com"), "GRACIAS", second.Loyalty.Code); !ok || tier != 2 {
		t.Fatalf("the code does not verify for its person: %d %v", tier, ok)
	}
	third := h.incident(ids[2])
	if third.Loyalty == nil || third.Loyalty.Ordinal != 3 || third.Loyalty.Code == second.Loyalty.Code {
		t.Fatalf("note on the 3rd booking = %+v", third.Loyalty)
	}
	// The email: in the person's language, naming their history and the offer.
	m := h.sentTo(ids[1], "loyalty-1")
	for _, want := range []string{"2 φορές", second.Loyalty.Code, "15% έκπτωση"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("loyalty email lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(strings.ToLower(m.Text), "review") || strings.Contains(m.HTML, "/r/") {
		t.Error("the loyalty note asks for a rating or a review")
	}

	// A later booking carrying the code redeems it, once.
	e := h.event("e-redeem", domain.BookingCreated, h.at(t0.Add(200*24*time.Hour)))
	e.Ref, e.OfferCode = "BK-9", strings.ToLower(second.Loyalty.Code)
	redeemer := h.ingest(e).IncidentID
	h.ingest(e) // redelivered
	if got := offerEntries(h.incident(redeemer)); len(got) != 1 || !strings.Contains(got[0], "redeemed (the thanks for the 2nd booking") {
		t.Fatalf("redeeming booking's timeline: %q", got)
	}
	e2 := h.event("e-twice", domain.BookingCreated, h.at(t0.Add(201*24*time.Hour)))
	e2.Ref, e2.OfferCode = "BK-10", second.Loyalty.Code
	again := h.ingest(e2).IncidentID
	if got := offerEntries(h.incident(again)); len(got) != 1 || !strings.Contains(got[0], "already redeemed") {
		t.Fatalf("second use: %q", got)
	}
	e3 := h.event("e-forged", domain.BookingCreated, h.at(t0.Add(202*24*time.Hour)))
	e3.Ref, e3.OfferCode = "BK-11", "GRACIAS2-AAAA-AAAA"
	forged := h.ingest(e3).IncidentID
	if got := offerEntries(h.incident(forged)); len(got) != 1 || !strings.Contains(got[0], "not a code this customer was given") {
		t.Fatalf("forged code: %q", got)
	}
	c, _ := h.store.GetContact(ctx, domain.ContactKey(contactKey, "nikos@example.com"))
	if o, _ := c.OfferFor(2); o.RedeemedBy != redeemer {
		t.Fatalf("offer on the record = %+v", o)
	}
}

func TestLoyaltyNotesSpendTheMessageBudget(t *testing.T) {
	h := loyal(t)
	ctx := context.Background()
	var ids []string
	// Two bookings a day apart: the 2nd and 3rd completed, both tiers; one
	// note per 7 days.
	for i := range 3 {
		e := h.event("e"+string(rune('a'+i)), domain.BookingCompleted, h.at(t0.Add(time.Duration(i)*24*time.Hour)))
		e.Ref = "BK-" + string(rune('1'+i))
		ids = append(ids, h.ingest(e).IncidentID)
	}
	h.at(t0.Add(5 * 24 * time.Hour))
	h.svc.Dispatch(ctx, h.loyaltyFire(ids[0]))
	if r, _ := h.svc.Dispatch(ctx, h.loyaltyFire(ids[1])); r.Skipped != "" {
		t.Fatalf("the 2nd booking's note: %+v", r)
	}
	r, _ := h.svc.Dispatch(ctx, h.loyaltyFire(ids[2]))
	if r.Skipped != app.SkipThrottled {
		t.Fatalf("a second note within 7 days: %+v", r)
	}
	if st := h.incident(ids[2]).Steps["loyalty-1"]; !strings.Contains(st.Error, "throttled: a personal note went out on") {
		t.Fatalf("step = %+v", st)
	}
}

func TestOfferPoolHandsOutEachCodeOnce(t *testing.T) {
	pool := []string{"POOL-A", "POOL-B", "POOL-C"}
	h := loyal(t, pool...)
	ctx := context.Background()
	// Five people reach their 2nd booking at once.
	var fires []schedule.Fire
	for p := range 5 {
		for b := range 2 {
			e := h.event("e"+string(rune('a'+p))+string(rune('0'+b)), domain.BookingCompleted, h.at(t0.Add(time.Duration(b)*24*time.Hour)))
			e.Ref = "P" + string(rune('a'+p)) + string(rune('0'+b))
			e.Customer.Email = "guest" + string(rune('a'+p)) + "@example.com"
			id := h.ingest(e).IncidentID
			if b == 0 {
				h.at(t0.Add(3 * 24 * time.Hour))
				h.svc.Dispatch(ctx, h.loyaltyFire(id)) // the 1st: no note
				h.clock.Set(t0.Add(24 * time.Hour))
			} else {
				fires = append(fires, h.loyaltyFire(id))
			}
		}
	}
	h.at(t0.Add(4 * 24 * time.Hour))
	var wg sync.WaitGroup
	for _, f := range fires {
		wg.Go(func() {
			if _, err := h.svc.Dispatch(ctx, f); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, f := range fires {
		n := h.incident(f.IncidentID).Loyalty
		if n == nil {
			t.Fatalf("%s: no note", f.IncidentID)
		}
		seen[n.Code]++
	}
	for _, c := range pool {
		if seen[c] != 1 {
			t.Errorf("pool code %s given %d times, want once: %v", c, seen[c], seen)
		}
	}
	derived := 0
	for c, n := range seen {
		if strings.HasPrefix(c, "GRACIAS2-") {
			derived += n
		}
	}
	if derived != 2 {
		t.Errorf("once the pool ran out, %d derived codes, want 2: %v", derived, seen)
	}
}

func offerEntries(inc domain.Incident) []string {
	var out []string
	for _, e := range inc.Timeline {
		if e.Kind == domain.EntryOffer {
			out = append(out, e.Detail)
		}
	}
	return out
}

// sentTo is the email the outbox holds for an incident's step.
func (h *harness) sentTo(id, step string) outbox.Entry {
	h.t.Helper()
	list, err := h.outbox.List(1000)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, m := range list {
		if m.Incident == id && m.Step == step {
			full, err := h.outbox.Read(m.Name)
			if err != nil {
				h.t.Fatal(err)
			}
			return full
		}
	}
	h.t.Fatalf("no email for %s %s in the outbox", id, step)
	return outbox.Entry{}
}
