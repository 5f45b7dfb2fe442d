// Command respond is the Lambda function behind the customer's pages (rating
// links, rating.js, unsubscribing, review invitations), the team's timeline
// link and the team's dashboard. A negative answer's alert and
// acknowledgement, a sign-in link and a team member's message go out
// inline, so it composes SES too; it renders them through the dispatch
// function (shared/mail/render/remote over Lambda's Invoke), which links
// hermes, so that the function that answers the customers' clicks does not
// carry hermes' megabytes and start-up.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/awswire/invoke"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/lambdah"
	"github.com/aftercare/aftercare/shared/lambdah/pages"
	"github.com/aftercare/aftercare/shared/mail/render/remote"
	"github.com/aftercare/aftercare/shared/mail/ses"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func main() {
	awswire.Main(awswire.Respond, func(e *awswire.Env) (any, error) {
		sched, err := eventbridge.New(scheduler.NewFromConfig(e.AWS), eventbridge.Config{
			GroupName: e.ScheduleGroup, TargetArn: e.DispatchARN, RoleArn: e.SchedulerRoleARN, DeadLetterArn: e.ScheduleDLQARN,
		})
		if err != nil {
			return nil, err
		}
		h, err := pages.Respond(e.Settings, compose.Ports{
			Store: dynamo.New(dynamodb.NewFromConfig(e.AWS), e.Table), Scheduler: sched,
			Mailer:   ses.New(sesv2.NewFromConfig(e.AWS), ses.Config{ConfigurationSet: e.SESConfigurationSet}),
			Renderer: remote.New(invoke.New(e.AWS, nil, e.DispatchARN)),
		}, e.Log)
		return lambdah.HTTP(h), err
	})
}
