// Package notify alerts the team when a customer needs a human: a negative
// survey answer, an email reply, a customer won back. The answer itself is
// already on the incident's timeline; an alert exists so that somebody looks
// at it while it still matters, which is what "closing the loop" means.
//
// This package is the port: the Alert and the Notifier that delivers it.
// Adapters live in sub-packages, like the store's, the scheduler's and the
// mailer's: webhook posts a signed JSON body that a Slack incoming webhook
// accepts as it is (its wire format is documented there). The team email
// is not a Notifier: it is a step that dispatch renders and mails.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// Notifier delivers one alert to the team. Implementations retry passing
// failures themselves, within their own bounds, and return an error wrapping
// ErrPermanent when a retry cannot help, so that a caller never needs to know
// how a channel fails in order to decide whether to try again later.
type Notifier interface {
	Notify(ctx context.Context, a Alert) error
}

// ErrPermanent wraps alert failures that repeating the same alert cannot fix:
// an invalid alert, an endpoint that refuses it (4xx other than 408/429), a
// redirect, an untrusted certificate. Anything else may be retried later.
var ErrPermanent = errors.New("permanent alert failure")

// Kind says why the team is alerted. It becomes the suffix of the payload
// type ("aftercare.alert." + kind), so it must stay lowercase ASCII letters,
// digits and underscores. Kinds beyond the constants below are allowed, so
// that a new alert needs no change here; receivers should ignore kinds they
// do not know.
type Kind string

// The alert kinds Aftercare raises.
const (
	// KindNegativeAnswer: a survey score at or below the policy's threshold.
	KindNegativeAnswer Kind = "negative_answer"
	// KindReply: the customer answered a follow-up email in words.
	KindReply Kind = "reply"
	// KindRecovered: a customer who answered negatively answered the
	// "did we fix it?" follow-up positively — the loop is closed.
	KindRecovered Kind = "recovered"
	// KindNotRecovered: the "did we fix it?" answer was still negative.
	KindNotRecovered Kind = "not_recovered"
	// KindUpdated and KindImproved are the follow-up alert of an open
	// attention episode: the customer changed or added to a negative
	// answer, or raised it to a good one.
	KindUpdated  Kind = "answer_updated"
	KindImproved Kind = "answer_improved"
	// KindOtherSender: somebody other than the customer wrote to the
	// incident's reply address; Reply is their message.
	KindOtherSender Kind = "reply_other_sender"
)

// Alert is what the team is told. It carries what a person needs to act
// (who, which booking or ticket, what they said, a link to the timeline) and
// nothing that would let the alert stand in for the incident record.
type Alert struct {
	Kind Kind
	// IncidentID, Provider and Ref identify the incident; IncidentKind says
	// whether it is a booking or a ticket.
	IncidentID   string
	Provider     string
	Ref          string
	IncidentKind domain.Kind
	Title        string
	Status       domain.Status
	// Step is the follow-up step the answer or reply belongs to. It is part
	// of the alert's identity (see Webhook), so a score given to two steps
	// raises two alerts.
	Step string

	// CustomerName is shown to the team; the customer's email address is
	// not, unless the caller sets CustomerEmail and the channel opts in.
	CustomerName string
	// CustomerEmail is an explicit opt-in. Alerts travel to places outside
	// Aftercare's data boundary — a Slack channel, a chat log kept forever, a
	// third-party automation — seen by more people than the incident
	// console, where an address cannot be recalled once posted. Data
	// minimisation says the name and the timeline link are enough to act on.
	// Set it only for a channel inside the operator's own mail system that
	// needs it (the team email's Reply-To); Webhook drops it unless built
	// WithCustomerEmail. It is never part of the Slack text nor of LogValue.
	CustomerEmail string

	// Survey and Score are the answer, when there is one (Survey empty
	// otherwise). Comment is the customer's free-text comment on it.
	Survey  domain.SurveyKind
	Score   int
	Comment string
	// Reply is the text of the customer's email reply, for KindReply (or
	// of the other sender's message, for KindOtherSender).
	Reply string
	// Changes counts the changes folded into a follow-up alert.
	Changes int

	// TimelineURL opens the incident in the console, if the deployment has
	// one; it must be an absolute http(s) URL.
	TimelineURL string
	// At is when the thing alerted about happened (the answer's time, the
	// reply's Date), not when the alert is sent, so that a re-sent alert is
	// the same alert.
	At time.Time
}

// NewAlert fills an alert from an incident and the step concerned: the
// identifying fields, the customer's name, and the step's answer if any. It
// leaves CustomerEmail, Reply and TimelineURL to the caller, so that an
// address is never copied into an alert by default.
func NewAlert(kind Kind, inc *domain.Incident, step string, at time.Time) Alert {
	a := Alert{
		Kind:         kind,
		IncidentID:   inc.ID,
		Provider:     inc.Provider,
		Ref:          inc.Ref,
		IncidentKind: inc.Kind,
		Title:        inc.Title,
		Status:       inc.Status,
		Step:         step,
		CustomerName: inc.Customer.Name,
		At:           at,
	}
	if ans, ok := inc.Answers[step]; ok {
		a.Survey, a.Score, a.Comment = ans.Survey, ans.Score, ans.Comment
	}
	return a
}

// Validate reports an alert that no channel should send: the mistakes are
// the caller's, and sending half an alert would only confuse the team. The
// error wraps ErrPermanent.
func (a Alert) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("invalid alert: %s: %w", fmt.Sprintf(format, args...), ErrPermanent)
	}
	if !validKind(a.Kind) {
		return fail("kind %q must be lowercase letters, digits and underscores", a.Kind)
	}
	if a.IncidentID == "" {
		return fail("incident id is empty")
	}
	if a.At.IsZero() {
		return fail("time is zero")
	}
	if !a.Survey.Valid() {
		return fail("unknown survey %q", a.Survey)
	}
	if a.Survey != domain.SurveyNone {
		if err := a.Survey.Check(a.Score); err != nil {
			return fmt.Errorf("invalid alert: %w: %w", err, ErrPermanent)
		}
	}
	if a.Comment != "" && a.Survey == domain.SurveyNone {
		return fail("a comment needs the survey answer it belongs to")
	}
	if a.TimelineURL != "" {
		if _, err := HTTPURL(a.TimelineURL); err != nil {
			return fail("timeline url: %v", err)
		}
	}
	return nil
}

// LogValue lets an alert be logged whole without leaking personal data: it
// keeps identifiers and the score, and leaves out the customer's name,
// address, comment and reply.
func (a Alert) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("kind", string(a.Kind)),
		slog.String("incident", a.IncidentID),
		slog.String("step", a.Step),
	}
	if a.Survey != domain.SurveyNone {
		attrs = append(attrs, slog.String("survey", string(a.Survey)), slog.Int("score", a.Score))
	}
	return slog.GroupValue(attrs...)
}

var _ slog.LogValuer = Alert{}

func validKind(k Kind) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// HTTPURL parses an absolute http or https URL with a host. Other schemes
// are refused: the webhook must not be pointed at file:// or a Unix socket,
// and a timeline link must open in a browser.
func HTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, which for a webhook is a
		// secret (Slack's token is its path); keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("URL has no host")
	}
	return u, nil
}
