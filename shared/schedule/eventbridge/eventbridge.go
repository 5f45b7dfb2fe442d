// Package eventbridge is the production schedule.Scheduler: every wake-up
// call is a one-time Amazon EventBridge Scheduler schedule that invokes the
// dispatch Lambda with the schedule's Fire as its input, then deletes
// itself. EventBridge Scheduler was chosen over DynamoDB TTL sweeps or cron
// polling because it fires within the scheduled minute, scales to millions
// of pending schedules and costs a dollar per million invocations.
//
// # Request shape
//
// Create sends CreateSchedule (POST /schedules/{Name}) with
//
//	GroupName                   Config.GroupName
//	ScheduleExpression          at(yyyy-mm-ddThh:mm:ss), Schedule.At rounded up
//	                            to the minute, as a wall clock in the zone below
//	ScheduleExpressionTimezone  Schedule.TimeZone, or UTC (see Create)
//	FlexibleTimeWindow.Mode     OFF
//	ActionAfterCompletion       DELETE
//	State                       ENABLED
//	Target.Arn                  Config.TargetArn
//	Target.RoleArn              Config.RoleArn
//	Target.Input                JSON of Schedule.Fire()
//	Target.RetryPolicy          Config.MaximumRetryAttempts, MaximumEventAgeInSeconds
//	Target.DeadLetterConfig.Arn Config.DeadLetterArn
//	ClientToken                 hex SHA-256 of the group, name and request content
//	Description                 incident id, step and due time: nothing personal
//
// Delete sends DeleteSchedule (DELETE /schedules/{Name}?groupName=...).
//
// # IAM
//
// The function that calls Create and Delete (whatever reconciles plans)
// needs, as SAM policy statements:
//
//	Statement:
//	  - Effect: Allow
//	    Action: [scheduler:CreateSchedule, scheduler:DeleteSchedule]
//	    Resource: !Sub arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/<GroupName>/*
//	  - Effect: Allow
//	    Action: iam:PassRole
//	    Resource: <RoleArn>
//	    Condition: {StringEquals: {iam:PassedToService: scheduler.amazonaws.com}}
//
// The execution role (RoleArn) is assumed by EventBridge Scheduler, so it
// trusts the service principal scheduler.amazonaws.com (ideally with an
// aws:SourceAccount condition) and allows:
//
//   - lambda:InvokeFunction on <TargetArn> (and <TargetArn>:* if a
//     qualified alias or version is targeted)
//   - sqs:SendMessage on <DeadLetterArn> (Scheduler writes undeliverable
//     wake-up calls to the dead-letter queue with this role; add
//     kms:GenerateDataKey and kms:Decrypt if the queue uses a customer key)
//
// The schedule group itself (AWS::Scheduler::ScheduleGroup) belongs in the
// template; this package never creates it.
//
// # What retries what
//
// EventBridge Scheduler invokes Lambda asynchronously, so the target retry
// policy covers only handing the event to Lambda (throttling, service
// errors). Errors returned by the dispatch function itself are retried by
// Lambda's asynchronous invocation settings (up to two retries by default)
// and need the function's own on-failure destination to be kept.
package eventbridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
)

var _ schedule.Scheduler = (*Scheduler)(nil)

// Defaults for the zero values of Config. Each says why it was chosen.
const (
	// DefaultMaximumRetryAttempts: Scheduler retries only the hand-over to
	// Lambda's asynchronous queue, which fails rarely and briefly; five
	// retries with Scheduler's exponential backoff ride out such a blip,
	// and anything longer is an outage better left in the dead-letter queue
	// for an operator to redrive than retried blindly.
	DefaultMaximumRetryAttempts int32 = 5
	// DefaultMaximumEventAgeInSeconds: a follow-up more than an hour late
	// has lost its moment (and may land in the customer's quiet hours), so
	// after an hour the event goes to the dead-letter queue instead. The
	// service default is a day.
	DefaultMaximumEventAgeInSeconds int32 = 3600
	// DefaultMaxAttempts is for our own CreateSchedule/DeleteSchedule calls,
	// first attempt included. Both calls are idempotent, so retrying is
	// always safe; five attempts (the SDK's default is three) absorb a
	// throttling burst without failing a whole reconcile, yet a persistent
	// failure still surfaces within about fifteen seconds, well inside a
	// Lambda timeout, so the caller's own retry (stream or webhook) takes
	// over.
	DefaultMaxAttempts = 5
	// DefaultMaxBackoff caps the jittered exponential delay between those
	// attempts (the SDK's default is 20 s, too long inside a Lambda).
	DefaultMaxBackoff = 5 * time.Second
)

