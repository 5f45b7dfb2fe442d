package domain

import (
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Policy maps incident states to follow-up steps. Operators tune it in a
// JSON file; DefaultPolicy is what Aftercare does out of the box.
type Policy struct {
	// QuietHours moves a step that would land at night to the next morning,
	// in the customer's time zone. Nil disables it.
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
	// MaxLateness drops a step whose due time passed this long ago (a very
	// late webhook): a thank-you a month after the stay does more harm than good.
	MaxLateness Duration `json:"max_lateness,omitempty"`
	Rules       []Rule   `json:"rules"`
	// ReminderAfter sends one reminder of a survey nobody answered or
	// replied to. Absent means 3 days; "0s" turns reminders off.
	ReminderAfter *Duration `json:"reminder_after,omitempty"`
	// Negative says which scores need the team's attention. Absent means
	// CSAT ≤ 2, NPS ≤ 6, CES ≥ 5.
	Negative *Negative `json:"negative,omitempty"`
	// Recovery is the "did we fix it?" survey sent when an incident that
	// needed attention is resolved again. Absent means a CSAT 24 h later.
	Recovery *Step `json:"recovery,omitempty"`
	// Reasons are the codes a customer may tick after a low score.
	Reasons []string `json:"reasons,omitempty"`
	// AlertEvery bounds how often the team hears about one incident: the
	// first escalation of an attention episode alerts at once, and every
	// later change in that episode (a score changed back and forth, another
	// comment or reply) is folded into one follow-up alert at most this
	// often. Absent means 1 hour.
	AlertEvery *Duration `json:"alert_every,omitempty"`
	// SurveyCooldown is the survey budget: at most one survey per person
	// in this window, across every incident and provider (reminders and
	// recovery surveys belong to the survey they follow). Absent means 30
	// days; "0s" turns the budget off.
	SurveyCooldown *Duration `json:"survey_cooldown,omitempty"`
	// SurveySample surveys a deterministic share of incidents, "k/n" (k of
	// every n, chosen by the incident's id, so the choice is made before
	// any answer exists and is the same on every retry). Absent surveys
	// every incident.
	SurveySample string `json:"survey_sample,omitempty"`
	// MessageCooldown is the message budget: at most one personal note
	// (loyalty thanks, review invitation, "we missed you") per person in
	// this window, across every incident. Absent means 7 days; "0s" turns
	// the budget off.
	MessageCooldown *Duration `json:"message_cooldown,omitempty"`
	// Loyalty thanks loyal customers with a personal note at tiers of
	// completed bookings (see Loyalty); nil sends none.
	Loyalty *Loyalty `json:"loyalty,omitempty"`
	// MissedYou invites a customer who did not come to book again; nil
	// (the default) sends nothing.
	MissedYou *MissedYou `json:"missed_you,omitempty"`
	// Reviews invites customers of completed bookings to review the
	// business on the configured sites (see Reviews; review.go). Absent,
	// or without sites, invites nobody.
	Reviews *Reviews `json:"review_invite,omitempty"`
	// ReviewSample invites a deterministic share of completed bookings,
	// "k/n", chosen by the booking's id (independently of survey_sample),
	// decided when the booking completes. Absent invites every completed
	// booking that has a review site.
	ReviewSample string `json:"review_sample,omitempty"`
	// ClaimLease is how long a claimed step may stay "sending" before a
	// dispatcher may assume its sender died and claim it again. It must
	// outlast the dispatching function's timeout. The composition sets it
	// (zero means DefaultClaimLease); it is not a policy file field.
	ClaimLease time.Duration `json:"-"`
	// Alerts says which team channels are configured. The composition sets
	// it from the environment, not the policy file, so that Plan stays a
	// pure function that plans only alerts somebody can receive.
	Alerts Alerts `json:"-"`
}

// Negative holds the thresholds of a negative answer per survey kind
// (which side is negative, and the defaults: surveySpecs).
type Negative struct {
	CSATAtMost int `json:"csat_at_most"`
	NPSAtMost  int `json:"nps_at_most"`
	CESAtLeast int `json:"ces_at_least"`
}

// Alerts are the team channels a negative answer or a reply goes to.
type Alerts struct {
	Email   bool
	Webhook bool
}

// DefaultReasons are the reason codes offered after a low score.
var DefaultReasons = []string{"waiting", "staff", "quality", "price", "communication", "other"}

var defaultRecovery = Step{ID: "recovery", Template: "recovery", Survey: SurveyCSAT, Delay: Duration(24 * time.Hour)}

// DefaultClaimLease is the claim lease when the composition sets none:
// well past the 30 s to 2 min a function may run, short enough that a
// follow-up interrupted by a crash goes out the same morning.
const DefaultClaimLease = 15 * time.Minute

// DefaultAlertEvery is how often, at most, the team hears about one
// incident when the policy does not say.
const DefaultAlertEvery = time.Hour

// Lease is the claim lease in force.
func (p Policy) Lease() time.Duration {
	if p.ClaimLease > 0 {
		return p.ClaimLease
	}
	return DefaultClaimLease
}

// DefaultSurveyCooldown is the survey budget's window when the policy does
// not say: a month, as Delighted and review platforms throttle.
const DefaultSurveyCooldown = 30 * 24 * time.Hour

// Sampled reports whether the survey sample includes an incident.
func (p Policy) Sampled(incidentID string) bool {
	k, n, ok := parseSample(p.SurveySample)
	if !ok {
		return true
	}
	sum := sha256.Sum256([]byte("aftercare-sample\x00" + incidentID))
	return binary.BigEndian.Uint64(sum[:8])%uint64(n) < uint64(k)
}

// parseSample reads "k/n" with 1 ≤ k ≤ n ≤ 1000; ok is false for "".
func parseSample(s string) (k, n int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || k < 1 || n < k || n > 1000 {
		return 0, 0, false
	}
	return k, n, true
}

// DefaultMessageCooldown is the message budget's window when the policy
// does not say.
const DefaultMessageCooldown = 7 * 24 * time.Hour

// MessageBudget is the message budget's window; zero means no budget.
func (p Policy) MessageBudget() time.Duration {
	if p.MessageCooldown == nil {
		return DefaultMessageCooldown
	}
	return time.Duration(*p.MessageCooldown)
}

// Cooldown is the survey budget's window; zero means no budget.
func (p Policy) Cooldown() time.Duration {
	if p.SurveyCooldown == nil {
		return DefaultSurveyCooldown
	}
	return time.Duration(*p.SurveyCooldown)
}

// AlertInterval is the shortest time between two alerts about one incident.
func (p Policy) AlertInterval() time.Duration {
	if p.AlertEvery == nil {
		return DefaultAlertEvery
	}
	return time.Duration(*p.AlertEvery)
}

// ReminderDelay is how long after a survey its reminder goes out; zero
// means no reminders.
func (p Policy) ReminderDelay() time.Duration {
	if p.ReminderAfter == nil {
		return 3 * 24 * time.Hour
	}
	return time.Duration(*p.ReminderAfter)
}

// IsNegative reports whether a score needs the team's attention.
func (p Policy) IsNegative(k SurveyKind, score int) bool {
	s, ok := k.Spec()
	if !ok {
		return false
	}
	threshold := s.Negative
	if p.Negative != nil {
		threshold = *s.threshold(p.Negative)
	}
	return s.Direction.Holds(score, threshold)
}

// RecoveryStep is the step sent when an incident that needed attention is
// resolved again.
func (p Policy) RecoveryStep() Step {
	if p.Recovery != nil {
		return *p.Recovery
	}
	return defaultRecovery
}

// ReasonCodes are the reasons offered after a low score.
func (p Policy) ReasonCodes() []string {
	if p.Reasons != nil {
		return p.Reasons
	}
	return DefaultReasons
}

// Rule applies steps to incidents of one kind in one of the given statuses.
type Rule struct {
	Kind   Kind     `json:"kind"`
	Status []Status `json:"status"`
	Steps  []Step   `json:"steps"`
}

// Step is one follow-up email. Its due time is either Delay after the
// incident was resolved or, with At set, Days later at that local time;
// with BeforeStart, that long before a booking starts (see beforeStart).
type Step struct {
	ID       string     `json:"id"`
	Template string     `json:"template"`
	Survey   SurveyKind `json:"survey,omitempty"`
	Delay    Duration   `json:"delay,omitempty"`
	Days     int        `json:"days,omitempty"`
	At       string     `json:"at,omitempty"`
	// BeforeStart plans the step this long before a booking's start
	// ("2d"; with At, that many days before at that local time). A pointer,
	// so that "0d" (the day itself) differs from absent.
	BeforeStart *Duration `json:"before_start,omitempty"`
}

// QuietHours is a nightly window, in local time, in which nothing is sent.
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Duration is a time.Duration that reads "24h", "90m" or "3d" in JSON.
type Duration time.Duration

// UnmarshalJSON accepts Go duration strings and a whole number of days ("3d").
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"24h\" or \"3d\": %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ParseDuration parses a Go duration or a whole number of days ("3d").
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q: days must be a whole number", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: %w", s, err)
	}
	if v < 0 {
		return 0, fmt.Errorf("bad duration %q: negative", s)
	}
	return v, nil
}

