package domain

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is where a booking or ticket stands in its sender's system.
type Status string

// Booking and ticket statuses. Policies match rules on these.
const (
	StatusBooked    Status = "booked"
	StatusCancelled Status = "cancelled"
	StatusCompleted Status = "completed"
	StatusOpen      Status = "open"
	StatusSolved    Status = "solved"
	StatusClosed    Status = "closed"
)

// resolved reports whether a status ends a cycle of service, the moment
// follow-ups are anchored to.
func (s Status) resolved() bool {
	return s == StatusCompleted || s == StatusSolved || s == StatusClosed
}

// Incident is Aftercare's record of one booking or ticket: its latest known
// state, the follow-ups done for it, the customer's answers and a timeline.
type Incident struct {
	ID       string    `json:"id"`
	Provider string    `json:"provider"`
	Ref      string    `json:"ref"`
	Kind     Kind      `json:"kind"`
	Status   Status    `json:"status"`
	Customer Customer  `json:"customer"`
	Title    string    `json:"title,omitempty"`
	Location string    `json:"location,omitempty"`
	Agent    string    `json:"agent,omitempty"`
	StartsAt time.Time `json:"starts_at,omitzero"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	// CompletesAtEnd is set once any event says the booking completes at
	// its end time (see Event.CompletesAtEnd); Plan then treats a booking
	// still booked as resolved at EndsAt.
	CompletesAtEnd bool `json:"completes_at_end,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// LastEventAt is the occurrence time of the newest applied event; older
	// events never overwrite the state it describes.
	LastEventAt time.Time `json:"last_event_at"`
	// Cycle counts how often the incident was resolved. Step keys carry it,
	// so a ticket solved, reopened and solved again is followed up again.
	Cycle int `json:"cycle"`
	// ResolvedAt is when the current cycle was resolved; follow-ups are due
	// relative to it.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`

	Steps     map[string]StepState `json:"steps,omitempty"`
	Scheduled map[string]Scheduled `json:"scheduled,omitempty"`
	Answers   map[string]Answer    `json:"answers,omitempty"`
	// Attention is set while the incident needs the team: a negative answer
	// or a reply raised it, and a good recovery answer clears it.
	Attention *Attention `json:"attention,omitempty"`
	// Escalations are the moments the team was (to be) alerted, each
	// planned as an alert step; Episodes counts attention periods.
	Escalations []Escalation `json:"escalations,omitempty"`
	Episodes    int          `json:"episodes,omitempty"`
	// RepliedAt is the latest email reply; a reminder is not sent after it.
	RepliedAt time.Time `json:"replied_at,omitzero"`
	// Recovered says whether the recovery survey found the problem fixed
	// (nil: no recovery survey answered yet).
	Recovered *bool `json:"recovered,omitempty"`

	// Seen holds the most recent event ids, to apply each delivery once.
	Seen     []string `json:"seen,omitempty"`
	Timeline []Entry  `json:"timeline,omitempty"`

	// Version is maintained by the store for optimistic concurrency.
	Version int64 `json:"version"`
}

// StepState records a follow-up step's delivery.
type StepState struct {
	Status    StepStatus `json:"status"`
	ClaimedAt time.Time  `json:"claimed_at,omitzero"`
	FailedAt  time.Time  `json:"failed_at,omitzero"`
	Attempts  int        `json:"attempts,omitempty"`
	// Survey is the survey the step carried, so a reply that is only a
	// number can answer it.
	Survey    SurveyKind `json:"survey,omitempty"`
	SentAt    time.Time  `json:"sent_at,omitzero"`
	MessageID string     `json:"message_id,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// StepStatus is the delivery state of one step.
type StepStatus string

// A step is claimed before it is sent, so that a schedule fired twice sends once.
const (
	StepSending StepStatus = "sending"
	StepSent    StepStatus = "sent"
	StepFailed  StepStatus = "failed"
	// StepRejected is a permanent failure (a rejected address): never retried.
	StepRejected StepStatus = "rejected"
)

// Scheduled is a wake-up call that reconciliation created for a step.
type Scheduled struct {
	Key string    `json:"key"`
	Due time.Time `json:"due"`
}

// Answer is a customer's survey answer to one step.
type Answer struct {
	Survey     SurveyKind `json:"survey"`
	Score      int        `json:"score"`
	Comment    string     `json:"comment,omitempty"`
	Reasons    []string   `json:"reasons,omitempty"`
	AnsweredAt time.Time  `json:"answered_at"`
}

// Attention marks an incident the team must look at.
type Attention struct {
	Since time.Time `json:"since"`
	// Cycle is the incident's cycle when attention was raised; resolving
	// the incident in a later cycle sends the recovery survey.
	Cycle   int `json:"cycle"`
	Episode int `json:"episode"`
}

// Escalation is one alert to the team.
type Escalation struct {
	N     int        `json:"n"`
	At    time.Time  `json:"at"`
	Cause string     `json:"cause"`
	Step  string     `json:"step,omitempty"`
	Kind  SurveyKind `json:"survey,omitempty"`
	Score int        `json:"score,omitempty"`
	// Text is the comment or reply, as the team should read it.
	Text string `json:"text,omitempty"`
}

// Escalation causes.
const (
	CauseNegative     = "negative_answer"
	CauseReply        = "reply"
	CauseNotRecovered = "not_recovered"
)

// Entry is one line of an incident's timeline: what happened, when.
type Entry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Step   string    `json:"step,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// Ref points at what the entry is about outside the incident, e.g.
	// where a reply's raw message is kept.
	Ref string `json:"ref,omitempty"`
}

