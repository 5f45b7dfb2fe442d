// Package awswire composes Aftercare's use cases on the AWS adapters for
// one Lambda function: DynamoDB for incidents, EventBridge Scheduler for
// wake-up calls, SES for mail and Parameter Store for secrets. It is the AWS
// twin of infra/local, which composes the same service on embedded
// adapters; the functions in functions/ only call Compose and hand the
// result to lambda.Start.
//
// Each function is composed with only the adapters it uses (see Function),
// so it reads only the settings it needs, and a permission it lacks in
// template.yaml shows up as a clear "not composed" error rather than an
// AccessDenied from deep inside the SDK.
//
// Everything is read once per cold start: the environment (see
// ConfigFromEnv), then one GetParameters call for the function's own
// parameters (see LoadSecrets and Function.Parameters).
package awswire

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"golang.org/x/text/language"

	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/ses"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
)

// Function says what one Lambda function uses. A function without the
// scheduler or the mailer is composed with a stand-in that refuses every
// call, so it needs neither their settings nor their IAM permissions.
type Function struct {
	// Name is the function's directory under functions/ and its name in
	// errors.
	Name string
	// Scheduler: it reconciles plans, creating and deleting schedules.
	Scheduler bool
	// Mailer: it sends email.
	Mailer bool
	// Webhooks: it verifies and ingests webhooks, so it needs their secrets.
	Webhooks bool
	// Notifier: it posts team alerts to the outbound alert webhook, so it
	// needs that webhook's URL and secret. A function without it still
	// learns whether the webhook is configured, because every function
	// must plan the same alert steps (see LoadSecrets).
	Notifier bool
	// Inbound: it reads the emails customers send to reply addresses from
	// the inbound mail bucket (S3), so it needs the reply address.
	Inbound bool
}

// The five functions of template.yaml.
//
// Every use case that changes an incident on a customer's behalf (Answer,
// Reply) reconciles its schedules inline and dispatches urgent alerts at
// once, so that the team hears about a bad answer within seconds and a
// pending reminder is withdrawn before it can go out; the functions that
// run them therefore have the scheduler, the mailer and the notifier.
var (
	// Ingest takes webhooks and reconciles the incident inline, so a
	// schedule usually exists before the webhook is answered.
	Ingest = Function{Name: "ingest", Scheduler: true, Webhooks: true}
	// Respond serves the rating pages. An answer withdraws reminders and a
	// negative one escalates: the alert to the team and the acknowledgement
	// to the customer are sent inline.
	Respond = Function{Name: "respond", Scheduler: true, Mailer: true, Notifier: true}
	// Dispatch sends a due step: a follow-up, a reminder, an alert (email
	// or webhook). It then reconciles inline: a sent survey schedules its
	// reminder, a failed send its retry (the planner, from the stream, is
	// the fallback). Its schedules target dispatch itself, so
	// template.yaml names the function and spells its ARN from that name
	// rather than referring to the function from its own settings.
	Dispatch = Function{Name: "dispatch", Scheduler: true, Mailer: true, Notifier: true}
	// Planner reconciles every changed incident from the table's stream:
	// what finishes the job when ingest died between storing and
	// scheduling.
	Planner = Function{Name: "planner", Scheduler: true}
	// Replies takes the emails customers send to a reply address, which
	// SES stores in the inbound bucket: it records the reply (or the score
	// it carries) and, like Respond, escalates inline.
	Replies = Function{Name: "replies", Scheduler: true, Mailer: true, Notifier: true, Inbound: true}
)

// Functions lists every function, for tests that check the template
// against the code.
var Functions = []Function{Ingest, Respond, Dispatch, Planner, Replies}