//go:embed default_policy.json
var defaultPolicyJSON []byte

// DefaultPolicy is the embedded policy: pre-arrival advice 2 days before a
// booking starts at 10:00 local time, a thank-you with a CSAT survey the
// day after a booking completes at 10:00 local time, and a CSAT survey 24 h
// after a ticket is solved; quiet hours 21:00–09:00. Review invitations
// are off: they need the operator's own review sites (Policy.Reviews),
// and without sites no invitation is planned.
func DefaultPolicy() Policy {
	p, err := ParsePolicy(defaultPolicyJSON)
	if err != nil {
		panic("embedded default policy: " + err.Error())
	}
	return p
}

// ErrInvalidPolicy is wrapped by every policy validation failure.
var ErrInvalidPolicy = errors.New("invalid policy")

// ParsePolicy reads and validates a policy file, rejecting unknown fields so
// that a typo does not silently disable a follow-up.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// Validate checks every rule and step.
func (p Policy) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidPolicy, fmt.Sprintf(format, args...))
	}
	if q := p.QuietHours; q != nil {
		if _, err := clockTime(q.Start); err != nil {
			return bad("quiet_hours.start: %v", err)
		}
		if _, err := clockTime(q.End); err != nil {
			return bad("quiet_hours.end: %v", err)
		}
	}
	// Step ids that name Aftercare's own steps are reserved.
	ids := map[string]bool{"alert": true, "hook": true, "ack": true, LoyaltyStepID: true, MissedYouStepID: true, "msg": true}
	if p.Loyalty != nil {
		if err := p.Loyalty.validate(); err != nil {
			return bad("%v", err)
		}
	}
	if p.MissedYou != nil {
		if err := p.MissedYou.validate(); err != nil {
			return bad("%v", err)
		}
	}
	if p.Recovery != nil {
		if p.Recovery.BeforeStart != nil {
			return bad("recovery.before_start: the recovery survey follows a resolution")
		}
		if err := p.Recovery.validate("recovery"); err != nil {
			return bad("%v", err)
		}
	}
	for i, code := range p.Reasons {
		if !reasonShape.match(code) {
			return bad("reasons[%d]: %q must be 1–20 of a-z and _", i, code)
		}
	}
	if n := p.Negative; n != nil {
		if err := n.validate(); err != nil {
			return bad("%v", err)
		}
	}
	if p.AlertEvery != nil && (*p.AlertEvery < Duration(time.Minute) || *p.AlertEvery > Duration(7*24*time.Hour)) {
		return bad("alert_every: must be between 1m and 7d")
	}
	if _, _, ok := parseSample(p.SurveySample); p.SurveySample != "" && !ok {
		return bad("survey_sample: %s is not \"k/n\" with 1 ≤ k ≤ n ≤ 1000, e.g. \"1/3\"", Quote(p.SurveySample))
	}
	if p.SurveyCooldown != nil && *p.SurveyCooldown > Duration(366*24*time.Hour) {
		return bad("survey_cooldown: at most 366d")
	}
	if err := p.Reviews.validate(p.ReviewSample, p.Rules); err != nil {
		return bad("%v", err)
	}
	if p.ReminderAfter != nil && *p.ReminderAfter < 0 {
		return bad("reminder_after: must not be negative")
	}
	for i, r := range p.Rules {
		if r.Kind != KindBooking && r.Kind != KindTicket {
			return bad("rules[%d].kind: want booking or ticket, got %q", i, r.Kind)
		}
		if len(r.Status) == 0 {
			return bad("rules[%d].status: at least one status is required", i)
		}
		for _, s := range r.Status {
			if !slices.Contains(kindStatuses[r.Kind], s) {
				return bad("rules[%d].status: %q is not a %s status (%v)", i, s, r.Kind, kindStatuses[r.Kind])
			}
		}
		if err := r.validateBeforeStartRule(i); err != nil {
			return bad("%v", err)
		}
		for j, s := range r.Steps {
			where := fmt.Sprintf("rules[%d].steps[%d]", i, j)
			if err := s.validate(where); err != nil {
				return bad("%v", err)
			}
			if ids[s.ID] || s.ID == p.RecoveryStep().ID {
				return bad("%s.id: %q is used twice or reserved", where, s.ID)
			}
			ids[s.ID] = true
		}
	}
	return nil
}