// Timeline entry kinds.
const (
	EntryEvent       = "event"
	EntryStale       = "event_out_of_order"
	EntryScheduled   = "scheduled"
	EntryUnscheduled = "unscheduled"
	EntrySent        = "sent"
	EntrySendFailed  = "send_failed"
	EntryAnswer      = "answer"
	EntryComment     = "comment"
	EntryReasons     = "reasons"
	EntryReply       = "reply"
	EntryEscalated   = "escalated"
	EntryRecovered   = "recovered"
	EntryUnrecovered = "not_recovered"
)

const (
	maxSeen        = 64
	maxTimeline    = 500
	maxEscalations = 20
	// MaxReply bounds the reply text kept on the timeline, in bytes.
	MaxReply = 4000
	// MaxComment bounds a customer's comment, in bytes.
	MaxComment = 4000
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// IncidentID derives an incident's id from its sender and reference, so an
// upsert needs no lookup and a repeated webhook lands on the same record.
func IncidentID(provider, ref string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + ref))
	return "inc_" + strings.ToLower(idEncoding.EncodeToString(sum[:10]))
}

// Outcome says what applying an event did.
type Outcome string

// Apply outcomes.
const (
	Applied   Outcome = "applied"
	Duplicate Outcome = "duplicate"
	Stale     Outcome = "stale"
)

// ErrKindMismatch is returned when a ticket event names a booking's id or
// the other way round; the sender has confused two references.
var ErrKindMismatch = errors.New("event kind does not match the incident")

// Apply folds one event into the incident. A repeated event id changes
// nothing; an event older than the newest applied one is recorded on the
// timeline but does not change the state, so late and out-of-order
// deliveries converge to the same incident.
func (inc *Incident) Apply(e Event, now time.Time) (Outcome, error) {
	if slices.Contains(inc.Seen, e.ID) {
		return Duplicate, nil
	}
	if inc.ID == "" {
		inc.ID = IncidentID(e.Provider, e.Ref)
		inc.Provider, inc.Ref, inc.Kind = e.Provider, e.Ref, e.Type.Kind()
		inc.CreatedAt = now
	} else if inc.Kind != e.Type.Kind() {
		return "", fmt.Errorf("%w: %s event for a %s", ErrKindMismatch, e.Type.Kind(), inc.Kind)
	}
	inc.Seen = append(inc.Seen, e.ID)
	if len(inc.Seen) > maxSeen {
		inc.Seen = inc.Seen[len(inc.Seen)-maxSeen:]
	}
	inc.UpdatedAt = now
	if e.OccurredAt.Before(inc.LastEventAt) {
		inc.record(Entry{At: now, Kind: EntryStale, Detail: fmt.Sprintf("%s from %s, older than the state kept", e.Type, e.OccurredAt.UTC().Format(time.RFC3339))})
		return Stale, nil
	}
	inc.LastEventAt = e.OccurredAt
	inc.mergeDetails(e)
	prev := inc.Status
	inc.Status = nextStatus(inc.Status, e.Type)
	if inc.Status.resolved() && !prev.resolved() {
		inc.Cycle++
		inc.ResolvedAt = e.OccurredAt
	}
	detail := string(e.Type)
	if prev != inc.Status {
		detail += fmt.Sprintf(" (status %s)", inc.Status)
	}
	inc.record(Entry{At: now, Kind: EntryEvent, Detail: detail})
	return Applied, nil
}