// Limits of the EventBridge Scheduler API, checked before any request so a
// bad value fails fast with a clear message instead of a ValidationException.
const (
	maxNameLen       = 64
	maxRetryAttempts = 185
	minEventAge      = 60
	maxEventAge      = 86400
	maxTimeZoneLen   = 50
	atLayout         = "2006-01-02T15:04:05"
)

// ErrInvalidName is returned, before any request is sent, for a schedule or
// group name EventBridge Scheduler would reject: names are 1–64 characters
// of [0-9a-zA-Z-_.].
var ErrInvalidName = errors.New("invalid EventBridge Scheduler name")

// Config says where wake-up calls live and what they invoke. GroupName,
// TargetArn, RoleArn and DeadLetterArn are required; the rest have defaults.
type Config struct {
	// GroupName is the schedule group, created by the template. A dedicated
	// group lets IAM scope the caller to schedule/<group>/* and lets an
	// operator list or purge Aftercare's schedules alone.
	GroupName string
	// TargetArn is the dispatch Lambda function (or any target that takes
	// the Fire JSON as its input).
	TargetArn string
	// RoleArn is the execution role EventBridge Scheduler assumes to invoke
	// the target and write to the dead-letter queue.
	RoleArn string
	// DeadLetterArn is the SQS queue for wake-up calls that could not be
	// delivered. Required: a lost wake-up call is a follow-up silently
	// never sent, and the queue keeps the Fire so it can be redriven.
	DeadLetterArn string
	// MaximumRetryAttempts is the target retry policy's retry count, 1–185;
	// zero selects DefaultMaximumRetryAttempts.
	MaximumRetryAttempts int32
	// MaximumEventAgeInSeconds bounds how long Scheduler keeps retrying,
	// 60–86400; zero selects DefaultMaximumEventAgeInSeconds.
	MaximumEventAgeInSeconds int32
	// MaxAttempts bounds the attempts of each CreateSchedule and
	// DeleteSchedule call, first included; zero selects DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the delay between those attempts; zero selects
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
}

// Scheduler creates and deletes one-time EventBridge Scheduler schedules.
// It is safe for concurrent use.
type Scheduler struct {
	// create and delete are the client's methods, held as method values
	// for the reason ses.Sender gives: the client itself would make the
	// linker keep all of its operations.
	create  func(context.Context, *scheduler.CreateScheduleInput, ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error)
	delete  func(context.Context, *scheduler.DeleteScheduleInput, ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error)
	cfg     Config
	retryer aws.Retryer
}

// New validates cfg, fills in its defaults and returns a Scheduler that
// calls EventBridge Scheduler through client.
//
// The adapter owns the retry policy of its calls: it overrides the client's
// retryer per operation (without changing the client) with a standard
// retryer of cfg.MaxAttempts attempts, shared by all calls so its retry
// token bucket acts as a circuit breaker when the service is struggling.
// The standard retryer retries throttling (ThrottlingException, HTTP 429),
// 5xx and connection errors, and never a ValidationException, a conflict or
// a missing resource.
func New(client *scheduler.Client, cfg Config) (*Scheduler, error) {
	if client == nil {
		return nil, errors.New("eventbridge: nil scheduler client")
	}
	if err := validName(cfg.GroupName); err != nil {
		return nil, fmt.Errorf("eventbridge: group name: %w", err)
	}
	if err := checkARN("TargetArn", cfg.TargetArn, ""); err != nil {
		return nil, err
	}
	if err := checkARN("RoleArn", cfg.RoleArn, "iam"); err != nil {
		return nil, err
	}
	if err := checkARN("DeadLetterArn", cfg.DeadLetterArn, "sqs"); err != nil {
		return nil, err
	}
	switch r := cfg.MaximumRetryAttempts; {
	case r == 0:
		cfg.MaximumRetryAttempts = DefaultMaximumRetryAttempts
	case r < 0 || r > maxRetryAttempts:
		return nil, fmt.Errorf("eventbridge: MaximumRetryAttempts %d is outside 1–%d", r, maxRetryAttempts)
	}
	switch a := cfg.MaximumEventAgeInSeconds; {
	case a == 0:
		cfg.MaximumEventAgeInSeconds = DefaultMaximumEventAgeInSeconds
	case a < minEventAge || a > maxEventAge:
		return nil, fmt.Errorf("eventbridge: MaximumEventAgeInSeconds %d is outside %d–%d", a, minEventAge, maxEventAge)
	}
	switch {
	case cfg.MaxAttempts == 0:
		cfg.MaxAttempts = DefaultMaxAttempts
	case cfg.MaxAttempts < 0:
		return nil, fmt.Errorf("eventbridge: MaxAttempts %d is negative", cfg.MaxAttempts)
	}
	switch {
	case cfg.MaxBackoff == 0:
		cfg.MaxBackoff = DefaultMaxBackoff
	case cfg.MaxBackoff < 0:
		return nil, fmt.Errorf("eventbridge: MaxBackoff %s is negative", cfg.MaxBackoff)
	}
	r := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = cfg.MaxAttempts
		o.MaxBackoff = cfg.MaxBackoff
	})
	return &Scheduler{create: client.CreateSchedule, delete: client.DeleteSchedule, cfg: cfg, retryer: r}, nil
}

