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
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store"
)

// DispatchResult says what a fired schedule led to.
type DispatchResult struct {
	Sent bool `json:"sent"`
	// Skipped explains why nothing was sent: the step is no longer wanted,
	// was already sent, or was superseded by a newer schedule.
	Skipped   string `json:"skipped,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// Skip reasons.
const (
	SkipNoIncident = "incident not found"
	SkipNotWanted  = "step no longer wanted"
	SkipSuperseded = "superseded by a newer schedule"
	SkipTaken      = "already sent"
	// SkipThrottled: the person's survey budget was used by another survey
	// within the policy's survey_cooldown.
	SkipThrottled = "throttled: the person was surveyed recently"
	// SkipTooLate: the step's due time passed more than the policy's
	// max_lateness ago.
	SkipTooLate = "too late"
	// SkipNoSurvey: the sender asked for no survey for the incident.
	SkipNoSurvey = "no_survey: the sender asked for none"
	// SkipSampledOut: the policy's survey_sample leaves the incident out.
	SkipSampledOut = "sampled out"
	// SkipNotMailable: the person unsubscribed, or was suppressed (a hard
	// bounce, repeated soft ones, a complaint).
	SkipNotMailable = "not mailable: unsubscribed or suppressed"
)

// Dispatch handles a fired schedule. The schedule is only a wake-up call:
// the incident is reloaded and re-planned, and the step is sent only if it
// is still wanted, this schedule is the current one for it, and a claim on
// it succeeds — so a schedule fired twice sends once. A send that fails for
// a reason a retry can fix releases the claim and returns the error, so the
// scheduler's retry policy tries again; a permanent failure is recorded and
// not retried.
func (s *Service) Dispatch(ctx context.Context, f schedule.Fire) (DispatchResult, error) {
	inc, err := s.cfg.Store.Get(ctx, f.IncidentID)
	if errors.Is(err, store.ErrNotFound) {
		return s.skip(ctx, f, SkipNoIncident), nil
	}
	if err != nil {
		return DispatchResult{}, fmt.Errorf("dispatch %s: %w", f.IncidentID, err)
	}
	now := s.cfg.Clock.Now()
	lease := s.cfg.Policy.Lease()
	step, ok := domain.Find(domain.Plan(inc, s.cfg.Policy, now), f.Step)
	if !ok {
		// Wanted but too late (the policy's max_lateness: the scheduler or
		// the laptop was down): recorded on the timeline, never sent.
		if late, ok := s.tooLate(inc, f.Step, now); ok {
			return s.skipStep(ctx, inc, late.Key, fmt.Sprintf("too late: it was due %s, more than max_lateness (%s) ago",
				late.Due.UTC().Format(time.RFC3339), time.Duration(s.cfg.Policy.MaxLateness)), SkipTooLate, now)
		}
		return s.skipAndMend(ctx, inc, f, SkipNotWanted), nil
	}
	if f.Schedule != "" && domain.ScheduleName(inc.ID, step.Key, step.Due) != f.Schedule {
		return s.superseded(ctx, inc, f, step, now), nil
	}
	if st, ok := inc.Steps[step.Key]; ok && st.Status == domain.StepSending && now.Before(st.ClaimedAt.Add(lease)) {
		// The lease's own wake-up call came early (clock skew, or the dev
		// console running it ahead of time): fail, so the scheduler tries
		// again, rather than drop the only call that guards the claim.
		return DispatchResult{}, fmt.Errorf("dispatch %s: %s is being sent; its claim ends at %s", f.IncidentID, step.Key, st.ClaimedAt.Add(lease).Format(time.RFC3339))
	}

	// Surveys the sender or the policy leave out, and the person's survey
	// budget (one survey per cooldown, whatever the incident, spent here
	// before anything is claimed): a step refused is recorded as skipped,
	// with why, and never sent.
	if _, claimed := inc.Steps[step.Key]; !claimed && step.Kind == domain.KindSurvey && step.Step.Survey != domain.SurveyNone {
		var reason, result string
		switch {
		case inc.NoSurvey:
			reason, result = "no_survey: the sender asked for no survey for this "+string(inc.Kind), SkipNoSurvey
		case !s.cfg.Policy.Sampled(inc.ID):
			reason, result = "sampled out: the policy surveys "+s.cfg.Policy.SurveySample+" of incidents, chosen by id", SkipSampledOut
		default:
			var nm *notMailable
			if err := s.claimSurvey(ctx, inc, step); errors.Is(err, domain.ErrThrottled) {
				reason, result = "throttled: "+strings.TrimPrefix(err.Error(), domain.ErrThrottled.Error()+": "), SkipThrottled
			} else if errors.As(err, &nm) {
				reason, result = nm.reason, SkipNotMailable
			} else if err != nil {
				return DispatchResult{}, fmt.Errorf("dispatch %s: %w", f.IncidentID, err)
			}
		}
		if reason != "" {
			return s.skipStep(ctx, inc, step.Key, reason, result, now)
		}
	}
	// Personal notes spend the message budget, claimed on the person's
	// record in one conditional write; a loyalty note's write also says
	// whether this booking is one of the tiers and gives its offer code
	// (a retry finds the note decided on the incident).
	var note *domain.LoyaltyNote
	if _, claimed := inc.Steps[step.Key]; step.Kind == domain.KindNote && (!claimed || step.Step.ID == domain.LoyaltyStepID) {
		var err error
		if step.Step.ID == domain.LoyaltyStepID {
			note, err = s.claimLoyalty(ctx, inc, step)
		} else {
			err = s.claimMessage(ctx, inc, step)
		}
		var nm *notMailable
		var nt *notTier
		switch {
		case err == nil:
		case claimed && (errors.As(err, &nt) || errors.Is(err, domain.ErrThrottled) || errors.As(err, &nm)):
			// Claimed before the refusal (the policy changed since):
			// the claim stands.
		case errors.As(err, &nt):
			return s.skipStep(ctx, inc, step.Key, nt.reason, SkipNotTier, now)
		case errors.Is(err, domain.ErrThrottled):
			return s.skipStep(ctx, inc, step.Key, "throttled: "+strings.TrimPrefix(err.Error(), domain.ErrThrottled.Error()+": "), SkipThrottled, now)
		case errors.As(err, &nm):
			return s.skipStep(ctx, inc, step.Key, nm.reason, SkipNotMailable, now)
		default:
			return DispatchResult{}, fmt.Errorf("dispatch %s: %w", f.IncidentID, err)
		}
	}
	// Follow-ups without a survey, reminders and recovery surveys spend no
	// budget, but a person who unsubscribed or whose mailbox refused mail
	// gets none either. (Acknowledgements still go: they answer something
	// the person just did.)
	if _, claimed := inc.Steps[step.Key]; !claimed && (step.Kind == domain.KindReminder || step.Kind == domain.KindRecovery || step.Kind == domain.KindAdvice ||
		(step.Kind == domain.KindSurvey && step.Step.Survey == domain.SurveyNone)) {
		reason, err := s.mailable(ctx, inc)
		if err != nil {
			return DispatchResult{}, fmt.Errorf("dispatch %s: %w", f.IncidentID, err)
		}
		if reason != "" {
			return s.skipStep(ctx, inc, step.Key, reason, SkipNotMailable, now)
		}
	}

	// The guard is the wake-up call for the end of this claim's lease. It
	// is created before the claim is stored, so there is no moment at which
	// a claim exists that nothing will wake: if this process dies anywhere
	// from here on, the guard fires and the next dispatcher takes over.
	guard := s.scheduleFor(inc, step.Key, domain.LeaseWakeUp(now, lease), now)
	if err := s.cfg.Scheduler.Create(ctx, guard); err != nil {
		return DispatchResult{}, fmt.Errorf("dispatch %s: schedule the claim's lease for %s: %w", f.IncidentID, step.Key, err)
	}
	givenUp := false
	// The guard the claim adds to the plan is made already; the call that
	// fired is deleted (a no-op when the scheduler already did; not when
	// this is an urgent step dispatched inline).
	c, err := s.updateFrom(ctx, inc, func(cur *domain.Incident) error {
		givenUp = false
		err := cur.Claim(step.Key, lease, now)
		if errors.Is(err, domain.ErrGivenUp) {
			givenUp = true
			return nil
		}
		if err != nil {
			return err
		}
		st := cur.Steps[step.Key]
		st.Survey = step.Step.Survey
		cur.Steps[step.Key] = st
		if note != nil {
			n := *note
			cur.Loyalty = &n
		}
		return nil
	}, guard.Name)
	inc = c.inc
	if errors.Is(err, domain.ErrStepTaken) {
		return s.skip(ctx, f, SkipTaken), nil
	}
	if err != nil {
		return DispatchResult{}, fmt.Errorf("dispatch %s: claim %s: %w", f.IncidentID, step.Key, err)
	}
	s.prune(ctx, c)
	if givenUp {
		s.log.ErrorContext(ctx, "step given up: its sends kept being interrupted", "incident", inc.ID, "step", step.Key)
		s.forgetGuard(ctx, inc.ID, guard.Name)
		return DispatchResult{Skipped: "given up: interrupted too often"}, nil
	}
	s.crash(CrashAfterClaim)

	id, err := s.deliver(ctx, inc, step, now)
	if err == nil {
		s.crash(CrashAfterSend)
		res, err := s.markSent(ctx, inc, step.Key, id)
		s.noteSent(ctx, inc, step, now)
		return res, err
	}
	permanent := errors.Is(err, mail.ErrPermanent) || errors.Is(err, errCompose) || errors.Is(err, notify.ErrPermanent)
	s.log.ErrorContext(ctx, "send failed", "incident", inc.ID, "step", step.Key, "permanent", permanent, "error", mail.Redact(err.Error()))
	c, uerr := s.updateFrom(ctx, inc, func(cur *domain.Incident) error {
		cur.MarkFailed(step.Key, err, permanent, s.cfg.Clock.Now())
		return nil
	})
	if uerr != nil {
		return DispatchResult{}, errors.Join(fmt.Errorf("dispatch %s: send %s: %w", f.IncidentID, step.Key, err), uerr)
	}
	inc = c.inc
	// The retry is a new schedule, planned for later under a new name, and
	// the guard is no longer wanted. The failure is stored, so if
	// scheduling fails here the stream planner (AWS) or the guard, firing
	// and finding nothing to do but mend, creates it.
	if rerr := s.settle(ctx, c); rerr != nil {
		s.log.ErrorContext(ctx, "scheduling the retry failed; the next reconcile retries it", "incident", inc.ID, "step", step.Key, "error", rerr)
	}
	if inc.Steps[step.Key].Status == domain.StepRejected {
		return DispatchResult{Skipped: "given up: " + err.Error()}, nil
	}
	return DispatchResult{Skipped: "send failed, retry scheduled: " + err.Error()}, nil
}

// scheduleFor is the wake-up call for a step due at due.
func (s *Service) scheduleFor(inc domain.Incident, key string, due, now time.Time) schedule.Schedule {
	at := due
	if earliest := now.Add(time.Minute); at.Before(earliest) {
		at = earliest
	}
	return schedule.Schedule{
		Name: domain.ScheduleName(inc.ID, key, due), IncidentID: inc.ID, Step: key,
		Due: due, At: at, TimeZone: inc.Customer.TimeZone,
	}
}

// markSent records a delivered step and drops its lease's wake-up call.
func (s *Service) markSent(ctx context.Context, claimed domain.Incident, key, messageID string) (DispatchResult, error) {
	id := claimed.ID
	c, err := s.updateFrom(ctx, claimed, func(cur *domain.Incident) error {
		cur.MarkSent(key, messageID, s.cfg.Clock.Now())
		return nil
	})
	if err != nil {
		// The email went out but is not recorded. Returning an error would
		// not help (the claim stops a second send until its lease ends);
		// when it ends, the guard fires, and a sender that knows the
		// message (outbox, SMTP and SES reuse the Message-ID) records it.
		s.log.ErrorContext(ctx, "email sent but not recorded; its lease's wake-up call finishes the job", "incident", id, "step", key, "error", err)
		return DispatchResult{Sent: true, MessageID: messageID}, nil
	}
	s.log.InfoContext(ctx, "step sent", "incident", id, "step", key)
	s.crash(CrashAfterRecord)
	// The guard goes; a sent survey may now want its reminder. If this
	// process dies first, the guard fires and mends (skipAndMend).
	if err := s.settle(ctx, c); err != nil {
		s.log.ErrorContext(ctx, "scheduling after the send failed; the guard's fire mends it", "incident", id, "error", err)
	}
	return DispatchResult{Sent: true, MessageID: messageID}, nil
}

// forgetGuard deletes a lease's wake-up call that is no longer wanted. If
// that fails it fires once and is skipped, which costs one invocation.
func (s *Service) forgetGuard(ctx context.Context, id, name string) {
	if err := s.cfg.Scheduler.Delete(ctx, name); err != nil {
		s.log.WarnContext(ctx, "could not delete a lease's wake-up call; it will fire and be skipped", "incident", id, "schedule", name, "error", err)
	}
}

// skipAndMend skips a fire that is not (or no longer) wanted and
// reconciles the incident: a skipped fire is the sign that a process died
// before it reconciled (after recording a send, say), and reconciling
// costs no write when nothing is missing.
func (s *Service) skipAndMend(ctx context.Context, inc domain.Incident, f schedule.Fire, reason string) DispatchResult {
	res := s.skip(ctx, f, reason)
	if err := s.Reconcile(ctx, inc); err != nil {
		s.log.ErrorContext(ctx, "reconcile after a skipped fire failed", "incident", inc.ID, "error", err)
	}
	return res
}

// deliver sends one claimed step: an email to the customer or the team,
// or an alert through the notifier.
func (s *Service) deliver(ctx context.Context, inc domain.Incident, step domain.PlannedStep, now time.Time) (string, error) {
	if step.Kind == domain.KindHook {
		if s.cfg.Notifier == nil {
			return "", fmt.Errorf("%w: no notifier configured", errCompose)
		}
		if err := s.cfg.Notifier.Notify(ctx, s.alert(inc, step, now)); err != nil {
			return "", err
		}
		return "webhook", nil
	}
	msg, err := s.compose(ctx, inc, step, now)
	if err != nil {
		return "", err
	}
	s.crash(CrashAfterRender)
	return s.cfg.Mailer.Send(ctx, msg)
}

func (s *Service) skip(ctx context.Context, f schedule.Fire, reason string) DispatchResult {
	s.log.InfoContext(ctx, "step skipped", "incident", f.IncidentID, "step", f.Step, "schedule", f.Schedule, "reason", reason)
	return DispatchResult{Skipped: reason}
}

// skipStep records that a due step will not be sent, and why, on the
// incident (unless a dispatcher claimed it meanwhile), and deletes the
// wake-up call that fired.
// tooLate finds a step the plan would want but for the policy's
// max_lateness, and not yet claimed.
func (s *Service) tooLate(inc domain.Incident, key string, now time.Time) (domain.PlannedStep, bool) {
	if s.cfg.Policy.MaxLateness <= 0 {
		return domain.PlannedStep{}, false
	}
	if _, claimed := inc.Steps[key]; claimed {
		return domain.PlannedStep{}, false
	}
	p := s.cfg.Policy
	p.MaxLateness = 0
	return domain.Find(domain.Plan(inc, p, now), key)
}

// superseded answers a wake-up call that an older plan made: the step is
// still wanted, at another time, whose own call sends it. The timeline
// says so (it is a change the team may wonder about), and the calls are
// mended.
func (s *Service) superseded(ctx context.Context, inc domain.Incident, f schedule.Fire, step domain.PlannedStep, now time.Time) DispatchResult {
	detail := "superseded: a wake-up call from an earlier plan; it goes at " + step.Due.UTC().Format(time.RFC3339)
	if _, err := s.updateFrom(ctx, inc, func(cur *domain.Incident) error {
		if slices.ContainsFunc(cur.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryNotSent && e.Detail == detail }) {
			return store.ErrUnchanged // the same call again
		}
		cur.Record(now, domain.EntryNotSent, step.Key, detail)
		return nil
	}); err != nil {
		s.log.WarnContext(ctx, "superseded call not noted on the timeline", "incident", inc.ID, "error", err)
	}
	return s.skipAndMend(ctx, inc, f, SkipSuperseded)
}

func (s *Service) skipStep(ctx context.Context, inc domain.Incident, key, reason, result string, now time.Time) (DispatchResult, error) {
	c, err := s.updateFrom(ctx, inc, func(cur *domain.Incident) error {
		if _, ok := cur.Steps[key]; ok {
			return store.ErrUnchanged
		}
		cur.Skip(key, reason, now)
		return nil
	})
	if err != nil {
		return DispatchResult{}, fmt.Errorf("dispatch %s: record the skip of %s: %w", inc.ID, key, err)
	}
	s.prune(ctx, c)
	s.log.InfoContext(ctx, "step skipped", "incident", inc.ID, "step", key, "reason", result)
	return DispatchResult{Skipped: result}, nil
}
