// Package ses sends mail through Amazon SES v2 (SendEmail with Simple
// content), so SES builds the MIME message, signs it with DKIM and publishes
// delivery events for the configuration set.
//
// # IAM
//
// The function that sends needs ses:SendEmail on every resource SES
// authorises the call against: the sending identity and the configuration
// set. In template.yaml, under the function's Policies:
//
//	Statement:
//	  - Effect: Allow
//	    Action: ses:SendEmail
//	    Resource:
//	      - !Sub arn:aws:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderDomain}
//	      - !Sub arn:aws:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${ConfigurationSet}
//
// While the account is in the SES sandbox, SES also checks the recipient's
// (verified) identity, so a sandboxed stack needs identity/* instead of the
// single sender identity. No other action is needed: tags, headers and the
// configuration set ride on the one SendEmail call.
//
// # What SES decides for us
//
// SES assigns the Message-ID (and the Date): the v2 API refuses BCC, CC,
// Content-Disposition, Content-Type, Date, From, Message-ID, MIME-Version,
// Reply-To, Return-Path, Subject and To as custom headers. So
// [mail.Message.MessageID] cannot reach the recipient as Message-ID; it is
// sent as X-Aftercare-Message-ID instead (for operators reading a raw
// message), and Send returns SES's own id, which is what bounce, complaint
// and delivery events carry and what a reply's In-Reply-To names (as
// <id@REGION.amazonses.com>). Callers must record that id, not the
// deterministic one.
//
// # Errors
//
// Send's errors wrap mail.ErrPermanent when the same request would fail
// again, and the SDK error otherwise unchanged (errors.As finds
// smithy.APIError and the types.* exceptions). Their Error text has email
// addresses cut out, because SES names refused recipients and callers log
// and store the text; the wrapped SDK error's own message is not redacted.
package ses

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/aftercare/aftercare/shared/mail"
)

// Retry defaults: four attempts (three retries) with jittered exponential
// backoff capped at four seconds, so a send waits about ten seconds at most
// in total, which fits a dispatch Lambda's timeout. SES throttles per second (one
// message a second in the sandbox), so a short wait usually clears it; a
// longer outage is better left to the caller, who records a retryable
// failure and is woken again by the scheduler.
const (
	DefaultMaxAttempts = 4
	DefaultMaxBackoff  = 4 * time.Second
)

// Config tunes the sender. The zero value is usable.
type Config struct {
	// ConfigurationSet names the SES configuration set whose event
	// destinations publish bounces and complaints. Empty sends without one
	// (no events: suppression would then never learn of a bounce).
	ConfigurationSet string

	// MaxAttempts is the total number of SendEmail attempts for transient
	// failures (throttling, 5xx, network errors), including the first.
	// Zero means DefaultMaxAttempts; 1 disables retries.
	MaxAttempts int

	// MaxBackoff caps the delay between attempts. Zero means
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
}

// Sender is the SES v2 implementation of mail.Sender. It is safe for
// concurrent use.
type Sender struct {
	// send is the client's SendEmail. A method value rather than the
	// client: a struct that holds the client makes the linker keep every
	// one of its hundred operations in a binary that also renders
	// templates (their reflection marks every reachable type's methods).
	send      func(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	configSet string
	retryer   aws.Retryer
}

var _ mail.Sender = (*Sender)(nil)

// New returns a Sender that calls SES through client. The retry policy in
// cfg replaces the client's own for SendEmail calls only, so the caller can
// share one client for other operations without inheriting this policy.
func New(client *sesv2.Client, cfg Config) *Sender {
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	backoff := cfg.MaxBackoff
	if backoff <= 0 {
		backoff = DefaultMaxBackoff
	}
	// The standard retryer already classifies SES's TooManyRequestsException
	// and LimitExceededException as throttling and 500/502/503/504 as
	// retryable, and leaves every other 4xx alone: exactly the split we want.
	r := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = backoff
	})
	return &Sender{send: client.SendEmail, configSet: cfg.ConfigurationSet, retryer: r}
}

// Send sends m and returns the SES message id. Failures that no retry can fix
// (a rejected message, an unverified or paused sender, an invalid request,
// or a message this adapter cannot express in SES's API) wrap
// mail.ErrPermanent; anything else is retryable by the caller. Error texts
// never contain email addresses, because callers log and store them.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	in, err := s.input(m)
	if err != nil {
		return "", &sendError{permanent: true, err: err}
	}
	out, err := s.send(ctx, in, func(o *sesv2.Options) {
		o.Retryer = s.retryer
		// Zero keeps the SDK from wrapping our retryer with the client's
		// own attempt count.
		o.RetryMaxAttempts = 0
	})
	if err != nil {
		return "", &sendError{permanent: isPermanent(err), err: err}
	}
	if out.MessageId == nil || *out.MessageId == "" {
		// SES accepted the mail but we cannot correlate its events; a retry
		// would send a duplicate, so do not invite one.
		return "", &sendError{permanent: true, err: errors.New("SES returned no message id")}
	}
	return *out.MessageId, nil
}

// input maps a mail.Message onto SendEmailInput.
func (s *Sender) input(m mail.Message) (*sesv2.SendEmailInput, error) {
	msg, err := simpleMessage(m)
	if err != nil {
		return nil, err
	}
	from, err := formatAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	to, err := formatAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      destination(to),
		Content:          content(msg),
		EmailTags:        emailTags(m.Tags),
	}
	if m.ReplyTo != "" {
		replyTo, err := formatAddressList(m.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("reply-to: %w", err)
		}
		in.ReplyToAddresses = replyTo
	}
	if s.configSet != "" {
		in.ConfigurationSetName = aws.String(s.configSet)
	}
	return in, nil
}
