package domain

import (
	"errors"
	"fmt"
	"time"
)

// StepState records a follow-up step's delivery.
type StepState struct {
	Status StepStatus `json:"status"`
	// ClaimedAt is when the current (or last) claim was taken; a claim
	// older than the policy's lease may be taken over (see Claim).
	ClaimedAt time.Time `json:"claimed_at,omitzero"`
	FailedAt  time.Time `json:"failed_at,omitzero"`
	Attempts  int       `json:"attempts,omitempty"`
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
	// StepSending is a claim: a dispatcher is sending the step. It is a
	// lease, not a verdict: a dispatcher that dies while sending leaves
	// it, and once the lease ends another may claim the step again.
	StepSending StepStatus = "sending"
	StepSent    StepStatus = "sent"
	StepFailed  StepStatus = "failed"
	// StepRejected is a permanent failure (a rejected address, or too many
	// attempts): never retried.
	StepRejected StepStatus = "rejected"
	// StepSkipped is a step decided against at its time, with the reason
	// in Error (the person's survey budget was used): never sent.
	StepSkipped StepStatus = "skipped"
)

// EntryNotSent is the timeline entry of a step that was not sent, with
// why.
const EntryNotSent = "not_sent"

// Skip records that a due step will not be sent, and why, on the step and
// the timeline, so the plan no longer wants it and a person reading the
// timeline learns what happened.
func (inc *Incident) Skip(key, reason string, now time.Time) {
	if inc.Steps == nil {
		inc.Steps = map[string]StepState{}
	}
	st := inc.Steps[key]
	st.Status, st.Error = StepSkipped, truncate(reason, maxErrorText)
	inc.Steps[key] = st
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryNotSent, Step: key, Detail: st.Error})
}

// ErrStepTaken is returned when a step was already claimed or sent: the
// schedule fired twice, or two dispatchers raced.
var ErrStepTaken = errors.New("step already claimed or sent")

// ErrGivenUp is returned by Claim when it took over an expired claim that
// used up the last attempt: the step is now rejected, and the caller must
// store that (it is a change, not a refusal) and send nothing.
var ErrGivenUp = errors.New("step given up: interrupted too often")

// MaxAttempts is how often a step is tried before it is given up.
const MaxAttempts = 5

// Claim marks a step as being sent. Only one claim succeeds per step key
// while it lasts, which is what keeps a follow-up at most once. A claim
// older than lease is presumed dead (the process was killed, or timed out,
// between claiming and recording): it counts as a failed attempt and the
// step is claimed afresh.
func (inc *Incident) Claim(key string, lease time.Duration, now time.Time) error {
	st, ok := inc.Steps[key]
	if ok {
		switch st.Status {
		case StepFailed:
		case StepSending:
			if now.Before(st.ClaimedAt.Add(lease)) {
				return fmt.Errorf("%w: %s is being sent since %s", ErrStepTaken, key, st.ClaimedAt.Format(time.RFC3339))
			}
			st.Attempts++
			inc.record(Entry{At: now, Kind: EntrySendFailed, Step: key, Detail: "the attempt of " + st.ClaimedAt.Format(time.RFC3339) + " did not finish"})
			if st.Attempts >= MaxAttempts {
				st.Status, st.Error, st.FailedAt = StepRejected, "interrupted too often", now
				inc.Steps[key] = st
				inc.UpdatedAt = now
				return fmt.Errorf("%w: %s", ErrGivenUp, key)
			}
		default:
			return fmt.Errorf("%w: %s is %s", ErrStepTaken, key, st.Status)
		}
	}
	if inc.Steps == nil {
		inc.Steps = map[string]StepState{}
	}
	inc.Steps[key] = StepState{Status: StepSending, ClaimedAt: now, Attempts: st.Attempts, FailedAt: st.FailedAt, Survey: st.Survey}
	inc.UpdatedAt = now
	inc.compactSteps()
	return nil
}

// LeaseWakeUp is when the wake-up call that guards a claim taken at
// claimedAt fires: the first whole minute after the lease ends, because
// schedule names and EventBridge's at() count in minutes and the call must
// never come before the claim may be taken over.
func LeaseWakeUp(claimedAt time.Time, lease time.Duration) time.Time {
	return claimedAt.Add(lease).Truncate(time.Minute).Add(time.Minute).UTC()
}

// MarkSent records a delivered step.
func (inc *Incident) MarkSent(key, messageID string, now time.Time) {
	st := inc.Steps[key]
	st.Status, st.SentAt, st.MessageID, st.Error = StepSent, now, messageID, ""
	inc.Steps[key] = st
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntrySent, Step: key, Detail: "email sent"})
}

// MarkFailed releases a claim after a failed send so that a retry, planned
// for later (see Plan), may take it. A permanent failure, or one too many,
// is kept as rejected so nothing retries it.
func (inc *Incident) MarkFailed(key string, cause error, permanent bool, now time.Time) {
	st := inc.Steps[key]
	st.Status, st.Error, st.FailedAt = StepFailed, truncate(cause.Error(), maxErrorText), now
	st.Attempts++
	if permanent || st.Attempts >= MaxAttempts {
		st.Status = StepRejected
	}
	inc.Steps[key] = st
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntrySendFailed, Step: key, Detail: st.Error})
}
