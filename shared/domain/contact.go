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
	// Version is maintained by the store for optimistic concurrency.
	Version int64 `json:"version"`
}

// SurveyClaim is one use of a person's survey budget: when, and for which
// incident and step.
type SurveyClaim struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
	Step     string    `json:"step"`
}

const maxContactIncidents = 50

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
