package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOfferCodes(t *testing.T) {
	key := []byte(strings.Repeat("o", 32))
	ana, bo := ContactKey(key, "ana@example.com"), ContactKey(key, "bo@example.com")
	code := OfferCode(key, ana, "THANKS", 3)
	if code != OfferCode(key, ana, "THANKS", 3) {
		t.Fatal("the same person and tier must get the same code")
	}
	if len(code) != len("THANKS3-XXXX-XXXX") || !strings.HasPrefix(code, "THANKS3-") {
		t.Fatalf("code %q", code)
	}
	others := []string{OfferCode(key, ana, "THANKS", 5), OfferCode(key, bo, "THANKS", 3), OfferCode([]byte(strings.Repeat("p", 32)), ana, "THANKS", 3)}
	if slices.Contains(others, code) {
		t.Fatalf("codes collide across people, tiers or keys: %q in %q", code, others)
	}
	if tier, ok := VerifyOfferCode(key, ana, "THANKS", code); !ok || tier != 3 {
		t.Fatalf("verify own code = %d, %v", tier, ok)
	}
	// As typed into a booking form: lower case, spaces, O for 0, I for 1.
	typed := " " + strings.ToLower(strings.NewReplacer("0", "O", "1", "I").Replace(code)) + " "
	if _, ok := VerifyOfferCode(key, ana, "THANKS", typed); !ok {
		t.Fatalf("%q as typed (%q) does not verify", code, typed)
	}
	// As copied from the email, which writes non-breaking hyphens.
	if _, ok := VerifyOfferCode(key, ana, "THANKS", strings.ReplaceAll(code, "-", "\u2011")); !ok {
		t.Fatalf("%q with non-breaking hyphens does not verify", code)
	}
	for _, bad := range []string{
		OfferCode(key, bo, "THANKS", 3),          // somebody else's
		strings.Replace(code, "3-", "5-", 1),     // another tier
		code[:len(code)-1] + "Z",                 // one character changed
		"THANKS03" + code[len("THANKS3"):],       // a leading zero
		"OTHER3" + code[len("THANKS3"):],         // another prefix
		"THANKS", "", "THANKS3-", "THANKS3-AAAA", // malformed
	} {
		if _, ok := VerifyOfferCode(key, ana, "THANKS", bad); ok && bad != code {
			t.Errorf("%q verifies for ana", bad)
		}
	}
}

func TestContactOrdinalCountsBookingsAcrossProviders(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var c Contact
	var ids []string
	for i, prov := range []string{"calcom", "calendly", "aftercare", "calcom"} {
		inc := Incident{ID: IncidentID(prov, "B"+string(rune('1'+i))), Kind: KindBooking, Status: StatusCompleted,
			Customer: Customer{Email: "ana@example.com"}}
		c.Saw(inc, now.AddDate(0, i, 0))
		c.Saw(inc, now.AddDate(0, i, 1)) // seen again: counted once
		ids = append(ids, inc.ID)
	}
	for i, id := range ids {
		if got := c.Ordinal(id); got != i+1 {
			t.Errorf("booking %d has ordinal %d", i+1, got)
		}
	}
	if c.Ordinal("inc_other") != 0 {
		t.Error("an unknown incident has an ordinal")
	}
	// A cancelled or no-show booking is not a completed one.
	for _, st := range []Status{StatusCancelled, StatusNoShow, StatusBooked} {
		inc := Incident{ID: "inc_" + string(st), Kind: KindBooking, Status: st, Customer: Customer{Email: "ana@example.com"}}
		c.Saw(inc, now)
		if c.Ordinal(inc.ID) != 0 {
			t.Errorf("a %s booking counts as completed", st)
		}
	}
	if c.CompletedBookings != 4 {
		t.Fatalf("completed bookings = %d, want 4", c.CompletedBookings)
	}
}

func TestOfferIsRedeemedOnce(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var c Contact
	o := c.GiveOffer(3, "THANKS3-AAAA-BBBB", "inc_3", now)
	if again := c.GiveOffer(3, "THANKS3-CCCC-DDDD", "inc_3", now); again.Code != o.Code {
		t.Fatalf("a tier keeps its first code: %q", again.Code)
	}
	if _, out := c.Redeem("thanks3-aaaa-bbbb", "inc_4", now.Add(time.Hour)); out != Redeemed {
		t.Fatalf("first redemption: %s", out)
	}
	if _, out := c.Redeem("THANKS3-AAAA-BBBB", "inc_4", now.Add(2*time.Hour)); out != Redeemed {
		t.Fatalf("the same booking again (a redelivery): %s", out)
	}
	got, out := c.Redeem("THANKS3-AAAA-BBBB", "inc_5", now.Add(3*time.Hour))
	if out != AlreadyRedeemed || got.RedeemedBy != "inc_4" {
		t.Fatalf("another booking: %s %+v", out, got)
	}
	if _, out := c.Redeem("THANKS3-ZZZZ-ZZZZ", "inc_5", now); out != UnknownOffer {
		t.Fatalf("a code never given: %s", out)
	}
	var inc Incident
	if !inc.RecordRedemption("THANKS3-AAAA-BBBB", Redeemed, got, now) || inc.RecordRedemption("THANKS3-AAAA-BBBB", Redeemed, got, now) {
		t.Fatal("a redemption is noted once on the timeline")
	}
	if e := inc.Timeline[0]; e.Kind != EntryOffer || !strings.Contains(e.Detail, "redeemed (the thanks for the 3rd booking") {
		t.Fatalf("timeline entry %+v", e)
	}
}

