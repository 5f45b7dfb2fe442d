package domain

import (
	"fmt"
	"slices"
	"time"
)

// Offer is an offer code a person was given with a loyalty note, and its
// redemption.
type Offer struct {
	Tier     int       `json:"tier"`
	Code     string    `json:"code"`
	Incident string    `json:"incident"`
	IssuedAt time.Time `json:"issued_at"`
	// RedeemedAt and RedeemedBy (the incident of the booking that carried
	// it) are set once: a code is not accepted twice.
	RedeemedAt time.Time `json:"redeemed_at,omitzero"`
	RedeemedBy string    `json:"redeemed_by,omitempty"`
}

const maxOffers = 20

// Ordinal is which of the person's completed bookings incident is (1 for
// their first), or 0 if it is not one of them. Saw must have folded the
// incident in.
func (c *Contact) Ordinal(incident string) int {
	i := slices.Index(c.Completed, incident)
	if i < 0 {
		return 0
	}
	// Completed keeps the latest ones; CompletedBookings counts them all.
	return c.CompletedBookings - (len(c.Completed) - 1 - i)
}

// OfferFor returns the offer already given for a tier.
func (c *Contact) OfferFor(tier int) (Offer, bool) {
	for _, o := range c.Offers {
		if o.Tier == tier {
			return o, true
		}
	}
	return Offer{}, false
}

// GiveOffer records an offer code given with the note of a tier; a tier
// given before keeps its first code (which it returns).
func (c *Contact) GiveOffer(tier int, code, incident string, now time.Time) Offer {
	if o, ok := c.OfferFor(tier); ok {
		return o
	}
	o := Offer{Tier: tier, Code: code, Incident: incident, IssuedAt: now}
	c.Offers = append(c.Offers, o)
	if len(c.Offers) > maxOffers {
		c.Offers = c.Offers[len(c.Offers)-maxOffers:]
	}
	return o
}

// Redemption outcomes.
const (
	Redeemed        = "redeemed"
	AlreadyRedeemed = "already_redeemed"
	UnknownOffer    = "unknown"
)

// Redeem marks the person's offer with that code used by the booking
// incident. The same booking redeeming again (a redelivered webhook) is
// still "redeemed"; another booking gets AlreadyRedeemed, with the offer
// saying when and by whom.
func (c *Contact) Redeem(code, incident string, now time.Time) (Offer, string) {
	want := NormaliseOfferCode(code)
	for i, o := range c.Offers {
		if NormaliseOfferCode(o.Code) != want {
			continue
		}
		switch {
		case o.RedeemedBy == incident:
			return o, Redeemed
		case !o.RedeemedAt.IsZero():
			return o, AlreadyRedeemed
		}
		c.Offers[i].RedeemedAt, c.Offers[i].RedeemedBy = now, incident
		return c.Offers[i], Redeemed
	}
	return Offer{}, UnknownOffer
}

// RecordRedemption notes on a booking's timeline what became of the offer
// code it carried.
func (inc *Incident) RecordRedemption(code, outcome string, o Offer, now time.Time) bool {
	detail := fmt.Sprintf("offer code %s: ", truncate(code, 64))
	switch outcome {
	case Redeemed:
		detail += fmt.Sprintf("redeemed (the thanks for the %s booking, given %s)", EnglishOrdinal(o.Tier), o.IssuedAt.UTC().Format("2006-01-02"))
	case AlreadyRedeemed:
		detail += "not accepted: already redeemed on " + o.RedeemedAt.UTC().Format("2006-01-02")
	default:
		detail += "not accepted: not a code this customer was given"
	}
	if slices.ContainsFunc(inc.Timeline, func(e Entry) bool { return e.Kind == EntryOffer && e.Detail == detail }) {
		return false
	}
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryOffer, Detail: detail})
	return true
}

// EntryOffer: a booking carried an offer code.
const EntryOffer = "offer_code"

// EnglishOrdinal is 3rd, 11th, 22nd: for the timeline, which is English.
func EnglishOrdinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