// Environment variables. template.yaml sets them; the names follow the
// local runtime's (infra/local) where the setting is the same.
const (
	EnvTable       = "AFTERCARE_TABLE"        // DynamoDB table name
	EnvSecretsPath = "AFTERCARE_SECRETS_PATH" // Parameter Store path of the secrets, e.g. /aftercare/prod
	EnvPublicURL   = "AFTERCARE_PUBLIC_URL"   // base of links in emails, https://…
	EnvFrom        = "AFTERCARE_FROM"         // sender, "care@example.com" or "Name <care@example.com>"
	EnvReplyTo     = "AFTERCARE_REPLY_TO"     // optional Reply-To
	EnvBrandName   = "AFTERCARE_BRAND_NAME"   // optional brand of emails and pages
	EnvBrandLink   = "AFTERCARE_BRAND_LINK"
	EnvBrandLogo   = "AFTERCARE_BRAND_LOGO"
	EnvBrandColor  = "AFTERCARE_BRAND_COLOR"
	// EnvTeamEmail is where alerts about negative answers and replies go,
	// "team@example.com" or "Care team <team@example.com>"; optional (no
	// team email without it). Every function reads it, because whether the
	// team gets email decides which alert steps are planned.
	EnvTeamEmail  = "AFTERCARE_TEAM_EMAIL"
	EnvTeamLocale = "AFTERCARE_TEAM_LOCALE" // language of the team's emails, BCP 47 (default en)
	// EnvReplyAddress is the base mailbox of the signed per-incident reply
	// addresses, e.g. care@reply.example.com: every email then carries
	// Reply-To care+<step>-<token>@reply.example.com, and SES receives the
	// answers for the replies function. Optional for the others (without
	// it, AFTERCARE_REPLY_TO is the Reply-To); required by replies.
	EnvReplyAddress = "AFTERCARE_REPLY_ADDRESS"

	// Only for functions with a scheduler.
	EnvScheduleGroup = "AFTERCARE_SCHEDULE_GROUP" // EventBridge Scheduler group
	// EnvDispatchARN is the dispatch function, target of schedules;
	// template.yaml spells it from the function's fixed name,
	// <stack>-dispatch, because dispatch reads it too.
	EnvDispatchARN      = "AFTERCARE_DISPATCH_ARN"
	EnvSchedulerRoleARN = "AFTERCARE_SCHEDULER_ROLE_ARN" // role Scheduler assumes to invoke it
	EnvScheduleDLQARN   = "AFTERCARE_SCHEDULE_DLQ_ARN"   // SQS queue for undeliverable wake-up calls

	// Only for functions with a mailer.
	EnvSESConfigurationSet = "AFTERCARE_SES_CONFIGURATION_SET"
)

// RequiredEnv lists the variables f cannot start without; the template test
// checks that template.yaml sets each of them for f.
func (f Function) RequiredEnv() []string {
	env := []string{EnvTable, EnvSecretsPath, EnvPublicURL, EnvFrom}
	if f.Scheduler {
		env = append(env, EnvScheduleGroup, EnvDispatchARN, EnvSchedulerRoleARN, EnvScheduleDLQARN)
	}
	if f.Mailer {
		env = append(env, EnvSESConfigurationSet)
	}
	if f.Inbound {
		env = append(env, EnvReplyAddress)
	}
	return env
}

// DefaultTeamLocale is the language of the team's emails when
// AFTERCARE_TEAM_LOCALE is not set.
const DefaultTeamLocale = "en"

// Config is one function's settings, read from the environment.
type Config struct {
	Function    Function
	Table       string
	SecretsPath string
	PublicURL   string
	From        netmail.Address
	ReplyTo     string
	Brand       render.Brand
	// Team receives alerts by email (zero: no team email), written in
	// TeamLocale.
	Team       netmail.Address
	TeamLocale string
	// ReplyAddress is the base mailbox of signed reply addresses; empty
	// means none (then ReplyTo, if any, is the Reply-To).
	ReplyAddress string
	// Schedules is set for functions with a scheduler.
	Schedules eventbridge.Config
	// SES is set for functions with a mailer.
	SES ses.Config
}