// mergeDetails copies the fields an event carries; an absent field keeps
// what an earlier event said.
func (inc *Incident) mergeDetails(e Event) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&inc.Customer.Email, e.Customer.Email)
	set(&inc.Customer.Name, e.Customer.Name)
	set(&inc.Customer.Locale, e.Customer.Locale)
	set(&inc.Customer.TimeZone, e.Customer.TimeZone)
	set(&inc.Title, e.Title)
	set(&inc.Location, e.Location)
	set(&inc.Agent, e.Agent)
	if !e.StartsAt.IsZero() {
		inc.StartsAt = e.StartsAt
	}
	if !e.EndsAt.IsZero() {
		inc.EndsAt = e.EndsAt
	}
	// Sticky, like the other details: a later event that does not say it
	// (a cancellation, a no-show) does not take it back; the status does.
	if e.CompletesAtEnd && inc.Kind == KindBooking {
		inc.CompletesAtEnd = true
	}
}

func nextStatus(cur Status, t EventType) Status {
	switch t {
	case BookingCreated:
		return StatusBooked
	case BookingUpdated:
		if cur == "" {
			return StatusBooked
		}
		return cur
	case BookingCancelled:
		return StatusCancelled
	case BookingCompleted:
		return StatusCompleted
	case TicketOpened, TicketReopened:
		return StatusOpen
	case TicketUpdated:
		if cur == "" {
			return StatusOpen
		}
		return cur
	case TicketSolved:
		return StatusSolved
	case TicketClosed:
		return StatusClosed
	}
	return cur
}

func (inc *Incident) record(e Entry) {
	inc.Timeline = append(inc.Timeline, e)
	if len(inc.Timeline) > maxTimeline {
		inc.Timeline = inc.Timeline[len(inc.Timeline)-maxTimeline:]
	}
}

// Record appends an entry to the timeline, keeping it bounded.
func (inc *Incident) Record(at time.Time, kind, step, detail string) {
	inc.record(Entry{At: at, Kind: kind, Step: step, Detail: detail})
}

// ErrStepTaken is returned when a step was already claimed or sent: the
// schedule fired twice, or two dispatchers raced.
var ErrStepTaken = errors.New("step already claimed or sent")

// Claim marks a step as being sent. Only one claim succeeds per step key,
// which is what keeps a follow-up at most once.
func (inc *Incident) Claim(key string, now time.Time) error {
	if st, ok := inc.Steps[key]; ok && st.Status != StepFailed {
		return fmt.Errorf("%w: %s is %s", ErrStepTaken, key, st.Status)
	}
	if inc.Steps == nil {
		inc.Steps = map[string]StepState{}
	}
	prev := inc.Steps[key]
	inc.Steps[key] = StepState{Status: StepSending, ClaimedAt: now, Attempts: prev.Attempts, FailedAt: prev.FailedAt}
	return nil
}

// MarkSent records a delivered step.
func (inc *Incident) MarkSent(key, messageID string, now time.Time) {
	st := inc.Steps[key]
	st.Status, st.SentAt, st.MessageID, st.Error = StepSent, now, messageID, ""
	inc.Steps[key] = st
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntrySent, Step: key, Detail: "email sent"})
}

// MaxAttempts is how often a step is tried before it is given up.
const MaxAttempts = 5

// MarkFailed releases a claim after a failed send so that a retry, planned
// for later (see Plan), may take it. A permanent failure, or one too many,
// is kept as rejected so nothing retries it.
func (inc *Incident) MarkFailed(key string, cause error, permanent bool, now time.Time) {
	st := inc.Steps[key]
	st.Status, st.Error, st.FailedAt = StepFailed, cause.Error(), now
	st.Attempts++
	if permanent || st.Attempts >= MaxAttempts {
		st.Status = StepRejected
	}
	inc.Steps[key] = st
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntrySendFailed, Step: key, Detail: cause.Error()})
}

// ErrNotAnswerable is returned for an answer to a step that never went out.
var ErrNotAnswerable = errors.New("step was not sent, nothing to answer")

