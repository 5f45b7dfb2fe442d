package domain

import (
	"strconv"
	"strings"
)

// StepName is a step as a person calls it, for the team's dashboard and
// the dev console alike: what it is, who it goes to, and which one. Both
// name steps through NameStep, so a step is called the same everywhere.
type StepName struct {
	// What names the email or post without an article: "thank-you",
	// "satisfaction survey", "team alert".
	What string
	// To is who receives it: "the customer", "the team", "the alert
	// webhook".
	To string
	// N is the cycle, escalation or message number the key ends with,
	// "" for a step before a booking's start ("advice-s").
	N string
	// Reminder: the step is the reminder of What.
	Reminder bool
}

// toWebhook is the receiver of an alert posted to the alert webhook.
const toWebhook = "the alert webhook"

// String is the name with its number: "reminder of the thank-you #2",
// "team alert #2 (webhook)".
func (n StepName) String() string {
	s := n.Phrase()
	s = strings.TrimPrefix(s, "the ")
	if n.N != "" {
		s += " #" + n.N
	}
	if n.To == toWebhook {
		s += " (webhook)"
	}
	return s
}

// Phrase is the name as a sentence uses it, without its number: "the
// reminder of the thank-you".
func (n StepName) Phrase() string {
	if n.Reminder {
		return "the reminder of the " + n.What
	}
	return "the " + n.What
}

// templateWords names the emails by their templates, as policies spell
// them.
var templateWords = map[string]string{
	"thank_you":       "thank-you",
	"satisfaction":    "satisfaction survey",
	"recovery":        "“is it fixed?” survey",
	ReminderTemplate:  "reminder",
	"acknowledgement": "acknowledgement",
	"team_alert":      "team alert",
	"team_message":    "message from the team",
	"pre_arrival":     "pre-arrival advice",
	ReviewTemplate:    "review invitation",
	"loyalty_note":    "loyalty thanks",
	"missed_you":      "“we missed you” note",
}

// surveyWords names a survey by its kind, for a step whose template has
// no words of its own.
var surveyWords = map[SurveyKind]string{
	SurveyCSAT: "satisfaction survey", SurveyNPS: "recommendation survey", SurveyCES: "effort survey",
}

// NameStep names the step with key from the key's shape (Plan makes
// "<id>-<cycle>", "<id>-<cycle>-r" for a reminder, "<id>-s" before a
// booking's start, "ack-<n>", "alert-<n>", "hook-<n>", "msg-<n>") and the
// policy's steps, named by their template, else by their survey.
func NameStep(p Policy, key string) StepName {
	n := StepName{To: "the customer"}
	base, reminder := strings.CutSuffix(key, "-r")
	n.Reminder = reminder
	id := base
	if b, ok := strings.CutSuffix(base, BeforeStartSuffix); ok {
		id = b
	} else if i := strings.LastIndexByte(base, '-'); i > 0 {
		if _, err := strconv.Atoi(base[i+1:]); err == nil {
			id, n.N = base[:i], base[i+1:]
		}
	}
	switch id {
	case "ack":
		n.What = templateWords["acknowledgement"]
	case "alert":
		n.What, n.To = templateWords["team_alert"], "the team"
	case "hook":
		n.What, n.To = templateWords["team_alert"], toWebhook
	case "msg":
		n.What = templateWords["team_message"]
	case ReviewStepID:
		n.What = templateWords[ReviewTemplate]
	case LoyaltyStepID:
		n.What = templateWords["loyalty_note"]
	case MissedYouStepID:
		n.What = templateWords["missed_you"]
	}
	if n.What != "" {
		return n
	}
	steps := []Step{p.RecoveryStep()}
	for _, r := range p.Rules {
		steps = append(steps, r.Steps...)
	}
	for _, s := range steps {
		if s.ID != id {
			continue
		}
		if w, ok := templateWords[s.Template]; ok {
			n.What = w
		} else if w, ok := surveyWords[s.Survey]; ok {
			n.What = w
		}
		break
	}
	if n.What == "" {
		n.What = "follow-up"
	}
	return n
}
