package domain

// loyalty.go: loyal customers are thanked as people. The person's record
// counts the bookings they completed across every provider; at the tiers
// the policy names (the 3rd, 5th, 10th by default) a personal note thanks
// them, naming their history, with an offer code unique to them and the
// tier: derived (HMAC), so it is stable and verifiable without a lookup,
// or the next one of a pool the operator supplies.

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Loyalty is the policy's loyal-customer note.
type Loyalty struct {
	// Tiers are the completed bookings that earn a note (the 3rd, 5th
	// and 10th by default), counted across every provider.
	Tiers []int `json:"tiers,omitempty"`
	// When the note goes after the booking completes: Delay, or Days
	// later at local time At (default 2 days later at 11:00).
	Delay Duration `json:"delay,omitempty"`
	Days  int      `json:"days,omitempty"`
	At    string   `json:"at,omitempty"`
	// Offer is the special offer's text per locale ("15% off your next
	// booking"); without it the note thanks and offers no code.
	Offer map[string]string `json:"offer,omitempty"`
	// Prefix begins every derived code ("THANKS3-7QK3-M2XA"); default
	// THANKS.
	Prefix string `json:"prefix,omitempty"`
	// Codes is a pool of codes from the operator's booking system: each
	// note takes the next unused one (claimed atomically); once it runs
	// out, codes are derived again.
	Codes []string `json:"codes,omitempty"`
}

// MissedYou is the policy's note to a customer who did not come: it
// invites them to book again, at Link. Off unless the policy has it.
type MissedYou struct {
	Delay Duration `json:"delay,omitempty"`
	Days  int      `json:"days,omitempty"`
	At    string   `json:"at,omitempty"`
	// Link is the operator's booking page (https).
	Link string `json:"link"`
}

// Reserved step ids of the notes.
const (
	LoyaltyStepID   = "loyalty"
	MissedYouStepID = "missed"
	// DefaultOfferPrefix begins derived offer codes.
	DefaultOfferPrefix = "THANKS"
)

// DefaultLoyaltyTiers are the completed bookings that earn a note.
var DefaultLoyaltyTiers = []int{3, 5, 10}

// LoyaltyTiers are the policy's tiers, or the defaults.
func (l *Loyalty) LoyaltyTiers() []int {
	if l == nil || len(l.Tiers) == 0 {
		return DefaultLoyaltyTiers
	}
	return l.Tiers
}

// OfferPrefix is the prefix of derived codes.
func (l *Loyalty) OfferPrefix() string {
	if l == nil || l.Prefix == "" {
		return DefaultOfferPrefix
	}
	return l.Prefix
}

// HasOffer says whether notes carry a code.
func (l *Loyalty) HasOffer() bool { return l != nil && len(l.Offer) > 0 }