// RecordAnswer stores a survey score for a sent step. A later score
// replaces an earlier one and keeps its comment.
func (inc *Incident) RecordAnswer(key string, survey SurveyKind, score int, now time.Time) error {
	if st, ok := inc.Steps[key]; !ok || st.Status != StepSent {
		return fmt.Errorf("%w: %s", ErrNotAnswerable, key)
	}
	if err := survey.Check(score); err != nil {
		return err
	}
	if inc.Answers == nil {
		inc.Answers = map[string]Answer{}
	}
	prev, had := inc.Answers[key]
	if had && prev.Score == score {
		return nil
	}
	inc.Answers[key] = Answer{Survey: survey, Score: score, Comment: prev.Comment, AnsweredAt: now}
	detail := fmt.Sprintf("%s %d", survey, score)
	if had {
		detail += fmt.Sprintf(" (was %d)", prev.Score)
	}
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryAnswer, Step: key, Detail: detail})
	return nil
}

// ErrNoAnswer is returned for a comment before any score was given.
var ErrNoAnswer = errors.New("no answer to comment on")

// RecordComment attaches the customer's free-text comment to an answer.
func (inc *Incident) RecordComment(key, comment string, now time.Time) error {
	a, ok := inc.Answers[key]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoAnswer, key)
	}
	comment = strings.TrimSpace(comment)
	if len(comment) > MaxComment {
		comment = strings.ToValidUTF8(comment[:MaxComment], "")
	}
	if comment == "" || comment == a.Comment {
		return nil
	}
	a.Comment = comment
	inc.Answers[key] = a
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryComment, Step: key, Detail: comment})
	return nil
}

// truncate cuts s to n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// RecordReasons stores the reasons a customer ticked after a low score,
// keeping only codes the policy offers.
func (inc *Incident) RecordReasons(key string, reasons, allowed []string, now time.Time) error {
	a, ok := inc.Answers[key]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoAnswer, key)
	}
	var keep []string
	for _, r := range reasons {
		if slices.Contains(allowed, r) && !slices.Contains(keep, r) {
			keep = append(keep, r)
		}
	}
	if slices.Equal(keep, a.Reasons) {
		return nil
	}
	a.Reasons = keep
	inc.Answers[key] = a
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryReasons, Step: key, Detail: strings.Join(keep, ", ")})
	return nil
}

// RecordReply puts a customer's email reply on the timeline. ref says
// where the raw message is kept.
func (inc *Incident) RecordReply(key, text, ref string, now time.Time) {
	inc.RepliedAt = now
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryReply, Step: key, Detail: truncate(strings.TrimSpace(text), MaxReply), Ref: ref})
}

// Escalate asks the team to look at the incident: it opens an attention
// episode (unless one is open) and adds an escalation, which the plan
// turns into alerts and, once per episode, an acknowledgement to the
// customer.
func (inc *Incident) Escalate(e Escalation, now time.Time) {
	if inc.Attention == nil {
		inc.Episodes++
		// The cycle Plan works in, which for a booking that completes at
		// its end is one ahead of Cycle until the completion is stored.
		_, cycle, _ := effectiveResolution(*inc)
		inc.Attention = &Attention{Since: now, Cycle: cycle, Episode: inc.Episodes}
	}
	last := 0
	if n := len(inc.Escalations); n > 0 {
		last = inc.Escalations[n-1].N
	}
	e.N, e.At, e.Text = last+1, now, truncate(e.Text, MaxReply)
	inc.Escalations = append(inc.Escalations, e)
	if len(inc.Escalations) > maxEscalations {
		inc.Escalations = inc.Escalations[len(inc.Escalations)-maxEscalations:]
	}
	inc.UpdatedAt = now
	detail := e.Cause
	if e.Kind != SurveyNone {
		detail += fmt.Sprintf(" (%s %d)", e.Kind, e.Score)
	}
	inc.record(Entry{At: now, Kind: EntryEscalated, Step: e.Step, Detail: detail})
}

// ResolveRecovery records the answer to a recovery survey: a good one
// closes the attention episode; a bad one keeps it open, anchored to this
// cycle, so that the next resolution asks again.
func (inc *Incident) ResolveRecovery(key string, fixed bool, now time.Time) {
	inc.Recovered = &fixed
	inc.UpdatedAt = now
	if fixed {
		inc.Attention = nil
		inc.record(Entry{At: now, Kind: EntryRecovered, Step: key, Detail: "the customer says it is fixed"})
		return
	}
	if inc.Attention != nil {
		_, inc.Attention.Cycle, _ = effectiveResolution(*inc)
	}
	inc.record(Entry{At: now, Kind: EntryUnrecovered, Step: key, Detail: "the customer says it is not fixed"})
}
