package app

// loyalty.go thanks loyal customers as people: at dispatch, the person's
// record says which of their completed bookings this one is; at a tier it
// gets the personal note, with an offer code; a later booking that carries
// the code redeems it.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// SkipNotTier is the dispatch result of a loyalty step for a booking that
// is not one of the tiers.
const SkipNotTier = "skipped: not a loyalty tier"

// offerKey is the key offer codes are derived under: the contact key's own
// derivation, so codes need no secret of their own and cannot be made
// without it.
func (s *Service) offerKey() []byte {
	m := hmac.New(sha256.New, s.cfg.ContactKey)
	m.Write([]byte("aftercare-offer-key-v1"))
	return m.Sum(nil)
}

// loyaltyNote decides a loyalty step at dispatch: the booking's place
// among the person's completed bookings (recorded on their record in the
// same write). It returns the note to send, or why none goes.
func (s *Service) loyaltyNote(ctx context.Context, inc domain.Incident, step domain.PlannedStep) (*domain.LoyaltyNote, string, error) {
	l := s.cfg.Policy.Loyalty
	if l == nil {
		return nil, "loyalty notes are off in the policy", nil
	}
	if s.cfg.ContactKey == nil || inc.Customer.Email == "" {
		return nil, "loyalty: no person's record to count bookings on", nil
	}
	cycle, _ := strconv.Atoi(strings.TrimPrefix(step.Key, domain.LoyaltyStepID+"-"))
	if n := inc.Loyalty; n != nil && n.Cycle == cycle {
		return n, "", nil // decided before: a retry sends the same note
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	now := s.cfg.Clock.Now()
	var ordinal int
	var since time.Time
	c, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Key = key
		learnt := c.Saw(inc, now)
		ordinal, since = c.Ordinal(inc.ID), c.FirstSeen
		if !learnt {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("loyalty of %s: %w", inc.ID, err)
	}
	if !l.IsTier(ordinal) {
		return nil, fmt.Sprintf("not a loyalty tier: the %s completed booking (notes go on the %s)", ordinalWords(ordinal), tierWords(l.LoyaltyTiers())), nil
	}
	note := &domain.LoyaltyNote{Cycle: cycle, Ordinal: ordinal, Since: since}
	if o, ok := c.OfferFor(ordinal); ok {
		note.Code = o.Code
	}
	return note, "", nil
}

// giveOffer gives the note's offer code, once its budget is claimed: the
// next code of the operator's pool (claimed atomically), or the derived
// one. A tier given before keeps its code.
func (s *Service) giveOffer(ctx context.Context, inc domain.Incident, note *domain.LoyaltyNote) error {
	l := s.cfg.Policy.Loyalty
	if !l.HasOffer() || note.Code != "" {
		return nil
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	code := domain.OfferCode(s.offerKey(), key, l.OfferPrefix(), note.Ordinal)
	if len(l.Codes) > 0 {
		if pooled, err := s.poolCode(ctx); err != nil {
			return err
		} else if pooled != "" {
			code = pooled
		} else {
			s.log.WarnContext(ctx, "the pool of offer codes is used up; deriving codes again", "incident", inc.ID)
		}
	}
	now := s.cfg.Clock.Now()
	_, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Key = key
		note.Code = c.GiveOffer(note.Ordinal, code, inc.ID, now).Code
		return nil
	})
	if err != nil {
		return fmt.Errorf("offer for %s: %w", inc.ID, err)
	}
	return nil
}

// poolCode claims the next unused code of the operator's pool, "" once it
// is used up. A counter in the store hands each index out once, however
// many dispatchers race; a changed pool starts its own counter.
func (s *Service) poolCode(ctx context.Context) (string, error) {
	ts, err := s.teamStore()
	if err != nil {
		return "", fmt.Errorf("offer pool: %w", err)
	}
	codes := s.cfg.Policy.Loyalty.Codes
	now := s.cfg.Clock.Now()
	n, err := ts.CountEphemeral(ctx, "offer-pool:"+digest(strings.Join(codes, "\n"))[:16], now.AddDate(20, 0, 0), now)
	if err != nil {
		return "", fmt.Errorf("offer pool: %w", err)
	}
	if n > len(codes) {
		return "", nil
	}
	return codes[n-1], nil
}

// redeemOffer records what became of the offer code a booking carried:
// on the person's record (a code is accepted once) and on the booking's
// timeline. A redelivered webhook finds it redeemed by the same booking.
func (s *Service) redeemOffer(ctx context.Context, inc domain.Incident, code string) error {
	if code == "" || s.cfg.ContactKey == nil || inc.Customer.Email == "" {
		return nil
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	now := s.cfg.Clock.Now()
	var offer domain.Offer
	var outcome string
	_, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Key = key
		c.Saw(inc, now)
		offer, outcome = c.Redeem(code, inc.ID, now)
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrUnchanged) {
		return fmt.Errorf("redeem an offer on %s: %w", inc.ID, err)
	}
	_, err = s.cfg.Store.Update(ctx, inc.ID, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		if !cur.RecordRedemption(code, outcome, offer, now) {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redeem an offer on %s: %w", inc.ID, err)
	}
	s.log.InfoContext(ctx, "offer code on a booking", "incident", inc.ID, "outcome", outcome)
	return nil
}

func ordinalWords(n int) string {
	if n <= 0 {
		return "(not yet counted)"
	}
	return domain.EnglishOrdinal(n)
}

func tierWords(tiers []int) string {
	words := make([]string, len(tiers))
	for i, t := range tiers {
		words[i] = ordinalWords(t)
	}
	return strings.Join(words, ", ")
}
