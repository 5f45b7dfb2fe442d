package render

import (
	"strconv"
	"strings"

	"github.com/matcornic/hermes/v2"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/i18n"
)

// Causes of a team alert, as Request.Cause spells them. The first two
// match the notify package's alert kinds, so one incident reads the same
// in Slack and in the inbox.
const (
	CauseNegativeAnswer = "negative_answer"
	CauseReply          = "reply"
	// CauseNotRecovered: the "did we fix it?" (recovery) answer was still low.
	CauseNotRecovered = "not_recovered"
	// Follow-up alerts of an open episode (see domain.Escalate).
	CauseAnswerUpdated  = "answer_updated"
	CauseAnswerImproved = "answer_improved"
	// CauseOtherSender: a message to the reply address not from the customer.
	CauseOtherSender = "reply_other_sender"
)

// teamAlert tells the operator's staff that a customer needs a person:
// why, who (with the address, so they can write back), which booking or
// ticket, the score on its scale, the reasons and the customer's own
// words, and one button to the timeline. It is written in the team's
// language (req.Locale) and signed by nobody: it is an internal notice.
//
// The customer's words are the one place their free text reaches an
// email, so they go in as escaped lines (view.Quotes), never as markup.
func teamAlert(l *i18n.Lang, in Request) content {
	cause := in.Cause
	switch cause {
	case CauseNegativeAnswer, CauseReply, CauseNotRecovered, CauseAnswerUpdated, CauseAnswerImproved, CauseOtherSender:
	default:
		// A cause this version does not know still raises the alert, in
		// general words, rather than losing it.
		cause = ""
	}
	suffix := ""
	if cause != "" {
		suffix = "." + cause
	}
	c := content{
		team:     true,
		greeting: l.T("team_alert.title" + suffix),
		intros:   []string{l.T("team_alert.intro" + suffix)},
		outros:   []string{l.T("team_alert.outro")},
	}
	c.preheader = c.intros[0]

	// The subject carries the score, so the team can triage from the
	// inbox: "Needs attention: CSAT 2/5 — Sunset sailing (BK-1042)".
	lo, hi := in.Survey.Range()
	scored := in.Survey != domain.SurveyNone && in.Survey.Check(in.Score) == nil
	name := strings.ToUpper(string(in.Survey))
	subject := l.T("team_alert.subject" + suffix)
	if scored && cause != CauseReply && cause != CauseOtherSender {
		subject = l.T("team_alert.subject.score", subject, name, in.Score, hi)
	}
	if in.Title != "" {
		subject = l.T("team_alert.subject.title", subject, truncate(in.Title, maxSubjectPart))
	}
	if in.Ref != "" {
		subject = l.T("team_alert.subject.ref", subject, truncate(in.Ref, maxSubjectPart))
	}
	c.subject = subject

	row := func(key, value string) {
		if value != "" {
			c.details = append(c.details, hermes.Entry{Key: l.T(key), Value: value})
		}
	}
	if cause != "" {
		row("team_alert.cause", l.T("cause."+cause))
	}
	row("team_alert.customer", in.CustomerName)
	row("team_alert.email", in.CustomerEmail)
	if in.Sender != "" {
		row("team_alert.sender", l.T("team_alert.sender.value", in.Sender))
	}
	if in.Changes > 0 {
		row("team_alert.changes", strconv.Itoa(in.Changes))
	}
	switch in.Kind {
	case string(domain.KindBooking), string(domain.KindTicket):
		row("kind."+in.Kind, in.Title)
	default:
		row("team_alert.about", in.Title)
	}
	row("team_alert.provider", in.Provider)
	row("team_alert.ref", in.Ref)
	row("team_alert.status", label(l, "status.", in.Status))
	if scored {
		row("team_alert.score", l.T("team_alert.score.value", in.Score, lo, hi, name))
	}
	reasons := make([]string, 0, len(in.Reasons))
	for _, code := range in.Reasons {
		reasons = append(reasons, label(l, "reason.", code))
	}
	row("team_alert.reasons", strings.Join(reasons, ", "))

	if p := paragraphs(in.Comment); len(p) > 0 {
		c.quotes = append(c.quotes, quote{Heading: l.T("team_alert.comment"), Paras: p})
	}
	if p := paragraphs(in.ReplyText); len(p) > 0 {
		heading := l.T("team_alert.reply")
		if in.Sender != "" {
			heading = l.T("team_alert.message")
		}
		c.quotes = append(c.quotes, quote{Heading: heading, Paras: p})
	}
	if in.TimelineURL != "" {
		c.button = &button{Text: l.T("team_alert.button"), URL: in.TimelineURL}
	}
	return c
}

// label translates a code under prefix ("status.solved"), or returns the
// code as it came when the catalog has no label for it. The catalog is
// consulted with Has first: T would read an unknown key as a format
// string, and the code comes from outside.
func label(l *i18n.Lang, prefix, code string) string {
	if code == "" {
		return ""
	}
	if l.Has(prefix + code) {
		return l.T(prefix + code)
	}
	return code
}
