package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/notify"
)

// TypePrefix starts every payload's type; the alert's Kind follows it.
const TypePrefix = "aftercare.alert."

// The wire format. Field names are part of the public interface: fields may
// be added, never renamed or removed, and receivers must ignore unknown ones.
type payload struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      data   `json:"data"`
	Text      string `json:"text"`
}

type data struct {
	Kind     notify.Kind  `json:"kind"`
	Incident incidentData `json:"incident"`
	Step     string       `json:"step,omitempty"`
	Customer customerData `json:"customer"`
	Answer   *answerData  `json:"answer,omitempty"`
	Reply    string       `json:"reply,omitempty"`
}

type incidentData struct {
	ID          string        `json:"id"`
	Provider    string        `json:"provider,omitempty"`
	Ref         string        `json:"ref,omitempty"`
	Kind        domain.Kind   `json:"kind,omitempty"`
	Title       string        `json:"title,omitempty"`
	Status      domain.Status `json:"status,omitempty"`
	TimelineURL string        `json:"timeline_url,omitempty"`
}

type customerData struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// answerData carries the scale with the score, so that a receiver can judge
// "2" without knowing that CSAT runs 1–5 and NPS 0–10.
type answerData struct {
	Survey  domain.SurveyKind `json:"survey"`
	Score   int               `json:"score"`
	Min     int               `json:"min"`
	Max     int               `json:"max"`
	Comment string            `json:"comment,omitempty"`
}

// maxDataText bounds the comment and reply copied into the payload. A
// forwarded email thread can be megabytes; the team needs the gist, and the
// whole text stays on the timeline. Receivers such as Slack refuse large
// bodies outright, which would lose the alert altogether.
const maxDataText = 16 << 10

// maxQuote bounds the customer's words quoted in the Slack text, so that the
// alert stays a two-line summary in a busy channel.
const maxQuote = 280

