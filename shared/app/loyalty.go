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

// notTier is the person's record refusing a loyalty note: this booking
// is not one of the tiers (or the notes cannot be counted).
type notTier struct{ reason string }

func (e *notTier) Error() string { return e.reason }

// claimLoyalty decides a loyalty step at dispatch, in one conditional
// write on the person's record (claimBudget): which of their completed
// bookings this is; at a tier, the message budget, and the derived offer
// code, given in the same write. It returns the note to send, or the
// refusal (*notTier, domain.ErrThrottled, *notMailable). A pool's code is
// claimed after the write, so that a refused note wastes none.
func (s *Service) claimLoyalty(ctx context.Context, inc domain.Incident, step domain.PlannedStep) (*domain.LoyaltyNote, error) {
	l := s.cfg.Policy.Loyalty
	if l == nil {
		return nil, &notTier{"loyalty notes are off in the policy"}
	}
	if s.cfg.ContactKey == nil || inc.Customer.Email == "" {
		return nil, &notTier{"loyalty: no person's record to count bookings on"}
	}
	cycle, _ := strconv.Atoi(strings.TrimPrefix(step.Key, domain.LoyaltyStepID+"-"))
	if n := inc.Loyalty; n != nil && n.Cycle == cycle {
		return n, nil // decided before: a retry sends the same note
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	pooled := len(l.Codes) > 0
	cooldown := s.cfg.Policy.MessageBudget()
	var note *domain.LoyaltyNote
	err := s.claimBudget(ctx, inc, step, func(c *domain.Contact, now time.Time) error {
		note = nil
		ordinal := c.Ordinal(inc.ID)
		if !l.IsTier(ordinal) {
			return &notTier{fmt.Sprintf("not a loyalty tier: the %s completed booking (notes go on the %s)", ordinalWords(ordinal), tierWords(l.LoyaltyTiers()))}
		}
		if err := c.ClaimMessage(inc.ID, step.Key, cooldown, now); err != nil {
			return err
		}
		note = &domain.LoyaltyNote{Cycle: cycle, Ordinal: ordinal, Since: c.FirstSeen}
		if o, ok := c.OfferFor(ordinal); ok {
			note.Code = o.Code
		} else if l.HasOffer() && !pooled {
			note.Code = c.GiveOffer(ordinal, domain.OfferCode(s.offerKey(), key, l.OfferPrefix(), ordinal), inc.ID, now).Code
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if note != nil && note.Code == "" && l.HasOffer() {
		if err := s.givePoolOffer(ctx, inc, key, note); err != nil {
			return nil, err
		}
	}
	return note, nil
}

// givePoolOffer gives the note the next code of the operator's pool, or
// the derived one once the pool is used up.
func (s *Service) givePoolOffer(ctx context.Context, inc domain.Incident, key string, note *domain.LoyaltyNote) error {
	l := s.cfg.Policy.Loyalty
	code, err := s.poolCode(ctx)
	if err != nil {
		return err
	}
	if code == "" {
		s.log.WarnContext(ctx, "the pool of offer codes is used up; deriving codes again", "incident", inc.ID)
		code = domain.OfferCode(s.offerKey(), key, l.OfferPrefix(), note.Ordinal)
	}
	now := s.cfg.Clock.Now()
	_, err = s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
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
