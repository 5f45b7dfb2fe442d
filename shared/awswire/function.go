// Package awswire is where the Lambda functions read their settings: the
// environment template.yaml sets, and their own parameters from Parameter
// Store. It hands them to shared/compose, the one composition root the
// local runtime uses too, and starts the handler that a function's main
// builds on the AWS adapters it chose.
//
// It deliberately imports no AWS service client: a function links only the
// clients its main constructs (ingest: DynamoDB and Scheduler; only
// replies: S3), and reads its parameters with one signed HTTPS call rather
// than the SSM client, whose package alone costs megabytes and
// milliseconds of every cold start. The AWS configuration comes from the
// Lambda environment (region and the execution role's credentials), not
// from the SDK's config package and its credential chain.
package awswire

import (
	"github.com/aftercare/aftercare/shared/awswire/parameters"
	"github.com/aftercare/aftercare/shared/compose"
)

// Function says what one Lambda function uses; its main composes exactly
// that. The template test checks template.yaml against it: environment,
// permissions, parameters.
type Function struct {
	// Name is the function's directory under functions/ and its name in
	// errors.
	Name string
	// Scheduler: it creates and deletes schedules (every function that
	// reconciles or dispatches).
	Scheduler bool
	// Mailer: it sends email (so it signs links and renders).
	Mailer bool
	// Webhooks: it verifies and ingests webhooks.
	Webhooks bool
	// Links: it verifies links without sending (none today besides the
	// mailers, which sign).
	Links bool
	// Notifier: it posts team alerts to the alert webhook.
	Notifier bool
	// Inbound: it reads the replies SES stores in the inbound bucket.
	Inbound bool
	// Stream: it reads the table's stream (the planner).
	Stream bool
	// Contacts: it keeps the people behind incidents (the survey budget,
	// consent: the unsubscribe page and the unsubscribe address).
	Contacts bool
	// Counts: it keeps the report aggregates from the table's stream (the
	// planner), so it writes the counter and change-marker items, and
	// nothing else of the table.
	Counts bool
	// Team: it serves the team's pages: sessions, sign-in tokens and rate
	// limits (ephemeral items), the report counters, the listing and
	// attention indexes.
	Team bool
	// Advice: it renders pre-arrival emails, so it reads the operator's
	// advice file.
	Advice bool
	// RenderThroughDispatch: it renders the emails it sends through the
	// dispatch function (shared/mail/render/remote over Lambda's Invoke),
	// so it may invoke that function and links no renderer.
	RenderThroughDispatch bool
}

// The functions of template.yaml.
var (
	// Ingest takes webhooks and reconciles the incident inline.
	Ingest = Function{Name: "ingest", Scheduler: true, Webhooks: true, Contacts: true}
	// Respond serves the rating, unsubscribe and team pages; a negative
	// answer's alert and acknowledgement are dispatched inline, rendered
	// through the dispatch function.
	Respond = Function{Name: "respond", Scheduler: true, Mailer: true, Notifier: true, Contacts: true, Team: true, RenderThroughDispatch: true}
	// Dispatch sends a due step. Its schedules target dispatch itself, so
	// template.yaml names the function and spells its ARN from that name.
	Dispatch = Function{Name: "dispatch", Scheduler: true, Mailer: true, Notifier: true, Contacts: true, Advice: true}
	// Planner reconciles the incidents the table's stream says changed
	// their plan: what finishes the job when a function died between
	// storing and scheduling. It also keeps the report aggregates, once
	// per incident write.
	Planner = Function{Name: "planner", Scheduler: true, Stream: true, Counts: true}
	// Replies takes the emails customers send to a reply address. It sends
	// nothing itself: the team's alert and the acknowledgement a reply
	// raises go out through their schedules, within a minute, so it links
	// neither the renderer nor SES. It renders the email a reply answers
	// through dispatch, to recognise a copy of it in the reply.
	// A message to the List-Unsubscribe mailto: address unsubscribes.
	Replies = Function{Name: "replies", Scheduler: true, Inbound: true, Contacts: true, RenderThroughDispatch: true}
	// Feedback takes SES's bounce, complaint and delivery-delay events
	// from EventBridge: it suppresses people and notes the events on the
	// timeline; it schedules and sends nothing.
	Feedback = Function{Name: "feedback", Contacts: true}
)

