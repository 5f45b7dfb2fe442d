package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Contact is the person behind incidents, across providers: what belongs
// to them rather than to one booking or ticket. Today that is the survey
// budget (at most one survey per person per Policy.SurveyCooldown); the
// consent, loyalty and privacy requests of later work build on it. It is
// keyed by a keyed hash of the normalised address (ContactKey), so that a
// key seen in a log or a URL does not reveal the address, and a
// dictionary of addresses cannot be hashed to find it without the key.
type Contact struct {
	Key string `json:"key"`
	// Email is the normalised address (NormaliseEmail). The store keeps
	// it; logs never carry it.
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	Locale    string    `json:"locale,omitempty"`
	TimeZone  string    `json:"time_zone,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Incidents are the ids of the person's incidents, latest last, at
	// most maxContactIncidents.
	Incidents []string `json:"incidents,omitempty"`
	// LastSurvey is the survey that used the person's survey budget.
	LastSurvey *SurveyClaim `json:"last_survey,omitempty"`
	// LastMessage is the personal note (KindNote) that used the person's
	// message budget.
	LastMessage *SurveyClaim `json:"last_message,omitempty"`
	// Offers are the offer codes given with loyalty notes (latest 20).
	Offers []Offer `json:"offers,omitempty"`
	// LastSent is the latest email that went to the person (any kind).
	LastSent *SurveyClaim `json:"last_sent,omitempty"`
	// CompletedBookings counts the person's completed bookings (a
	// returning guest's loyalty); Completed holds the latest of their ids
	// (at most maxContactIncidents), so that none counts twice.
	CompletedBookings int      `json:"completed_bookings,omitempty"`
	Completed         []string `json:"completed,omitempty"`
	// Consent is whether the person may be mailed follow-ups; the zero
	// value is subscribed.
	Consent Consent `json:"consent,omitzero"`
	// TransientBounces are the recent soft bounces (mailbox full, server
	// down), at most maxTransient; three within 30 days suppress.
	TransientBounces []time.Time `json:"transient_bounces,omitempty"`
	// MailEvents are the ids of the latest mail events applied (at most
	// maxMailEvents), so that a redelivered event counts once.
	MailEvents []string `json:"mail_events,omitempty"`
	// Version is maintained by the store for optimistic concurrency.
	Version int64 `json:"version"`
}

// SurveyClaim is one use of a person's survey budget (or, as LastSent, one
// email sent): when, and for which incident and step.
type SurveyClaim struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
	Step     string    `json:"step"`
}

// maxContactIncidents bounds the ids a person's record keeps: 200 ids are
// about 4 KB, one DynamoDB read unit, and more incidents than almost anyone
// has within the 400-day retention (export and erase find the incidents
// through this list).
const maxContactIncidents = 200

// NormaliseEmail is how an address identifies a person: trimmed and
// lower-cased whole. Mailbox providers treat the local part
// case-insensitively; nothing else is folded (no Gmail dots, no "+tag"
// removal), so that it is simple and predictable, the same rule as
// mail.SameAddress.
func NormaliseEmail(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

// ContactKey derives a contact's key from an address with HMAC-SHA256
// under key (the operator's contact key): deterministic, so every incident
// of the person finds the same record without a lookup, and not a plain
// hash, which a dictionary of addresses would reverse.
func ContactKey(key []byte, addr string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("aftercare-contact-v1\x00"))
	m.Write([]byte(NormaliseEmail(addr)))
	return "con_" + strings.ToLower(idEncoding.EncodeToString(m.Sum(nil)[:15]))
}

// Saw folds an incident of the person into the contact: the latest name,
// locale and zone a sender gave, and the incident among theirs. It reports
// whether anything changed, so that an unchanged contact costs no write.
func (c *Contact) Saw(inc Incident, now time.Time) bool {
	changed := false
	set := func(dst *string, v string) {
		if v != "" && *dst != v {
			*dst, changed = v, true
		}
	}
	if c.Email == "" {
		c.Email, c.FirstSeen, changed = NormaliseEmail(inc.Customer.Email), now, true
	}
	set(&c.Name, inc.Customer.Name)
	set(&c.Locale, inc.Customer.Locale)
	set(&c.TimeZone, inc.Customer.TimeZone)
	if !slices.Contains(c.Incidents, inc.ID) {
		c.Incidents = append(c.Incidents, inc.ID)
		if len(c.Incidents) > maxContactIncidents {
			c.Incidents = c.Incidents[len(c.Incidents)-maxContactIncidents:]
		}
		changed = true
	}
	// A booking counts once it is completed: said so, or (Cal.com,
	// Calendly) its end passed.
	status, _, at := effectiveResolution(inc)
	completed := inc.Status == StatusCompleted || status == StatusCompleted && !at.After(now)
	if inc.Kind == KindBooking && completed && !slices.Contains(c.Completed, inc.ID) {
		c.Completed = append(c.Completed, inc.ID)
		if len(c.Completed) > maxContactIncidents {
			c.Completed = c.Completed[len(c.Completed)-maxContactIncidents:]
		}
		c.CompletedBookings++
		changed = true
	}
	if changed {
		c.LastSeen = now
	}
	return changed
}

// ErrThrottled is returned by ClaimSurvey when the person's survey budget
// is used: they were asked too recently.
var ErrThrottled = errors.New("survey budget used")

// ClaimSurvey spends the person's survey budget on one step: at most one
// survey per cooldown, across every incident and provider. The same
// incident and step may claim again (a retry, a redelivered fire); any
// other step within the cooldown is refused with ErrThrottled, which says
// which survey used the budget. A zero cooldown never throttles.
func (c *Contact) ClaimSurvey(incident, step string, cooldown time.Duration, now time.Time) error {
	if l := c.LastSurvey; l != nil && cooldown > 0 {
		if l.Incident == incident && l.Step == step {
			return nil
		}
		if now.Before(l.At.Add(cooldown)) {
			return fmt.Errorf("%w: a survey went out on %s, the next may go from %s",
				ErrThrottled, l.At.UTC().Format("2006-01-02"), l.At.Add(cooldown).UTC().Format("2006-01-02"))
		}
	}
	c.LastSurvey = &SurveyClaim{At: now, Incident: incident, Step: step}
	return nil
}

// ClaimMessage spends the person's message budget on a personal note
// (a loyalty thanks, a review invitation), as ClaimSurvey does the survey
// budget: one per cooldown across every incident; the same incident and
// step may claim again.
func (c *Contact) ClaimMessage(incident, step string, cooldown time.Duration, now time.Time) error {
	if l := c.LastMessage; l != nil && cooldown > 0 {
		if l.Incident == incident && l.Step == step {
			return nil
		}
		if now.Before(l.At.Add(cooldown)) {
			return fmt.Errorf("%w: a personal note went out on %s, the next may go from %s",
				ErrThrottled, l.At.UTC().Format("2006-01-02"), l.At.Add(cooldown).UTC().Format("2006-01-02"))
		}
	}
	c.LastMessage = &SurveyClaim{At: now, Incident: incident, Step: step}
	return nil
}

// Consent is whether the person may be mailed follow-ups, and why not.
type Consent struct {
	// State is "" (subscribed), ConsentUnsubscribed or ConsentSuppressed.
	State  string    `json:"state,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// Consent states.
const (
	// ConsentUnsubscribed: the person asked for no more follow-ups (the
	// one-click link or header); they may resubscribe.
	ConsentUnsubscribed = "unsubscribed"
	// ConsentSuppressed: their mailbox refused mail for good (a permanent
	// bounce, repeated soft bounces) or they marked mail as spam.
	ConsentSuppressed = "suppressed"
)

const (
	maxTransient      = 5
	transientToBounce = 3
	transientWindow   = 30 * 24 * time.Hour
)

// Mailable reports whether follow-ups may go to the person and, if not,
// the reason a skipped step records: "suppressed: unsubscribed on …" or
// "suppressed: <bounce or complaint> on …".
func (c *Contact) Mailable() (reason string, ok bool) {
	on := " on " + c.Consent.At.UTC().Format("2006-01-02")
	switch c.Consent.State {
	case ConsentUnsubscribed:
		return "suppressed: unsubscribed" + on, false
	case ConsentSuppressed:
		return "suppressed: " + c.Consent.Reason + on, false
	}
	return "", true
}

// Unsubscribe records the person's request for no more follow-ups; a
// suppressed person stays suppressed. It reports whether it changed
// anything.
func (c *Contact) Unsubscribe(now time.Time) bool {
	if c.Consent.State != "" {
		return false
	}
	c.Consent = Consent{State: ConsentUnsubscribed, Reason: "asked to", At: now}
	return true
}

// Resubscribe undoes an unsubscription the person made; a suppression
// (their mailbox refused mail, or they complained) is not theirs to undo
// from a link.
func (c *Contact) Resubscribe(now time.Time) bool {
	if c.Consent.State != ConsentUnsubscribed {
		return false
	}
	c.Consent = Consent{}
	return true
}

// Suppress stops all follow-ups to the person for good: a permanent
// bounce or a complaint.
func (c *Contact) Suppress(reason string, now time.Time) bool {
	if c.Consent.State == ConsentSuppressed {
		return false
	}
	c.Consent = Consent{State: ConsentSuppressed, Reason: truncate(reason, maxEntryText), At: now}
	return true
}

// SoftBounce counts a transient bounce; the third within 30 days
// suppresses the person. It reports whether it suppressed.
func (c *Contact) SoftBounce(now time.Time) bool {
	keep := c.TransientBounces[:0]
	for _, t := range c.TransientBounces {
		if now.Sub(t) < transientWindow {
			keep = append(keep, t)
		}
	}
	c.TransientBounces = append(keep, now)
	if len(c.TransientBounces) > maxTransient {
		c.TransientBounces = c.TransientBounces[len(c.TransientBounces)-maxTransient:]
	}
	if len(c.TransientBounces) >= transientToBounce {
		return c.Suppress(fmt.Sprintf("%d soft bounces within 30 days", len(c.TransientBounces)), now)
	}
	return false
}

const maxMailEvents = 10

// SawMailEvent notes a mail event (a bounce, a complaint) by its id and
// reports whether it is new: the event bus delivers at least once, and a
// soft bounce must count once.
func (c *Contact) SawMailEvent(id string) bool {
	if id == "" {
		return true
	}
	if slices.Contains(c.MailEvents, id) {
		return false
	}
	c.MailEvents = append(c.MailEvents, truncate(id, 128))
	if len(c.MailEvents) > maxMailEvents {
		c.MailEvents = c.MailEvents[len(c.MailEvents)-maxMailEvents:]
	}
	return true
}
