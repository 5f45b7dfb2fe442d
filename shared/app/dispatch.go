package app

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/render"
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
	step, ok := domain.Find(domain.Plan(inc, s.cfg.Policy, now), f.Step)
	if !ok {
		return s.skip(ctx, f, SkipNotWanted), nil
	}
	if f.Schedule != "" && domain.ScheduleName(inc.ID, step.Key, step.Due) != f.Schedule {
		return s.skip(ctx, f, SkipSuperseded), nil
	}
	inc, err = s.cfg.Store.Update(ctx, inc.ID, func(cur *domain.Incident) error {
		if err := cur.Claim(step.Key, now); err != nil {
			return err
		}
		st := cur.Steps[step.Key]
		st.Survey = step.Step.Survey
		cur.Steps[step.Key] = st
		delete(cur.Scheduled, f.Schedule)
		return nil
	})
	if errors.Is(err, domain.ErrStepTaken) {
		return s.skip(ctx, f, SkipTaken), nil
	}
	if err != nil {
		return DispatchResult{}, fmt.Errorf("dispatch %s: claim %s: %w", f.IncidentID, step.Key, err)
	}

	id, err := s.deliver(ctx, inc, step, now)
	if err == nil {
		return s.markSent(ctx, inc.ID, step.Key, id)
	}
	permanent := errors.Is(err, mail.ErrPermanent) || errors.Is(err, errCompose) || errors.Is(err, notify.ErrPermanent)
	s.log.ErrorContext(ctx, "send failed", "incident", inc.ID, "step", step.Key, "permanent", permanent, "error", mail.Redact(err.Error()))
	inc, uerr := s.cfg.Store.Update(ctx, inc.ID, func(cur *domain.Incident) error {
		cur.MarkFailed(step.Key, err, permanent, s.cfg.Clock.Now())
		return nil
	})
	if uerr != nil {
		return DispatchResult{}, errors.Join(fmt.Errorf("dispatch %s: send %s: %w", f.IncidentID, step.Key, err), uerr)
	}
	// The retry is a new schedule, planned for later under a new name. The
	// failure is stored, so if scheduling fails here the next reconcile
	// (the stream planner on AWS, the next event locally) creates it.
	if rerr := s.Reconcile(ctx, inc); rerr != nil {
		s.log.ErrorContext(ctx, "scheduling the retry failed; the next reconcile retries it", "incident", inc.ID, "step", step.Key, "error", rerr)
	}
	if inc.Steps[step.Key].Status == domain.StepRejected {
		return DispatchResult{Skipped: "given up: " + err.Error()}, nil
	}
	return DispatchResult{Skipped: "send failed, retry scheduled: " + err.Error()}, nil
}

func (s *Service) markSent(ctx context.Context, id, key, messageID string) (DispatchResult, error) {
	inc, err := s.cfg.Store.Update(ctx, id, func(cur *domain.Incident) error {
		cur.MarkSent(key, messageID, s.cfg.Clock.Now())
		return nil
	})
	if err != nil {
		// The email went out; failing here would make the scheduler retry
		// and the claim would stop a second send, so report and move on.
		s.log.ErrorContext(ctx, "email sent but not recorded", "incident", id, "step", key, "error", err)
		return DispatchResult{Sent: true, MessageID: messageID}, nil
	}
	s.log.InfoContext(ctx, "step sent", "incident", id, "step", key)
	// A sent survey may now want its reminder.
	if err := s.Reconcile(ctx, inc); err != nil {
		s.log.ErrorContext(ctx, "reconcile after send failed; the next change retries it", "incident", id, "error", err)
	}
	return DispatchResult{Sent: true, MessageID: messageID}, nil
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
	msg, err := s.compose(inc, step, now)
	if err != nil {
		return "", err
	}
	return s.cfg.Mailer.Send(ctx, msg)
}

func (s *Service) skip(ctx context.Context, f schedule.Fire, reason string) DispatchResult {
	s.log.InfoContext(ctx, "step skipped", "incident", f.IncidentID, "step", f.Step, "schedule", f.Schedule, "reason", reason)
	return DispatchResult{Skipped: reason}
}

// errCompose marks failures to build a message: retrying will not help.
var errCompose = errors.New("cannot compose message")