// encode builds the JSON body for a validated alert. withEmail is the
// channel's opt-in for the customer's address.
func encode(a notify.Alert, withEmail bool) ([]byte, error) {
	a = cleaned(a)
	p := payload{
		Type:      TypePrefix + string(a.Kind),
		Timestamp: a.At.UTC().Format(time.RFC3339Nano),
		Data: data{
			Kind: a.Kind,
			Incident: incidentData{
				ID: a.IncidentID, Provider: a.Provider, Ref: a.Ref, Kind: a.IncidentKind,
				Title: a.Title, Status: a.Status, TimelineURL: a.TimelineURL,
			},
			Step:     a.Step,
			Customer: customerData{Name: a.CustomerName},
			Reply:    truncate(a.Reply, maxDataText),
		},
		Text: slackText(a),
	}
	if withEmail {
		p.Data.Customer.Email = a.CustomerEmail
	}
	if a.Survey != domain.SurveyNone {
		lo, hi := a.Survey.Range()
		p.Data.Answer = &answerData{Survey: a.Survey, Score: a.Score, Min: lo, Max: hi, Comment: truncate(a.Comment, maxDataText)}
	}
	// Without HTML escaping, the Slack link reads "<https://…|…>" rather
	// than "\u003chttps://…" in a request log; JSON decoders see no
	// difference, and the body is never embedded in a web page.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode alert: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// cleaned applies domain.CleanText to every string of a that a customer or
// a booking system wrote, for the Slack text and the JSON alike: a name
// with a right-to-left override would otherwise show in the team's channel
// as somebody else's, and control characters would reach whatever reads
// the JSON. Line breaks and tabs stay.
func cleaned(a notify.Alert) notify.Alert {
	for _, s := range []*string{&a.CustomerName, &a.CustomerEmail, &a.Title, &a.Ref, &a.Comment, &a.Reply} {
		*s = domain.CleanText(*s)
	}
	return a
}

// deliveryID derives the webhook-id from what the alert is about — kind,
// incident, step, answer, comment, reply — so that the same alert sent
// twice (our retry, or the caller re-raising it after a crash) carries the
// same id and a receiver can drop the duplicate. It leaves out At and the
// presentation fields (title, status, name, link), which a re-raised alert
// may fill differently without being a different alert. A customer who goes
// back to a score already alerted about therefore raises no second alert at
// a deduplicating receiver, which is the intent: nothing new happened.
func deliveryID(a notify.Alert) string {
	h := sha256.New()
	for _, part := range []string{
		"aftercare-alert-v1", string(a.Kind), a.IncidentID, a.Step,
		string(a.Survey), strconv.Itoa(a.Score), a.Comment, a.Reply,
	} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	// 20 bytes: collision-free in practice, and short enough for logs. The
	// alphabet has no full stop, which Standard Webhooks forbids in ids.
	return "msg_" + strings.ToLower(idEncoding.EncodeToString(sum[:20]))
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// slackText renders the one- or two-line summary in Slack mrkdwn. Every
// string that a customer or a booking system wrote is escaped, so that a
// comment cannot ping the channel ("<!channel>"), fake a link or break the
// formatting; the customer's email address is never included.
func slackText(a notify.Alert) string {
	var b strings.Builder
	icon, headline := ":bell:", "Alert: "+string(a.Kind)
	switch a.Kind {
	case notify.KindNegativeAnswer:
		icon, headline = ":warning:", "Negative answer"
	case notify.KindReply:
		icon, headline = ":speech_balloon:", "Customer replied"
	case notify.KindRecovered:
		icon, headline = ":white_check_mark:", "Recovered"
	case notify.KindNotRecovered:
		icon, headline = ":warning:", "Still not resolved"
	case notify.KindUpdated:
		icon, headline = ":pencil2:", "Answer changed"
	case notify.KindImproved:
		icon, headline = ":arrow_up:", "Score raised"
	case notify.KindOtherSender:
		icon, headline = ":grey_question:", "Message from someone other than the customer"
	}
	who := "a customer"
	if a.CustomerName != "" {
		who = slackEscape(oneLine(a.CustomerName, 100))
	}
	if a.Kind == notify.KindOtherSender {
		// Their words are not the customer's: never put the customer's
		// name on them.
		fmt.Fprintf(&b, "%s *%s* about %s's", icon, headline, who)
	} else {
		fmt.Fprintf(&b, "%s *%s* from %s", icon, headline, who)
	}
	if a.Survey != domain.SurveyNone {
		_, hi := a.Survey.Range()
		fmt.Fprintf(&b, " — %s %d/%d", strings.ToUpper(string(a.Survey)), a.Score, hi)
	}
	subject := string(a.IncidentKind)
	if subject == "" {
		subject = "incident"
	}
	ref := a.Ref
	if ref == "" {
		ref = a.IncidentID
	}
	fmt.Fprintf(&b, " · %s %s", subject, slackEscape(oneLine(ref, 100)))
	if a.Title != "" {
		fmt.Fprintf(&b, " “%s”", slackEscape(oneLine(a.Title, 100)))
	}
	if a.Changes > 0 {
		fmt.Fprintf(&b, " · %d changes since the last alert", a.Changes)
	}
	if a.TimelineURL != "" {
		fmt.Fprintf(&b, " · <%s|Open timeline>", slackLinkURL(a.TimelineURL))
	}
	quote := a.Comment
	if a.Kind == notify.KindReply || a.Kind == notify.KindOtherSender || quote == "" {
		quote = a.Reply
	}
	if q := oneLine(quote, maxQuote); q != "" {
		b.WriteString("\n> ")
		b.WriteString(slackEscape(q))
	}
	return b.String()
}

// slackEscape applies Slack's mrkdwn escaping: &, < and > are the control
// characters that start entities, links and mentions; nothing else needs
// escaping, and escaping more would show up literally in the channel.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// slackLinkURL makes a URL safe inside <url|label>: a "|" would end the URL
// early and a ">" would end the link, so both are percent-encoded (as is
// "<"), and & becomes &amp; as Slack expects inside messages.
var slackLinkURL = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace

// oneLine collapses whitespace (newlines included) to single spaces and
// cuts the result to at most max runes, marking a cut with an ellipsis.
func oneLine(s string, max int) string {
	return truncateRunes(strings.Join(strings.Fields(s), " "), max)
}

func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + "…"
}

// truncate cuts s to at most max bytes on a rune boundary, marking a cut
// with an ellipsis.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