// OfferText is the offer in the customer's language, else English, else
// any (sorted, so always the same).
func (l *Loyalty) OfferText(locale string) string {
	if !l.HasOffer() {
		return ""
	}
	base := strings.ToLower(strings.SplitN(strings.ReplaceAll(locale, "_", "-"), "-", 2)[0])
	for _, k := range []string{locale, base, "en"} {
		if t, ok := l.Offer[k]; ok {
			return t
		}
	}
	keys := make([]string, 0, len(l.Offer))
	for k := range l.Offer {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return l.Offer[keys[0]]
}

// step is the loyalty note as a planned step's Step.
func (l *Loyalty) step() Step {
	s := Step{ID: LoyaltyStepID, Template: "loyalty_note", Delay: l.Delay, Days: l.Days, At: l.At}
	if s.Delay == 0 && s.At == "" {
		s.Days, s.At = 2, "11:00"
	}
	return s
}

func (m *MissedYou) step() Step {
	s := Step{ID: MissedYouStepID, Template: "missed_you", Delay: m.Delay, Days: m.Days, At: m.At}
	if s.Delay == 0 && s.At == "" {
		s.Days, s.At = 1, "10:00"
	}
	return s
}

const maxOfferText = 200

func (l *Loyalty) validate() error {
	prev := 1
	for i, t := range l.Tiers {
		if t <= prev || t > 1000 {
			return fmt.Errorf("loyalty.tiers[%d]: %d: tiers are completed bookings from 2 to 1000, in increasing order", i, t)
		}
		prev = t
	}
	if err := l.step().validate("loyalty"); err != nil {
		return err
	}
	if l.Prefix != "" && !prefixShape.match(l.Prefix) {
		return fmt.Errorf("loyalty.prefix: %q must be 1–12 of A-Z and 0-9, starting with a letter", l.Prefix)
	}
	for loc, text := range l.Offer {
		if _, err := language.Parse(loc); err != nil {
			return fmt.Errorf("loyalty.offer: %q is not a language tag such as en or es", loc)
		}
		if t := strings.TrimSpace(text); t == "" || len(t) > maxOfferText {
			return fmt.Errorf("loyalty.offer.%s: must be 1–%d bytes", loc, maxOfferText)
		}
	}
	seen := map[string]bool{}
	for i, c := range l.Codes {
		if !poolCodeShape.match(c) {
			return fmt.Errorf("loyalty.codes[%d]: %q must be 1–64 of A-Z, a-z, 0-9, - and _", i, c)
		}
		if seen[strings.ToUpper(c)] {
			return fmt.Errorf("loyalty.codes[%d]: %q appears twice", i, c)
		}
		seen[strings.ToUpper(c)] = true
	}
	if len(l.Codes) > 0 && !l.HasOffer() {
		return fmt.Errorf("loyalty.codes: a pool of codes needs loyalty.offer, the text that says what they are worth")
	}
	return nil
}

func (m *MissedYou) validate() error {
	if err := m.step().validate("missed_you"); err != nil {
		return err
	}
	u, err := url.Parse(m.Link)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("missed_you.link: %q must be an https URL (the page where they can book again)", m.Link)
	}
	return nil
}

// IsTier says whether the ordinal-th completed booking earns a note.
func (l *Loyalty) IsTier(ordinal int) bool { return slices.Contains(l.LoyaltyTiers(), ordinal) }

// LoyaltyNote is what a loyalty note said, recorded when it was claimed,
// so that a retry sends the same note.
type LoyaltyNote struct {
	Cycle int `json:"cycle"`
	// Ordinal is which completed booking this is (3 for the 3rd).
	Ordinal int `json:"ordinal"`
	// Since is when the person was first seen, for "since March 2025".
	Since time.Time `json:"since"`
	// Code is the offer code, if the policy makes an offer.
	Code string `json:"code,omitempty"`
}

// offerAlphabet is Crockford's base 32: no I, L, O, U to misread.
const offerAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// OfferCode derives a person's offer code for a tier: prefix, tier, and
// 40 bits of an HMAC of the person (their contact key) and the tier under
// key, e.g. "THANKS3-7QK3-M2XA". The same person and tier always get the
// same code; nobody can make one for somebody else without the key.
func OfferCode(key []byte, contactKey, prefix string, tier int) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("aftercare-offer-v1\x00" + contactKey + "\x00" + strconv.Itoa(tier)))
	sum := m.Sum(nil)
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString(strconv.Itoa(tier))
	v := uint64(sum[0])<<32 | uint64(sum[1])<<24 | uint64(sum[2])<<16 | uint64(sum[3])<<8 | uint64(sum[4])
	for i := range 8 {
		if i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(offerAlphabet[(v>>(35-5*uint(i)))&31])
	}
	return b.String()
}

// NormaliseOfferCode is a code as typed into a booking form, compared:
// trimmed, upper case, Crockford's look-alikes read as digits, and the
// dashes an email client or a copy and paste may bring (the note writes
// non-breaking hyphens, so a phone keeps the code on one line) read as
// hyphens.
func NormaliseOfferCode(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	return strings.NewReplacer("O", "0", "I", "1", "L", "1",
		"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2212", "-").Replace(code)
}

// VerifyOfferCode checks a derived code against the person it was made
// for, without a lookup: it returns the tier it was made for.
func VerifyOfferCode(key []byte, contactKey, prefix, code string) (int, bool) {
	code = NormaliseOfferCode(code)
	p := NormaliseOfferCode(prefix)
	rest, ok := strings.CutPrefix(code, p)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	tier, err := strconv.Atoi(digits)
	if !ok || err != nil || tier < 2 || tier > 1000 || strconv.Itoa(tier) != digits {
		return 0, false
	}
	want := NormaliseOfferCode(OfferCode(key, contactKey, prefix, tier))
	return tier, hmac.Equal([]byte(want), []byte(code))
}
