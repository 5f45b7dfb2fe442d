package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/store"
)

// unsubscribeStep marks a link token as a person's one-click unsubscribe
// link (it names the incident whose email carried it; the person is that
// incident's customer). It answers no survey and opens no timeline.
const unsubscribeStep = "unsubscribe"

// unsubscribeLife is how long an unsubscribe link works: a year, well past
// the 60 days mailbox providers may wait before they call it.
const unsubscribeLife = 365 * 24 * time.Hour

// UnsubscribeURL is the one-click unsubscribe link of an email about an
// incident (RFC 8058's List-Unsubscribe target, and the footer's link).
func (s *Service) UnsubscribeURL(incidentID string, now time.Time) string {
	return s.cfg.PublicURL + "/u/" + s.cfg.Links.Sign(links.Claims{Incident: incidentID, Step: unsubscribeStep, Expires: now.Add(unsubscribeLife)})
}

// ConsentView is what the unsubscribe page shows.
type ConsentView struct {
	// Locale is the person's language.
	Locale string
	// Unsubscribed: the person asked for no more follow-ups (they may
	// resubscribe). Suppressed: their mailbox refused mail or they
	// complained (not undone from a link).
	Unsubscribed, Suppressed bool
}

// ErrNoContacts is returned by the consent use cases of a composition
// without people's records (no contact key).
var ErrNoContacts = errors.New("this composition keeps no people's records")

// ConsentPeek verifies an unsubscribe link and shows where the person
// stands, recording nothing: mail scanners fetch every link.
func (s *Service) ConsentPeek(ctx context.Context, token string) (ConsentView, error) {
	return s.consent(ctx, token, nil)
}

// Unsubscribe records, at once and with no further step, that the person
// an unsubscribe link names wants no more follow-ups: from any incident
// or provider, from now on. It is what a mailbox provider's RFC 8058
// one-click POST and the page's button call. Acknowledgements of a
// complaint the person makes later still go: they answer the person.
func (s *Service) Unsubscribe(ctx context.Context, token string) (ConsentView, error) {
	return s.consent(ctx, token, (*domain.Contact).Unsubscribe)
}

// Resubscribe undoes the person's own unsubscription.
func (s *Service) Resubscribe(ctx context.Context, token string) (ConsentView, error) {
	return s.consent(ctx, token, (*domain.Contact).Resubscribe)
}

func (s *Service) consent(ctx context.Context, token string, change func(*domain.Contact, time.Time) bool) (ConsentView, error) {
	c, err := s.cfg.Links.Verify(token, s.cfg.Clock.Now())
	if err != nil {
		return ConsentView{}, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	if c.Step != unsubscribeStep {
		return ConsentView{}, fmt.Errorf("%w: not an unsubscribe link", ErrBadLink)
	}
	if s.cfg.ContactKey == nil {
		return ConsentView{}, ErrNoContacts
	}
	inc, err := s.cfg.Store.Get(ctx, c.Incident)
	if errors.Is(err, store.ErrNotFound) {
		return ConsentView{}, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	if err != nil {
		return ConsentView{}, err
	}
	return s.changeConsent(ctx, inc, change, "the person's one-click link")
}

// changeConsent applies a consent change (nil: none) to the customer of an
// incident just read, and notes it on the incident's timeline; how says
// what asked.
func (s *Service) changeConsent(ctx context.Context, inc domain.Incident, change func(*domain.Contact, time.Time) bool, how string) (ConsentView, error) {
	if s.cfg.ContactKey == nil {
		return ConsentView{}, ErrNoContacts
	}
	key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
	now := s.cfg.Clock.Now()
	changed := false
	contact, err := s.cfg.Store.UpdateContact(ctx, key, func(ct *domain.Contact) error {
		ct.Key = key
		ct.Saw(inc, now)
		changed = change != nil && change(ct, now)
		if !changed && ct.Version > 0 {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		return ConsentView{}, fmt.Errorf("consent of %s: %w", inc.ID, err)
	}
	if changed {
		state := contact.Consent.State
		if state == "" {
			state = "resubscribed"
		}
		s.log.InfoContext(ctx, "consent changed", "incident", inc.ID, "contact", key, "consent", state)
		if _, err := s.updateFrom(ctx, inc, func(cur *domain.Incident) error {
			cur.Record(now, domain.EntryConsent, "", state+" ("+how+")")
			return nil
		}); err != nil {
			s.log.WarnContext(ctx, "consent changed but not noted on the timeline", "incident", inc.ID, "error", err)
		}
	}
	return ConsentView{
		Locale:       inc.Customer.Locale,
		Unsubscribed: contact.Consent.State == domain.ConsentUnsubscribed,
		Suppressed:   contact.Consent.State == domain.ConsentSuppressed,
	}, nil
}

// mailable checks a customer-facing step against the person's consent; it
// returns the reason to skip, or "".
func (s *Service) mailable(ctx context.Context, inc domain.Incident) (string, error) {
	if s.cfg.ContactKey == nil || inc.Customer.Email == "" {
		return "", nil
	}
	c, err := s.cfg.Store.GetContact(ctx, domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("consent of %s: %w", inc.ID, err)
	}
	reason, ok := c.Mailable()
	if ok {
		return "", nil
	}
	return reason, nil
}