// Functions lists every function, for tests that check the template
// against the code.
var Functions = []Function{Ingest, Respond, Dispatch, Planner, Replies, Feedback}

// Needs is what the composition of f requires of the settings.
func (f Function) Needs() compose.Needs {
	return compose.Needs{Webhooks: f.Webhooks, Links: f.Mailer || f.Links || f.Inbound, Alerts: f.Notifier, Inbound: f.Inbound, Contacts: f.Contacts}
}

// Environment variables template.yaml sets. Those that are settings carry
// compose's names, the local runtime's too.
const (
	EnvTable       = "AFTERCARE_TABLE"  // DynamoDB table name
	EnvSecretsPath = parameters.EnvPath // Parameter Store path of the secrets, e.g. /aftercare/prod

	EnvPublicURL    = compose.PublicURL
	EnvFrom         = compose.From
	EnvReplyTo      = compose.ReplyTo
	EnvBrandName    = compose.BrandName
	EnvBrandLink    = compose.BrandLink
	EnvBrandLogo    = compose.BrandLogo
	EnvBrandColor   = compose.BrandColor
	EnvTeamEmail    = compose.TeamEmail
	EnvTeamLocale   = compose.TeamLocale
	EnvReplyAddress = compose.ReplyAddress

	// Only for functions with a scheduler.
	EnvScheduleGroup = "AFTERCARE_SCHEDULE_GROUP" // EventBridge Scheduler group
	// EnvDispatchARN is the dispatch function, target of schedules.
	EnvDispatchARN      = "AFTERCARE_DISPATCH_ARN"
	EnvSchedulerRoleARN = "AFTERCARE_SCHEDULER_ROLE_ARN" // role Scheduler assumes to invoke it
	EnvScheduleDLQARN   = "AFTERCARE_SCHEDULE_DLQ_ARN"   // SQS queue for undeliverable wake-up calls

	// Only for functions with a mailer.
	EnvSESConfigurationSet = "AFTERCARE_SES_CONFIGURATION_SET"
)

// RequiredEnv lists the variables f cannot start without; the template test
// checks that template.yaml sets each of them for f.
func (f Function) RequiredEnv() []string {
	env := []string{EnvSecretsPath, EnvPublicURL, EnvFrom}
	if !f.Stream || f.Counts { // the planner reads no incident, only its stream, but writes counters
		env = append(env, EnvTable)
	}
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

// Parameters returns the names, under the secrets path, of the parameters
// f reads at cold start: exactly these are fetched, and template.yaml lets
// f's role read exactly these (the template test compares the two), so a
// function cannot read another's secrets.
//
//   - webhook-secret and the third-party providers' secrets: only functions
//     that take webhooks (ingest).
//   - link-secret: only functions that sign or verify links or reply
//     addresses (respond, dispatch, replies).
//   - contact-key: only functions that keep the people's records (ingest
//     records who a booking is for; dispatch spends their survey budget).
//   - policy: every function, because every function plans steps.
//   - alert-webhook-url: every function, because whether it is set decides
//     which alert steps are planned; only a Notifier keeps its value.
//   - alert-webhook-secret: only functions that post alerts (Notifier).
//   - advice: only functions that render pre-arrival emails (dispatch;
//     respond dispatches only urgent steps inline, never advice).
//   - copy: only functions that write to customers (Mailer: respond,
//     which also serves the pages, and dispatch).
func (f Function) Parameters() []string {
	need := f.Needs()
	var names []string
	for _, s := range compose.Secrets {
		switch s.Name {
		case compose.WebhookSecret, compose.CalcomSecret, compose.CalendlySecret, compose.ZendeskSecret, compose.FreshdeskToken:
			if !need.Webhooks {
				continue
			}
		case compose.LinkSecret:
			if !need.Links {
				continue
			}
		case compose.ContactKey:
			if !need.Contacts {
				continue
			}
		case compose.AlertWebhookSecret:
			if !need.Alerts {
				continue
			}
		case compose.AdviceJSON:
			if !f.Advice {
				continue
			}
		case compose.CopyJSON:
			if !f.Mailer {
				continue
			}
		}
		names = append(names, s.Param)
	}
	return names
}
