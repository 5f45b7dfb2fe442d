// Package webhook is the notify port's outbound-webhook adapter: every
// alert is POSTed as JSON, signed with Standard Webhooks when a secret is
// set, with a Slack-compatible "text" field, so a Slack incoming-webhook
// URL works as it is and any other endpoint can verify the signature.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Defaults for delivery. Together they bound one Notify to well under 20
// seconds (3 × 5 s plus 0.5 s and 1 s of backoff), so an alert raised inline
// while a customer's rating page loads still fits in API Gateway's 29 s.
const (
	DefaultAttempts = 3
	DefaultBackoff  = 500 * time.Millisecond
	DefaultTimeout  = 5 * time.Second
	// MaxRetryAfter is the longest Retry-After we wait for. A receiver that
	// asks for longer gets no further attempt now: hammering it sooner would
	// be ignored, and waiting longer would hold the caller hostage.
	MaxRetryAfter = 5 * time.Second
)

const userAgent = "Aftercare-Alert/1 (+https://www.standardwebhooks.com)"

// Webhook posts alerts as JSON to one http(s) URL — an operator's own
// endpoint, an automation tool, or a Slack incoming webhook as it is. It is
// safe for concurrent use.
//
// # Body
//
// One JSON object per alert. Fields are only ever added; receivers must
// ignore fields they do not know. Optional fields are omitted when empty.
//
//	{
//	  "type": "aftercare.alert.negative_answer",    // "aftercare.alert." + kind
//	  "timestamp": "2026-11-21T09:14:03Z",          // RFC 3339, when it happened
//	  "data": {
//	    "kind": "negative_answer",                  // negative_answer | reply | recovered | …
//	    "incident": {
//	      "id": "inc_…", "provider": "aftercare", "ref": "BK-1042",
//	      "kind": "booking", "title": "Sunset sailing", "status": "completed",
//	      "timeline_url": "https://…/incidents/inc_…"
//	    },
//	    "step": "thanks",                           // the follow-up step answered
//	    "customer": {"name": "María Pérez"},        // "email" only WithCustomerEmail
//	    "answer": {"survey": "csat", "score": 2, "min": 1, "max": 5,
//	               "comment": "…"},                // absent when no survey answer
//	    "reply": "…"                                // the customer's email reply, if any
//	  },
//	  "text": ":warning: *Negative answer* from María Pérez — CSAT 2/5 · booking BK-1042 “Sunset sailing” · <https://…|Open timeline>\n> …"
//	}
//
// "text" is a Slack mrkdwn summary (one line, plus a quoted second line with
// the customer's words), so the URL of a Slack incoming webhook works with
// no glue; Mattermost and Rocket.Chat read the same field. Customer text in
// it is escaped (&, <, >), so a comment cannot mention @channel or forge a
// link, and it never holds an email address. Comment and reply are cut to
// 16 KiB in data and 280 characters in text; the timeline has them whole.
//
// # Headers
//
// Standard Webhooks (https://www.standardwebhooks.com): webhook-id,
// webhook-timestamp (unix seconds of this attempt) and, when a secret is
// configured, webhook-signature "v1,<base64 HMAC-SHA256>", so any Standard
// Webhooks library verifies it. webhook-id derives from the alert (kind,
// incident, step, answer, reply), so every retry of one alert — ours, or the
// caller raising it again — carries the same id and a receiver can
// deduplicate.
//
// The secret is optional. Slack and most chat tools cannot check a
// signature, and for them the unguessable URL is the credential; an
// endpoint of your own should be given a whsec_ secret and verify every
// delivery, because without one anybody who learns the URL can post fake
// alerts. Without a secret the delivery has no webhook-signature header.
//
// # Delivery
//
// Each attempt has a timeout (DefaultTimeout). Network errors, timeouts,
// 408, 429 and 5xx are retried up to DefaultAttempts in all, waiting
// DefaultBackoff and doubling, or the receiver's Retry-After up to
// MaxRetryAfter. Any other status outside 2xx, redirects included, is an
// error wrapping notify.ErrPermanent: the receiver refused this alert and will
// refuse it again. Errors name the URL's scheme and host only, because the
// path of a chat webhook URL is its secret token.
type Webhook struct {
	url       string
	display   string
	secret    string
	client    *http.Client
	attempts  int
	backoff   time.Duration
	timeout   time.Duration
	withEmail bool
}