// validate checks every threshold against its survey's ThresholdRange.
func (n *Negative) validate() error {
	bad := false
	for i := range surveySpecs {
		lo, hi := surveySpecs[i].ThresholdRange()
		if t := *surveySpecs[i].threshold(n); t < lo || t > hi {
			bad = true
		}
	}
	if bad {
		return errors.New("negative: thresholds out of range (" + thresholdRanges + ")")
	}
	return nil
}

// thresholdRanges lists the thresholds a policy may set, as the error
// says them: "csat 0–5, nps 0–10, ces 1–8".
var thresholdRanges = func() string {
	var b strings.Builder
	for i, s := range surveySpecs {
		lo, hi := s.ThresholdRange()
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d–%d", s.Kind, lo, hi)
	}
	return b.String()
}()

// validate checks one step's fields; where names it in errors.
func (s Step) validate(where string) error {
	switch {
	case !stepIDShape.match(s.ID):
		return fmt.Errorf("%s.id: %q must be 1–16 of a-z, 0-9 and -", where, s.ID)
	case s.Template == "":
		return fmt.Errorf("%s.template: is required", where)
	case !s.Survey.Valid():
		return fmt.Errorf("%s.survey: %q is not csat, nps or ces", where, s.Survey)
	case s.Days < 0:
		return fmt.Errorf("%s.days: must not be negative", where)
	case s.At == "" && s.Days != 0:
		return fmt.Errorf("%s.days: needs at (a local time like \"10:00\")", where)
	}
	if err := s.validateBeforeStart(where); err != nil {
		return err
	}
	if s.At != "" {
		if _, err := clockTime(s.At); err != nil {
			return fmt.Errorf("%s.at: %v", where, err)
		}
		if s.Delay != 0 {
			return fmt.Errorf("%s: give either delay or days+at, not both", where)
		}
	}
	return nil
}

var kindStatuses = map[Kind][]Status{
	KindBooking: {StatusBooked, StatusCancelled, StatusCompleted, StatusNoShow},
	KindTicket:  {StatusOpen, StatusSolved, StatusClosed},
}

// clockTime parses "HH:MM" into minutes after midnight.
func clockTime(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time like \"09:00\"", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}
