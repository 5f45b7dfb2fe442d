package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/store"
)

// MailEvent is what the mail system reported about a message we sent:
// SES's bounce, complaint and delivery-delay events, read at the edge
// (shared/sesevents) from the event EventBridge delivers.
type MailEvent struct {
	// ID is the event's id, so that a redelivered event counts once.
	ID string
	// Type is MailBounce, MailComplaint or MailDelay.
	Type string
	// BounceType is SES's "Permanent", "Transient" or "Undetermined".
	BounceType string
	// SubType is the bounce's subtype, the complaint's feedback type or
	// the delay's type, for the timeline.
	SubType string
	// Incident and Step come from the message's tags.
	Incident, Step string
	// Recipients are the addresses the event is about.
	Recipients []string
	At         time.Time
}

// Mail event types, as SES names them (eventType).
const (
	MailBounce    = "Bounce"
	MailComplaint = "Complaint"
	MailDelay     = "DeliveryDelay"
)

// MailEventResult says what a mail event changed. It holds no address.
type MailEventResult struct {
	// Outcome is "suppressed" (no more follow-ups to the person),
	// "soft_bounce" (counted; the third in 30 days suppresses), "noted"
	// (on the timeline only: a delay, a bounce of the team's alert),
	// "duplicate" or "dropped" (Reason says why).
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
	IncidentID string `json:"incident_id,omitempty"`
	Step       string `json:"step,omitempty"`
}

// Mail event outcomes.
const (
	MailSuppressed = "suppressed"
	MailSoftBounce = "soft_bounce"
	MailNoted      = "noted"
	MailDuplicate  = "duplicate"
	MailDropped    = "dropped"
)

// RecordMailEvent acts on a bounce, a complaint or a delivery delay: a
// permanent bounce or a complaint suppresses the person (no follow-up from
// any incident, ever, unless an operator lifts it); transient bounces are
// counted, and the third within 30 days suppresses; each is noted on the
// timeline of the incident the message belonged to, found by its tags. A
// bounce of a message to somebody else (the team's alert) is only noted.
// Redelivered events change nothing twice. An event that names no
// incident of ours is dropped, not failed: a retry would not change it.
func (s *Service) RecordMailEvent(ctx context.Context, ev MailEvent) (MailEventResult, error) {
	switch ev.Type {
	case MailBounce, MailComplaint, MailDelay:
	default:
		return s.dropMail(ctx, ev, "not a bounce, complaint or delay: "+truncateReason(ev.Type)), nil
	}
	if ev.Incident == "" {
		return s.dropMail(ctx, ev, "the message carries no incident tag"), nil
	}
	inc, err := s.cfg.Store.Get(ctx, ev.Incident)
	if errors.Is(err, store.ErrNotFound) {
		return s.dropMail(ctx, ev, "unknown incident"), nil
	}
	if err != nil {
		return MailEventResult{}, fmt.Errorf("mail event for %s: %w", ev.Incident, err)
	}
	now := s.cfg.Clock.Now()
	res := MailEventResult{Outcome: MailNoted, IncidentID: inc.ID, Step: ev.Step}
	customer := inc.Customer.Email != "" && slices.ContainsFunc(ev.Recipients, func(r string) bool { return mail.SameAddress(r, inc.Customer.Email) })
	detail := describeMailEvent(ev)
	if !customer {
		detail += " (not the customer's address: nothing changes for them)"
	}

	// The person first, deduplicated on their record, then the timeline
	// (deduplicated by the event's id): a crash between the two leaves a
	// redelivery that notes the event without counting it twice.
	if customer && ev.Type != MailDelay && s.cfg.ContactKey != nil {
		key := domain.ContactKey(s.cfg.ContactKey, inc.Customer.Email)
		dup := false
		c, err := s.cfg.Store.UpdateContact(ctx, key, func(c *domain.Contact) error {
			c.Key = key
			c.Saw(inc, now)
			if !c.SawMailEvent(ev.ID) {
				dup = true
				return store.ErrUnchanged
			}
			switch {
			case ev.Type == MailComplaint:
				c.Suppress("complaint"+paren(ev.SubType), now)
			case ev.BounceType == "Permanent":
				c.Suppress("permanent bounce"+paren(ev.SubType), now)
			default:
				c.SoftBounce(now)
			}
			return nil
		})
		if err != nil {
			return MailEventResult{}, fmt.Errorf("mail event for %s: %w", inc.ID, err)
		}
		switch {
		case dup:
			res.Outcome = MailDuplicate
		case c.Consent.State == domain.ConsentSuppressed:
			res.Outcome = MailSuppressed
			detail += "; " + c.Consent.Reason + ": no more follow-ups to this person"
		default:
			res.Outcome = MailSoftBounce
			detail += fmt.Sprintf("; %d soft bounce(s) within 30 days", len(c.TransientBounces))
		}
	}
	noted := false
	if _, err := s.updateFrom(ctx, inc, func(cur *domain.Incident) error {
		if !cur.RecordMailEvent(now, ev.Step, detail, ev.ID) {
			return store.ErrUnchanged
		}
		noted = true
		return nil
	}); err != nil {
		return MailEventResult{}, fmt.Errorf("mail event for %s: %w", inc.ID, err)
	}
	if !noted && res.Outcome == MailNoted {
		res.Outcome = MailDuplicate
	}
	s.log.InfoContext(ctx, "mail event", "incident", inc.ID, "step", ev.Step, "type", ev.Type, "bounce_type", ev.BounceType, "outcome", res.Outcome)
	return res, nil
}

func (s *Service) dropMail(ctx context.Context, ev MailEvent, reason string) MailEventResult {
	s.log.WarnContext(ctx, "mail event dropped", "reason", reason, "event", truncateReason(ev.ID))
	return MailEventResult{Outcome: MailDropped, Reason: reason}
}

// describeMailEvent is the timeline's line for an event, without any
// address.
func describeMailEvent(ev MailEvent) string {
	switch ev.Type {
	case MailComplaint:
		return "complaint: the message was marked as spam" + paren(ev.SubType)
	case MailDelay:
		return "delivery delayed" + paren(ev.SubType)
	}
	return "bounce: " + truncateReason(ev.BounceType) + paren(ev.SubType)
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + truncateReason(s) + ")"
}

// truncateReason bounds a string taken from an event before it reaches a
// log line or the timeline.
func truncateReason(s string) string {
	if len(s) > 64 {
		s = strings.ToValidUTF8(s[:64], "")
	}
	return s
}
