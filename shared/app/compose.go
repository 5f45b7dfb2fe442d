package app

// compose.go builds what dispatch sends: the customer's or the team's
// email, with its signed links and reply address, and the alert the
// notifier posts.

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
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/notify"
)

// errCompose marks failures to build a message: retrying will not help.
var errCompose = errors.New("cannot compose message")

// renderFailed is a render failure as the send path sees it: permanent
// (errCompose) unless the renderer says a retry may help (a remote
// renderer that could not be reached).
func renderFailed(template string, err error) error {
	if errors.Is(err, draft.ErrTemporary) {
		return fmt.Errorf("render %s: %w", template, err)
	}
	return fmt.Errorf("%w: render %s: %w", errCompose, template, err)
}

// compose renders a step's email: to the customer, with signed rating
// links where the step carries a survey, or to the team for an alert.
func (s *Service) compose(ctx context.Context, inc domain.Incident, step domain.PlannedStep, now time.Time) (mail.Message, error) {
	req := draft.Request{
		Template: step.Step.Template, Locale: inc.Customer.Locale, CustomerName: inc.Customer.Name,
		Title: inc.Title, Location: inc.Location, Agent: inc.Agent, StartsAt: inc.StartsAt,
		TimeZone: inc.Customer.TimeZone, Survey: step.Step.Survey,
		Provider: inc.Provider, Ref: inc.Ref, Status: string(inc.Status), Kind: string(inc.Kind),
		EndsAt: inc.EndsAt,
	}
	if step.Kind == domain.KindAdvice {
		req.Advice = s.adviceFor(inc)
	}
	switch step.Step.ID {
	case domain.LoyaltyStepID:
		if n := inc.Loyalty; n != nil {
			req.LoyaltyCount, req.LoyaltySince, req.OfferCode = n.Ordinal, n.Since, n.Code
			if n.Code != "" {
				req.OfferText = s.cfg.Policy.Loyalty.OfferText(inc.Customer.Locale)
			}
		}
	case domain.MissedYouStepID:
		if m := s.cfg.Policy.MissedYou; m != nil {
			req.BookingLink = m.Link
		}
	}
	to := netmail.Address{Name: inc.Customer.Name, Address: inc.Customer.Email}
	// A reply to a reminder answers the survey it reminds of.
	replyKey := step.Key
	if step.Answers != "" {
		replyKey = step.Answers
	}
	replyTo := s.replyTo(inc.ID, replyKey)
	// Every email to the customer carries a way out (team alerts do not);
	// it needs people's records to be honoured.
	unsubscribe := ""
	if step.Kind != domain.KindAlert && s.cfg.ContactKey != nil {
		unsubscribe = s.UnsubscribeURL(inc.ID, now)
		req.UnsubscribeURL = unsubscribe
	}
	if step.Kind == domain.KindAlert {
		if s.cfg.Team.Address == "" {
			return mail.Message{}, fmt.Errorf("%w: no team address configured", errCompose)
		}
		to, req.Locale, req.Survey = s.cfg.Team, s.cfg.TeamLocale, ""
		// The team answers the customer directly.
		replyTo = (&netmail.Address{Name: inc.Customer.Name, Address: inc.Customer.Email}).String()
		req.CustomerEmail, req.TimelineURL = inc.Customer.Email, s.TeamURL(inc.ID, now)
		if e := step.Escalation; e != nil {
			req.Cause, req.Survey, req.Score, req.Changes = e.Cause, e.Kind, e.Score, e.Folded
			if a, ok := inc.Answers[e.Step]; ok {
				req.Reasons = a.Reasons
			}
			switch e.Cause {
			case domain.CauseForeignReply:
				// Not the customer: the team must not answer them as if
				// they were, so no Reply-To at all.
				req.ReplyText, req.Sender, replyTo = e.Text, e.From, ""
			case domain.CauseReply:
				req.ReplyText = e.Text
			default:
				req.Comment = e.Text
			}
		}
	} else if step.Answers != "" {
		for _, score := range step.Step.Survey.Scores() {
			req.Ratings = append(req.Ratings, draft.Rating{Score: score, URL: s.RatingURL(links.Claims{
				Incident: inc.ID, Step: step.Answers, Survey: step.Step.Survey, Score: score,
				Expires: now.Add(s.cfg.AnswerWindow),
			})})
		}
	}
	if step.Kind == domain.KindNote && step.Step.ID == domain.ReviewStepID {
		s.reviewRequest(&req, inc, step, now)
	}
	out, err := s.cfg.Renderer.Render(ctx, req)
	if err != nil {
		return mail.Message{}, renderFailed(step.Step.Template, err)
	}
	m := mail.Message{
		From:      s.cfg.From,
		To:        to,
		ReplyTo:   replyTo,
		Subject:   out.Subject,
		HTML:      out.HTML,
		Text:      out.Text,
		MessageID: fmt.Sprintf("<%s.%s@%s>", step.Key, inc.ID, domainOf(s.cfg.From.Address)),
		Date:      now,
		Tags:      map[string]string{"incident": inc.ID, "step": step.Key},
	}
	if unsubscribe != "" {
		m.Headers = s.unsubscribeHeaders(inc.ID, unsubscribe)
	}
	if step.Kind == domain.KindAdvice && !inc.StartsAt.IsZero() && s.cfg.Calendar != nil {
		a, err := s.calendarFile(inc, out.Subject, req.Advice, now)
		if err != nil {
			return mail.Message{}, fmt.Errorf("%w: %w", errCompose, err)
		}
		m.Attachments = append(m.Attachments, a)
	}
	return m, nil
}

// unsubscribeHeaders are RFC 8058's one-click unsubscribe headers (RFC
// 2369's List-Unsubscribe, with the mailto: form where replies are
// received), which Gmail and Yahoo require of bulk senders.
func (s *Service) unsubscribeHeaders(incidentID, url string) map[string]string {
	v := "<" + url + ">"
	if s.cfg.ReplyAddresses != nil {
		if addr, err := s.cfg.ReplyAddresses.Address(incidentID, unsubscribeStep); err == nil {
			v += ", <mailto:" + addr + "?subject=unsubscribe>"
		}
	}
	return map[string]string{"List-Unsubscribe": v, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
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
	a.TimelineURL, a.Changes = s.TeamURL(inc.ID, now), e.Folded
	if e.Kind != domain.SurveyNone {
		// The score the escalation reports; a reply keeps the answer (and
		// comment) NewAlert found on its step, so they stay together.
		a.Survey, a.Score = e.Kind, e.Score
	}
	switch e.Cause {
	case domain.CauseReply, domain.CauseForeignReply:
		a.Reply = e.Text
	default:
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