func TestLoyaltyAndMissedYouPlanning(t *testing.T) {
	p := DefaultPolicy()
	p.Loyalty = &Loyalty{}
	p.MissedYou = &MissedYou{Link: "https://seabreeze.example/book"}
	completed := resolvedIncident(KindBooking, StatusCompleted, "Europe/Madrid", "2026-11-20T17:00:00Z", t)
	plan := Plan(completed, p, mustTime(t, "2026-11-20T17:00:00Z"))
	l := find(t, plan, "loyalty-1")
	if l.Kind != KindNote || l.Step.Template != "loyalty_note" {
		t.Fatalf("loyalty step %+v", l)
	}
	// Two days later at 11:00 in Madrid.
	if want := mustTime(t, "2026-11-22T10:00:00Z"); !l.Due.Equal(want) {
		t.Fatalf("loyalty due %s, want %s", l.Due, want)
	}
	if _, ok := Find(plan, "missed-1"); ok {
		t.Fatal("a completed booking is not missed")
	}

	noShow := Incident{ID: "inc_ns", Kind: KindBooking, Customer: Customer{Email: "a@example.com", TimeZone: "Europe/Madrid"}}
	at := mustTime(t, "2026-11-20T17:00:00Z")
	if _, err := noShow.Apply(Event{ID: "e1", Provider: "x", Ref: "r", Type: BookingCreated, OccurredAt: at.Add(-48 * time.Hour)}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := noShow.Apply(Event{ID: "e2", Provider: "x", Ref: "r", Type: BookingNoShow, OccurredAt: at}, at); err != nil {
		t.Fatal(err)
	}
	if noShow.Status != StatusNoShow || !noShow.NoShowAt.Equal(at) {
		t.Fatalf("status %s, no-show at %s", noShow.Status, noShow.NoShowAt)
	}
	plan = Plan(noShow, p, at)
	if got := keys(plan); !slices.Equal(got, []string{"missed-0"}) {
		t.Fatalf("a no-show plans %v, want only the missed-you note (no thank-you, no survey, no loyalty)", got)
	}
	off := DefaultPolicy()
	if got := keys(Plan(noShow, off, at)); len(got) != 0 {
		t.Fatalf("missed_you is off by default, yet %v", got)
	}
}

func TestLoyaltyPolicyValidation(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"rules":[],"loyalty":{"tiers":[3,3]}}`, "loyalty.tiers[1]"},
		{`{"rules":[],"loyalty":{"tiers":[1]}}`, "loyalty.tiers[0]"},
		{`{"rules":[],"loyalty":{"prefix":"thanks"}}`, "loyalty.prefix"},
		{`{"rules":[],"loyalty":{"offer":{"xx-!!":"15%"}}}`, "loyalty.offer"},
		{`{"rules":[],"loyalty":{"codes":["A1"]}}`, "loyalty.codes"},
		{`{"rules":[],"loyalty":{"offer":{"en":"x"},"codes":["A1","a1"]}}`, "loyalty.codes[1]"},
		{`{"rules":[],"loyalty":{"at":"25:00","days":1}}`, "loyalty.at"},
		{`{"rules":[],"loyalty":{"tier":[3]}}`, "unknown field"},
		{`{"rules":[],"missed_you":{"link":"http://x.example"}}`, "missed_you.link"},
		{`{"rules":[],"missed_you":{}}`, "missed_you.link"},
	} {
		_, err := ParsePolicy([]byte(tc.json))
		if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.json, err, tc.want)
		}
	}
	p, err := ParsePolicy([]byte(`{"rules":[],"loyalty":{"tiers":[2,4],"prefix":"GRACIAS","offer":{"en":"15% off","es":"15 % de descuento"},"codes":["POOL-1","POOL-2"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Loyalty.IsTier(4) || p.Loyalty.IsTier(3) || p.Loyalty.OfferText("es-MX") != "15 % de descuento" || p.Loyalty.OfferText("de") != "15% off" {
		t.Fatalf("loyalty = %+v", p.Loyalty)
	}
}