var _ notify.Notifier = (*Webhook)(nil)

// Option adjusts a Webhook at construction.
type Option func(*Webhook) error

// WithCustomerEmail opts in to sending the customer's email address as
// data.customer.email, for an endpoint inside the operator's own systems (a
// CRM that links the alert to a contact). Leave it off for chat tools and
// third parties; see Alert.CustomerEmail for why it is off by default.
func WithCustomerEmail() Option {
	return func(w *Webhook) error { w.withEmail = true; return nil }
}

// WithRetry sets how many attempts a delivery gets in all (at least 1) and
// the wait before the second, which doubles for each further attempt.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(w *Webhook) error {
		if attempts < 1 || attempts > 10 {
			return fmt.Errorf("attempts %d: want 1 to 10", attempts)
		}
		if backoff < 0 {
			return fmt.Errorf("backoff %s is negative", backoff)
		}
		w.attempts, w.backoff = attempts, backoff
		return nil
	}
}

// WithTimeout bounds each attempt, from connecting to reading the answer.
// It applies on top of any Timeout of the http.Client.
func WithTimeout(d time.Duration) Option {
	return func(w *Webhook) error {
		if d <= 0 {
			return fmt.Errorf("timeout %s must be positive", d)
		}
		w.timeout = d
		return nil
	}
}

// New returns a webhook notifier posting to rawURL, which must be an
// absolute http or https URL. secret is a Standard Webhooks "whsec_" secret,
// or empty to send unsigned (see Webhook for when that is acceptable); a
// malformed secret is an error now rather than a receiver rejecting every
// alert later. client may be nil: the default client does not follow
// redirects, because following a 301/302 turns the POST into a GET that
// silently drops the alert — a moved endpoint should be reconfigured.
func New(rawURL, secret string, client *http.Client, opts ...Option) (*Webhook, error) {
	u, err := notify.HTTPURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("notify: webhook url: %w", err)
	}
	if secret != "" {
		// NewVerifier parses the secret exactly as Sign will.
		if _, err := stdwebhooks.NewVerifier(secret); err != nil {
			return nil, fmt.Errorf("notify: webhook secret: %w", err)
		}
	}
	if client == nil {
		client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	w := &Webhook{
		url:      u.String(),
		display:  displayURL(u),
		secret:   secret,
		client:   client,
		attempts: DefaultAttempts,
		backoff:  DefaultBackoff,
		timeout:  DefaultTimeout,
	}
	for _, opt := range opts {
		if err := opt(w); err != nil {
			return nil, fmt.Errorf("notify: webhook %s: %w", w.display, err)
		}
	}
	return w, nil
}

// String names the webhook without its secret path, for logs.
func (w *Webhook) String() string { return "webhook " + w.display }

// Signed reports whether deliveries carry a webhook-signature, so that the
// runtime can warn about an unsigned endpoint at start-up.
func (w *Webhook) Signed() bool { return w.secret != "" }