// NewCanceller returns a Scheduler that only deletes schedules in group
// (Create fails): what erasing a person from the admin command needs,
// which has no dispatch target to schedule for.
func NewCanceller(client *scheduler.Client, group string) (*Scheduler, error) {
	if client == nil {
		return nil, errors.New("eventbridge: nil scheduler client")
	}
	if err := validName(group); err != nil {
		return nil, fmt.Errorf("eventbridge: group name: %w", err)
	}
	r := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts, o.MaxBackoff = DefaultMaxAttempts, DefaultMaxBackoff
	})
	return &Scheduler{delete: client.DeleteSchedule, cfg: Config{GroupName: group}, retryer: r}, nil
}

// Create schedules a one-time wake-up call. Creating a name that already
// exists succeeds (ConflictException is the expected answer to a repeated
// reconcile), so callers need no lookup first.
//
// Time: Scheduler fires with one-minute precision, anywhere in the minute
// of its at() expression, so s.At is rounded up to the next whole minute
// and the expression always ends in :00. Rounding up, never down, means a
// wake-up call never fires before At; it fires at most two minutes after.
// An at() in the past is rejected by the service, so At must be in the
// future (Reconcile keeps a minute of slack).
//
// Zone: the expression is s.At's wall clock in s.TimeZone, with
// ScheduleExpressionTimezone set to it, so an operator reading the schedule
// sees the customer's local time. The instant is the same in any zone, so
// whenever the local form could be misread the UTC form is sent instead:
// for an empty, unknown or "Local" zone, and for a wall clock that occurs
// twice because clocks go back (the repeated hour of a daylight-saving
// change), where the service's choice between the two is not documented.
func (s *Scheduler) Create(ctx context.Context, sc schedule.Schedule) error {
	if s.create == nil {
		return fmt.Errorf("eventbridge: create schedule %s: this scheduler only cancels (NewCanceller)", sc.Name)
	}
	if err := validName(sc.Name); err != nil {
		return fmt.Errorf("eventbridge: create schedule: %w", err)
	}
	if sc.IncidentID == "" || sc.Step == "" {
		return fmt.Errorf("eventbridge: create schedule %s: incident id and step are required", sc.Name)
	}
	if sc.At.IsZero() {
		return fmt.Errorf("eventbridge: create schedule %s: no fire time", sc.Name)
	}
	input, err := json.Marshal(sc.Fire())
	if err != nil {
		return fmt.Errorf("eventbridge: create schedule %s: encode input: %w", sc.Name, err)
	}
	expr, zone := atExpression(sc.At, sc.TimeZone)
	in := &scheduler.CreateScheduleInput{
		Name:                       aws.String(sc.Name),
		GroupName:                  aws.String(s.cfg.GroupName),
		ScheduleExpression:         aws.String(expr),
		ScheduleExpressionTimezone: aws.String(zone),
		FlexibleTimeWindow:         &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		ActionAfterCompletion:      types.ActionAfterCompletionDelete,
		State:                      types.ScheduleStateEnabled,
		Description:                aws.String(description(sc)),
		Target: &types.Target{
			Arn:     aws.String(s.cfg.TargetArn),
			RoleArn: aws.String(s.cfg.RoleArn),
			Input:   aws.String(string(input)),
			RetryPolicy: &types.RetryPolicy{
				MaximumRetryAttempts:     aws.Int32(s.cfg.MaximumRetryAttempts),
				MaximumEventAgeInSeconds: aws.Int32(s.cfg.MaximumEventAgeInSeconds),
			},
			DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(s.cfg.DeadLetterArn)},
		},
	}
	in.ClientToken = aws.String(clientToken(s.cfg.GroupName, sc.Name, expr, zone, s.cfg.TargetArn, string(input)))

	_, err = s.create(ctx, in, s.operation)
	var conflict *types.ConflictException
	if err == nil || errors.As(err, &conflict) {
		return nil
	}
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return fmt.Errorf("eventbridge: create schedule %s: schedule group %s does not exist (deploy the template): %w",
			sc.Name, s.cfg.GroupName, err)
	}
	return fmt.Errorf("eventbridge: create schedule %s in group %s at %s %s: %w", sc.Name, s.cfg.GroupName, expr, zone, err)
}

