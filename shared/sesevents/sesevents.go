// Package sesevents reads the email sending events SES publishes through a
// configuration set's EventBridge destination (bounces, complaints,
// delivery delays) into the app's MailEvent. The Lambda function
// "feedback" and the local runtime's POST /dev/api/ses-events take the
// same JSON, so tests and scripts exercise the same reader.
//
// The shapes are AWS's: the EventBridge envelope ("detail-type", "source":
// "aws.ses", "detail") around the event record SES documents in "Contents
// of event data that Amazon SES publishes" (eventType, mail.tags, bounce,
// complaint, deliveryDelay).
package sesevents

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/app"
)

// MaxEvent is the largest event read: EventBridge's own limit.
const MaxEvent = 256 << 10

// ErrNotAnEvent is returned for JSON that is not an SES sending event.
var ErrNotAnEvent = errors.New("not an SES sending event")

// Envelope is EventBridge's event around SES's record.
type Envelope struct {
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Time       time.Time `json:"time"`
	Detail     *Record   `json:"detail"`
}

// Record is SES's event record, the fields Aftercare reads.
type Record struct {
	EventType string `json:"eventType"`
	Mail      struct {
		MessageID   string              `json:"messageId"`
		Destination []string            `json:"destination"`
		Tags        map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string      `json:"bounceType"`
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		Timestamp             time.Time   `json:"timestamp"`
	} `json:"complaint"`
	DeliveryDelay *struct {
		DelayType         string      `json:"delayType"`
		DelayedRecipients []recipient `json:"delayedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
	} `json:"deliveryDelay"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// Parse reads one EventBridge event.
func Parse(raw []byte) (app.MailEvent, error) {
	if len(raw) > MaxEvent {
		return app.MailEvent{}, fmt.Errorf("%w: %d bytes, more than EventBridge's %d", ErrNotAnEvent, len(raw), MaxEvent)
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return app.MailEvent{}, fmt.Errorf("%w: %w", ErrNotAnEvent, err)
	}
	return env.MailEvent()
}

// MailEvent converts the envelope.
func (env Envelope) MailEvent() (app.MailEvent, error) {
	if env.Source != "aws.ses" || env.Detail == nil || env.Detail.EventType == "" {
		return app.MailEvent{}, fmt.Errorf("%w: want source \"aws.ses\" and a detail with an eventType", ErrNotAnEvent)
	}
	d := env.Detail
	ev := app.MailEvent{ID: env.ID, Type: d.EventType, At: env.Time, Incident: tag(d.Mail.Tags, "incident"), Step: tag(d.Mail.Tags, "step")}
	if ev.ID == "" {
		ev.ID = d.Mail.MessageID + "/" + d.EventType
	}
	var rs []recipient
	switch {
	case d.EventType == app.MailBounce && d.Bounce != nil:
		ev.BounceType, ev.SubType, rs = d.Bounce.BounceType, d.Bounce.BounceSubType, d.Bounce.BouncedRecipients
	case d.EventType == app.MailComplaint && d.Complaint != nil:
		ev.SubType, rs = d.Complaint.ComplaintFeedbackType, d.Complaint.ComplainedRecipients
	case d.EventType == app.MailDelay && d.DeliveryDelay != nil:
		ev.SubType, rs = d.DeliveryDelay.DelayType, d.DeliveryDelay.DelayedRecipients
	case d.EventType == app.MailBounce || d.EventType == app.MailComplaint || d.EventType == app.MailDelay:
		return app.MailEvent{}, fmt.Errorf("%w: a %s event without its %q object", ErrNotAnEvent, d.EventType, objectOf(d.EventType))
	}
	for _, r := range rs {
		ev.Recipients = append(ev.Recipients, r.EmailAddress)
	}
	if len(ev.Recipients) == 0 {
		ev.Recipients = d.Mail.Destination
	}
	return ev, nil
}

func objectOf(eventType string) string {
	switch eventType {
	case app.MailComplaint:
		return "complaint"
	case app.MailDelay:
		return "deliveryDelay"
	}
	return "bounce"
}

// tag is a message tag's value: SES publishes each as a list.
func tag(tags map[string][]string, name string) string {
	if v := tags[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

//go:embed samples/*.json
var samples embed.FS

// Samples are the sample events, by name: "bounce-permanent",
// "bounce-transient", "complaint", "delivery-delay".
var Samples = []string{"bounce-permanent", "bounce-transient", "complaint", "delivery-delay"}

// Sample is one of the sample events, shaped as AWS documents them (the
// EventBridge envelope around SES's event record), about the message of an
// incident's step to recipient: what the sample-events generator writes
// to events/, and what the tests post. The event id is made unique per incident, step and
// suffix, so that the same simulated event posted twice is a redelivery.
func Sample(name, incident, step, recipient, suffix string) ([]byte, error) {
	if !slices.Contains(Samples, name) {
		return nil, fmt.Errorf("sesevents: no sample %q (have %v)", name, Samples)
	}
	b, err := samples.ReadFile("samples/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("sesevents: %w", err)
	}
	quote := func(s string) string { q, _ := json.Marshal(s); return string(q[1 : len(q)-1]) }
	r := strings.NewReplacer(`"INCIDENT"`, `"`+quote(incident)+`"`, `"STEP"`, `"`+quote(step)+`"`, `"RECIPIENT"`, `"`+quote(recipient)+`"`,
		`-4b36-a0c8-b2f1e7a5d0`, "-"+quote(incident+"-"+step+"-"+suffix)+"-")
	return []byte(r.Replace(string(b))), nil
}