// compose renders a step's email: to the customer, with signed rating
// links where the step carries a survey, or to the team for an alert.
func (s *Service) compose(inc domain.Incident, step domain.PlannedStep, now time.Time) (mail.Message, error) {
	req := render.Request{
		Template: step.Step.Template, Locale: inc.Customer.Locale, CustomerName: inc.Customer.Name,
		Title: inc.Title, Location: inc.Location, Agent: inc.Agent, StartsAt: inc.StartsAt,
		TimeZone: inc.Customer.TimeZone, Survey: step.Step.Survey,
		Provider: inc.Provider, Ref: inc.Ref, Status: string(inc.Status), Kind: string(inc.Kind),
	}
	to := netmail.Address{Name: inc.Customer.Name, Address: inc.Customer.Email}
	// A reply to a reminder answers the survey it reminds of.
	replyKey := step.Key
	if step.Answers != "" {
		replyKey = step.Answers
	}
	replyTo := s.replyTo(inc.ID, replyKey)
	if step.Kind == domain.KindAlert {
		if s.cfg.Team.Address == "" {
			return mail.Message{}, fmt.Errorf("%w: no team address configured", errCompose)
		}
		to, req.Locale, req.Survey = s.cfg.Team, s.cfg.TeamLocale, ""
		// The team answers the customer directly.
		replyTo = (&netmail.Address{Name: inc.Customer.Name, Address: inc.Customer.Email}).String()
		req.CustomerEmail, req.TimelineURL = inc.Customer.Email, s.TeamURL(inc.ID, now)
		if e := step.Escalation; e != nil {
			req.Cause, req.Survey, req.Score = e.Cause, e.Kind, e.Score
			if a, ok := inc.Answers[e.Step]; ok {
				req.Reasons = a.Reasons
			}
			if e.Cause == domain.CauseReply {
				req.ReplyText = e.Text
			} else {
				req.Comment = e.Text
			}
		}
	} else if step.Answers != "" {
		for _, score := range step.Step.Survey.Scores() {
			req.Ratings = append(req.Ratings, render.Rating{Score: score, URL: s.RatingURL(links.Claims{
				Incident: inc.ID, Step: step.Answers, Survey: step.Step.Survey, Score: score,
				Expires: now.Add(s.cfg.AnswerWindow),
			})})
		}
	}
	out, err := s.cfg.Renderer.Render(req)
	if err != nil {
		return mail.Message{}, fmt.Errorf("%w: render %s: %w", errCompose, step.Step.Template, err)
	}
	return mail.Message{
		From:      s.cfg.From,
		To:        to,
		ReplyTo:   replyTo,
		Subject:   out.Subject,
		HTML:      out.HTML,
		Text:      out.Text,
		MessageID: fmt.Sprintf("<%s.%s@%s>", step.Key, inc.ID, domainOf(s.cfg.From.Address)),
		Date:      now,
		Tags:      map[string]string{"incident": inc.ID, "step": step.Key},
	}, nil
}

// replyTo is the Reply-To of a customer email: the signed per-incident
// address when replies are received, else the configured one.
func (s *Service) replyTo(incidentID, step string) string {
	if s.cfg.ReplyAddresses != nil {
		return s.cfg.ReplyAddresses.For(incidentID, step)
	}
	return s.cfg.ReplyTo
}

// alert is what the notifier posts for an escalation.
func (s *Service) alert(inc domain.Incident, step domain.PlannedStep, now time.Time) notify.Alert {
	e := domain.Escalation{Cause: domain.CauseNegative}
	if step.Escalation != nil {
		e = *step.Escalation
	}
	a := notify.NewAlert(notify.Kind(e.Cause), &inc, e.Step, e.At)
	a.Survey, a.Score, a.TimelineURL = e.Kind, e.Score, s.TeamURL(inc.ID, now)
	if e.Cause == domain.CauseReply {
		a.Reply = e.Text
	} else {
		a.Comment = e.Text
	}
	return a
}

// teamLinkLife is how long the team's timeline link in an alert works.
const teamLinkLife = 90 * 24 * time.Hour

// teamStep marks a link token as the team's read-only timeline link, which
// can never answer a survey.
const teamStep = "team"

// TeamURL is the signed link to an incident's timeline, for the team.
func (s *Service) TeamURL(incidentID string, now time.Time) string {
	return s.cfg.PublicURL + "/t/" + s.cfg.Links.Sign(links.Claims{Incident: incidentID, Step: teamStep, Expires: now.Add(teamLinkLife)})
}

// RatingURL is the signed one-click link for one score.
func (s *Service) RatingURL(c links.Claims) string {
	return s.cfg.PublicURL + "/r/" + s.cfg.Links.Sign(c)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "aftercare.invalid"
}