// Notify posts the alert, retrying passing failures (see Webhook). It
// returns nil once the receiver answered 2xx; an error wrapping notify.ErrPermanent
// if the alert is invalid or refused; the context's error, wrapped, if ctx
// ends first; otherwise the last attempt's error.
func (w *Webhook) Notify(ctx context.Context, a notify.Alert) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("notify: %s: %w", w, err)
	}
	body, err := encode(a, w.withEmail)
	if err != nil {
		return fmt.Errorf("notify: %s: %w: %w", w, err, notify.ErrPermanent)
	}
	id := deliveryID(a)
	fail := func(attempt int, err error) error {
		return fmt.Errorf("notify: %s: alert %s, attempt %d of %d: %w", w, id, attempt, w.attempts, err)
	}
	delay := w.backoff
	for attempt := 1; ; attempt++ {
		retryAfter, err := w.post(ctx, id, body)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, notify.ErrPermanent):
			return fail(attempt, err)
		case ctx.Err() != nil:
			if !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (last attempt: %w)", context.Cause(ctx), err)
			}
			return fail(attempt, err)
		case attempt == w.attempts:
			return fail(attempt, fmt.Errorf("giving up: %w", err))
		}
		wait := delay
		delay *= 2
		if retryAfter > wait {
			if retryAfter > MaxRetryAfter {
				return fail(attempt, fmt.Errorf("giving up: receiver asks to retry after %s, more than %s: %w", retryAfter, MaxRetryAfter, err))
			}
			wait = retryAfter
		}
		// Waiting past the caller's deadline would only end in its error;
		// the receiver's answer is the more useful one to report.
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return fail(attempt, fmt.Errorf("giving up: the context ends before the next attempt: %w", err))
		}
		if cause := sleep(ctx, wait); cause != nil {
			return fail(attempt, fmt.Errorf("%w while waiting to retry (last attempt: %w)", cause, err))
		}
	}
}

// post makes one attempt. It returns the receiver's Retry-After, if any, so
// that the loop can honour it.
func (w *Webhook) post(ctx context.Context, id string, body []byte) (time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w: %w", stripURL(err), notify.ErrPermanent)
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(stdwebhooks.HeaderID, id)
	req.Header.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	if w.secret != "" {
		sig, err := stdwebhooks.Sign(w.secret, id, now, body)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", err, notify.ErrPermanent)
		}
		req.Header.Set(stdwebhooks.HeaderSignature, sig)
	}

	resp, err := w.client.Do(req)
	if err != nil {
		err = stripURL(err)
		if ctx.Err() == nil && actx.Err() != nil {
			err = fmt.Errorf("no answer within %s: %w", w.timeout, err)
		}
		// A certificate the client does not trust will not become trusted
		// by the next attempt.
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			return 0, fmt.Errorf("%w: %w", err, notify.ErrPermanent)
		}
		return 0, err
	}
	defer resp.Body.Close()
	// The answer's start is for the error message only; failing to read
	// it changes nothing about what the status says.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	// Drain a little more so the connection can be reused; a receiver
	// that sends more than this for an alert is not worth waiting for.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return 0, nil
	}
	serr := &StatusError{StatusCode: code, Body: cleanSnippet(snippet)}
	if code >= 300 && code < 400 {
		serr.Location = redirectHost(resp.Header.Get("Location"), req.URL)
	}
	if code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500 && code < 600 {
		return retryAfter(resp.Header.Get("Retry-After"), now), serr
	}
	return 0, fmt.Errorf("%w: %w", serr, notify.ErrPermanent)
}

// StatusError is a receiver's answer outside 2xx. Body is the start of what
// it said (Slack answers "invalid_payload", "no_service", …), on one line,
// with anything resembling an email address redacted in case the receiver
// echoes the alert back into our logs.
type StatusError struct {
	StatusCode int
	Body       string
	// Location is the scheme and host a redirect pointed to.
	Location string
}

func (e *StatusError) Error() string {
	msg := "receiver answered " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		msg += " " + t
	}
	if e.Location != "" {
		msg += " to " + e.Location + " (update the webhook URL)"
	}
	if e.Body != "" {
		msg += ": " + strconv.Quote(e.Body)
	}
	return msg
}

func cleanSnippet(b []byte) string {
	return mail.Redact(oneLine(string(bytes.ToValidUTF8(b, []byte("?"))), 200))
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			return 24 * time.Hour
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// displayURL keeps scheme and host: the path and query of a chat webhook
// URL are its credential, and userinfo is a password.
func displayURL(u *url.URL) string {
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

func redirectHost(loc string, base *url.URL) string {
	if loc == "" {
		return ""
	}
	u, err := base.Parse(loc)
	if err != nil {
		return "an unparsable location"
	}
	return displayURL(u)
}

// stripURL removes the *url.Error layer that net/http adds, because its
// message repeats the full URL, secret path included. The cause, and what
// errors.Is finds in it, are kept.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", strings.ToUpper(ue.Op), ue.Err)
	}
	return err
}