// ConfigFromEnv reads f's settings. It reports every missing variable at
// once, by name, so a broken deploy is fixed in one round; see the Env
// constants for what each holds.
func ConfigFromEnv(getenv func(string) string, f Function) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	var missing []string
	for _, k := range f.RequiredEnv() {
		if get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("awswire: %s function: missing environment variable(s) %s (template.yaml sets them)",
			f.Name, strings.Join(missing, ", "))
	}
	c := Config{
		Function:     f,
		Table:        get(EnvTable),
		SecretsPath:  get(EnvSecretsPath),
		PublicURL:    strings.TrimRight(get(EnvPublicURL), "/"),
		ReplyTo:      get(EnvReplyTo),
		TeamLocale:   get(EnvTeamLocale),
		ReplyAddress: get(EnvReplyAddress),
		Brand: render.Brand{
			Name: get(EnvBrandName), Link: get(EnvBrandLink),
			Logo: get(EnvBrandLogo), Color: get(EnvBrandColor),
		},
	}
	var errs []error
	if err := checkPath(c.SecretsPath); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvSecretsPath, err))
	}
	if !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		errs = append(errs, fmt.Errorf("%s %q must start with https://", EnvPublicURL, c.PublicURL))
	}
	from, err := netmail.ParseAddress(get(EnvFrom))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvFrom, err))
	} else {
		if from.Name == "" {
			// A bare address reads as the brand in the customer's inbox.
			from.Name = c.Brand.Name
		}
		c.From = *from
	}
	if c.ReplyTo != "" {
		if _, err := netmail.ParseAddressList(c.ReplyTo); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvReplyTo, err))
		}
	}
	if team := get(EnvTeamEmail); team != "" {
		// The error names the variable, never the address.
		if a, err := netmail.ParseAddress(team); err != nil {
			errs = append(errs, fmt.Errorf("%s is not an email address", EnvTeamEmail))
		} else {
			c.Team = *a
		}
	}
	if c.TeamLocale == "" {
		c.TeamLocale = DefaultTeamLocale
	} else if _, err := language.Parse(c.TeamLocale); err != nil {
		errs = append(errs, fmt.Errorf("%s %q is not a BCP 47 language tag such as en or es-ES", EnvTeamLocale, c.TeamLocale))
	}
	if c.ReplyAddress != "" {
		if err := CheckReplyAddress(c.ReplyAddress); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvReplyAddress, err))
		}
	}
	if f.Scheduler {
		c.Schedules = eventbridge.Config{
			GroupName:     get(EnvScheduleGroup),
			TargetArn:     get(EnvDispatchARN),
			RoleArn:       get(EnvSchedulerRoleARN),
			DeadLetterArn: get(EnvScheduleDLQARN),
		}
		for _, a := range []struct{ env, value, service string }{
			{EnvDispatchARN, c.Schedules.TargetArn, "lambda"},
			{EnvSchedulerRoleARN, c.Schedules.RoleArn, "iam"},
			{EnvScheduleDLQARN, c.Schedules.DeadLetterArn, "sqs"},
		} {
			if err := checkARN(a.value, a.service); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", a.env, err))
			}
		}
	}
	if f.Mailer {
		c.SES = ses.Config{ConfigurationSet: get(EnvSESConfigurationSet)}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("awswire: %s function: %w", f.Name, err)
	}
	return c, nil
}

// CheckReplyAddress reports whether base can be the base mailbox of reply
// addresses (a plain local@domain, without "+", whose name leaves room for
// the tag), before any key is at hand.
func CheckReplyAddress(base string) error {
	_, err := replies.NewAddresses(base, make([]byte, replies.MinKeyLen))
	return err
}

// checkPath accepts a Parameter Store path like /aftercare/prod: it must
// be absolute, because a parameter name with a "/" must start with one (and
// template.yaml spells the ARNs as parameter${SecretsPath}/name), and have
// no trailing slash, because parameter names are path + "/" + name.
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must start with /", p)
	case len(p) > 1 && strings.HasSuffix(p, "/"):
		return fmt.Errorf("%q must not end with /", p)
	case p == "/":
		return fmt.Errorf("%q: use a path of your own, such as /aftercare/prod, not the root", p)
	}
	return nil
}

// checkARN catches a malformed or swapped ARN at start, naming the
// variable, instead of at the first schedule.
func checkARN(value, service string) error {
	a, err := arn.Parse(value)
	if err != nil {
		return fmt.Errorf("%q is not an ARN: %w", value, err)
	}
	if a.Service != service {
		return fmt.Errorf("%q is a %s ARN, want %s", value, a.Service, service)
	}
	return nil
}
