package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/store"
)

// MessageStore keeps the raw messages replies were read from, by the
// reference their timeline entries carry ("inbound/<name>" locally,
// "s3://bucket/key" on AWS), and any copies of the mail sent (the local
// outbox; SES keeps none).
type MessageStore interface {
	// DeleteMessage removes one reply; a missing one is not an error.
	DeleteMessage(ctx context.Context, ref string) error
	// ForgetSent removes the copies of what was sent about an incident
	// and says how many there were.
	ForgetSent(ctx context.Context, incidentID string) (int, error)
}

// ErrNoPerson is returned when nothing is held about an address.
var ErrNoPerson = errors.New("nothing is held about this address")

// PersonExport is everything held about one person: their record and
// their incidents, with answers, comments, replies (the raw messages by
// reference) and timelines.
type PersonExport struct {
	ExportedAt time.Time         `json:"exported_at"`
	Contact    domain.Contact    `json:"contact"`
	Incidents  []domain.Incident `json:"incidents"`
	// Messages are the references of the raw reply messages kept.
	Messages []string `json:"messages"`
}

// EraseResult counts what an erase removed. It holds no address.
type EraseResult struct {
	// Contact is the keyed hash the suppression entry is kept under.
	Contact   string `json:"contact"`
	Incidents int    `json:"incidents"`
	Messages  int    `json:"messages"`
	// Sent counts the copies of sent mail removed (the local outbox).
	Sent      int `json:"sent"`
	Schedules int `json:"schedules"`
	// Kept lists references that could not be deleted here (raw messages
	// in a store this composition cannot reach).
	Kept []string `json:"kept,omitempty"`
}

// Person returns the record held about an address.
func (s *Service) Person(ctx context.Context, email string) (domain.Contact, error) {
	if s.cfg.ContactKey == nil {
		return domain.Contact{}, ErrNoContacts
	}
	c, err := s.cfg.Store.GetContact(ctx, domain.ContactKey(s.cfg.ContactKey, email))
	if errors.Is(err, store.ErrNotFound) {
		return domain.Contact{}, ErrNoPerson
	}
	if err != nil {
		return domain.Contact{}, fmt.Errorf("person: %w", err)
	}
	return c, nil
}

// Export gathers everything held about a person ("what do you hold about
// me?") as one document.
func (s *Service) Export(ctx context.Context, email string) (PersonExport, error) {
	c, err := s.Person(ctx, email)
	if err != nil {
		return PersonExport{}, err
	}
	out := PersonExport{ExportedAt: s.cfg.Clock.Now(), Contact: c, Incidents: []domain.Incident{}, Messages: []string{}}
	incs, err := s.incidentsOf(ctx, c, email)
	if err != nil {
		return PersonExport{}, err
	}
	for _, inc := range incs {
		out.Incidents = append(out.Incidents, inc)
		out.Messages = append(out.Messages, messageRefs(inc)...)
	}
	s.log.InfoContext(ctx, "person exported", "contact", c.Key, "incidents", len(out.Incidents))
	return out, nil
}

// Erase deletes everything held about a person ("delete me"): their
// incidents with answers, comments and replies, the raw reply messages,
// and the pending wake-up calls; it keeps only a suppression entry under
// the keyed hash of the address, so that they are not mailed again. It
// can be rerun after an interruption. The log records the counts and
// the time, never the address.
func (s *Service) Erase(ctx context.Context, email string) (EraseResult, error) {
	c, err := s.Person(ctx, email)
	if err != nil {
		return EraseResult{}, err
	}
	res := EraseResult{Contact: c.Key}
	incs, err := s.incidentsOf(ctx, c, email)
	if err != nil {
		return EraseResult{}, err
	}
	now := s.cfg.Clock.Now()
	for _, inc := range incs {
		for name := range s.wanted(inc, now) {
			if err := s.cfg.Scheduler.Delete(ctx, name); err != nil {
				return res, fmt.Errorf("erase %s: cancel %s: %w", inc.ID, name, err)
			}
			res.Schedules++
		}
		for _, ref := range messageRefs(inc) {
			if s.cfg.Messages == nil {
				res.Kept = append(res.Kept, ref)
				continue
			}
			if err := s.cfg.Messages.DeleteMessage(ctx, ref); err != nil {
				return res, fmt.Errorf("erase %s: delete message: %w", inc.ID, err)
			}
			res.Messages++
		}
		if s.cfg.Messages != nil {
			n, err := s.cfg.Messages.ForgetSent(ctx, inc.ID)
			if err != nil {
				return res, fmt.Errorf("erase %s: sent mail: %w", inc.ID, err)
			}
			res.Sent += n
		}
		if err := s.cfg.Store.Delete(ctx, inc.ID); err != nil {
			return res, fmt.Errorf("erase %s: %w", inc.ID, err)
		}
		res.Incidents++
	}
	if _, err := s.cfg.Store.UpdateContact(ctx, c.Key, func(cur *domain.Contact) error {
		*cur = domain.Contact{Key: c.Key, Version: cur.Version,
			Consent: domain.Consent{State: domain.ConsentSuppressed, Reason: "erased at the person's request", At: now}}
		return nil
	}); err != nil {
		return res, fmt.Errorf("erase: keep the suppression entry: %w", err)
	}
	s.log.InfoContext(ctx, "person erased", "contact", c.Key, "incidents", res.Incidents, "messages", res.Messages, "sent", res.Sent, "schedules", res.Schedules, "kept", len(res.Kept))
	return res, nil
}

// UnsubscribeEmail unsubscribes an address on an operator's say (the
// admin command): the person asked by phone or at the desk.
func (s *Service) UnsubscribeEmail(ctx context.Context, email string) (domain.Contact, error) {
	if s.cfg.ContactKey == nil {
		return domain.Contact{}, ErrNoContacts
	}
	key := domain.ContactKey(s.cfg.ContactKey, email)
	c, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Key = key
		if !c.Unsubscribe(s.cfg.Clock.Now()) && c.Version > 0 {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		return domain.Contact{}, fmt.Errorf("unsubscribe: %w", err)
	}
	s.log.InfoContext(ctx, "consent changed", "contact", key, "consent", c.Consent.State, "by", "operator")
	return c, nil
}

// incidentsOf loads a person's incidents, skipping those already gone
// and any whose customer is not this address.
func (s *Service) incidentsOf(ctx context.Context, c domain.Contact, email string) ([]domain.Incident, error) {
	var out []domain.Incident
	for _, id := range c.Incidents {
		inc, err := s.cfg.Store.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("person's incident %s: %w", id, err)
		}
		if mail.SameAddress(inc.Customer.Email, email) {
			out = append(out, inc)
		}
	}
	return out, nil
}

// messageRefs are the references of the raw messages an incident's
// replies were read from.
func messageRefs(inc domain.Incident) []string {
	var out []string
	for _, e := range inc.Timeline {
		switch e.Kind {
		case domain.EntryReply, domain.EntryForeignReply, domain.EntryAutoReply:
			if e.Ref != "" {
				out = append(out, e.Ref)
			}
		}
	}
	return out
}