// Delete removes a pending wake-up call. Deleting a missing one succeeds:
// it has fired and deleted itself, or was never created.
func (s *Scheduler) Delete(ctx context.Context, name string) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("eventbridge: delete schedule: %w", err)
	}
	_, err := s.delete(ctx, &scheduler.DeleteScheduleInput{
		Name:      aws.String(name),
		GroupName: aws.String(s.cfg.GroupName),
	}, s.operation)
	var notFound *types.ResourceNotFoundException
	if err == nil || errors.As(err, &notFound) {
		return nil
	}
	return fmt.Errorf("eventbridge: delete schedule %s in group %s: %w", name, s.cfg.GroupName, err)
}

// operation applies the adapter's retry policy to one call.
func (s *Scheduler) operation(o *scheduler.Options) { o.Retryer = s.retryer }

// atExpression renders the fire time as an at() expression and the zone it
// is read in; see Create for the rules.
func atExpression(at time.Time, zoneName string) (expr, zone string) {
	at = at.UTC()
	if r := at.Truncate(time.Minute); r.Before(at) {
		at = r.Add(time.Minute)
	}
	loc := location(zoneName)
	if loc == nil || ambiguous(at, loc) {
		return "at(" + at.Format(atLayout) + ")", "UTC"
	}
	return "at(" + at.In(loc).Format(atLayout) + ")", zoneName
}

// location loads an IANA zone (domain.LoadZone: cached, as every write
// creates schedules), or returns nil where the UTC form must be
// used instead.
func location(name string) *time.Location {
	if name == "" || name == "Local" || len(name) > maxTimeZoneLen {
		return nil
	}
	loc, err := domain.LoadZone(name)
	if err != nil {
		return nil
	}
	return loc
}

// ambiguous reports whether t's wall clock in loc also names another
// instant, as in the hour repeated when clocks go back. The other instant
// would carry the offset in force shortly before or after t.
func ambiguous(t time.Time, loc *time.Location) bool {
	l := t.In(loc)
	_, off := l.Zone()
	wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
	for _, probe := range []time.Time{t.Add(-24 * time.Hour), t.Add(24 * time.Hour)} {
		_, other := probe.In(loc).Zone()
		if other == off {
			continue
		}
		u := wall.Add(-time.Duration(other) * time.Second)
		if _, got := u.In(loc).Zone(); got == other {
			return true
		}
	}
	return false
}

// clientToken makes CreateSchedule idempotent across retries of the same
// request, including a retry by a later invocation after a lost response.
// It covers the request's content, not just the name: a name can be
// created again after its schedule fired (a failed step re-planned with the
// same due time, at a new fire time), and a token of the name alone could
// make the service treat that new request as a replay of the old one.
func clientToken(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)) // 64 of [0-9a-f]: the token's maximum
}

// description tells an operator browsing the console what a schedule is
// for. It repeats only what the name already carries, the incident id (a
// hash of the provider and reference, never customer data), the step key
// and the due time, each cleaned to name characters so no address or other
// free text can slip in.
func description(sc schedule.Schedule) string {
	d := fmt.Sprintf("Aftercare wake-up call: incident %s, step %s", clean(sc.IncidentID), clean(sc.Step))
	if !sc.Due.IsZero() {
		d += ", due " + sc.Due.UTC().Format(time.RFC3339)
	}
	return d // under 200 bytes, well within the service's 512
}

func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if nameRune(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > maxNameLen {
		s = s[:maxNameLen]
	}
	return s
}

func validName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%w %q: want 1–%d characters", ErrInvalidName, name, maxNameLen)
	}
	for _, r := range name {
		if !nameRune(r) {
			return fmt.Errorf("%w %q: %q is not one of [0-9a-zA-Z-_.]", ErrInvalidName, name, r)
		}
	}
	return nil
}

func nameRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.'
}

// checkARN fails fast on a missing or malformed ARN, or one of the wrong
// service (a swapped environment variable), instead of at the first
// schedule.
func checkARN(field, value, service string) error {
	if value == "" {
		return fmt.Errorf("eventbridge: %s is required", field)
	}
	a, err := arn.Parse(value)
	if err != nil {
		return fmt.Errorf("eventbridge: %s %q: %w", field, value, err)
	}
	if service != "" && a.Service != service {
		return fmt.Errorf("eventbridge: %s %q is a %s ARN, want %s", field, value, a.Service, service)
	}
	return nil
}
