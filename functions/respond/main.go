// Command respond is the Lambda function behind the customer's pages (rating
// links, rating.js) and the team's timeline link. A negative answer's alert
// and acknowledgement go out inline, so it composes SES too.
package main

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/lambdah"
	"github.com/aftercare/aftercare/shared/lambdah/pages"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/ses"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func main() {
	awswire.Main(awswire.Respond, func(e *awswire.Env) (any, error) {
		// The operator's wording, checked at start: a bad key or
		// placeholder stops the cold start, naming it.
		copySet, err := i18n.FromJSON(e.Settings.CopyOverrides)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", compose.CopyJSON, err)
		}
		sched, err := eventbridge.New(scheduler.NewFromConfig(e.AWS), eventbridge.Config{
			GroupName: e.ScheduleGroup, TargetArn: e.DispatchARN, RoleArn: e.SchedulerRoleARN, DeadLetterArn: e.ScheduleDLQARN,
		})
		if err != nil {
			return nil, err
		}
		h, err := pages.Respond(e.Settings, compose.Ports{
			Store: dynamo.New(dynamodb.NewFromConfig(e.AWS), e.Table), Scheduler: sched,
			Mailer:   ses.New(sesv2.NewFromConfig(e.AWS), ses.Config{ConfigurationSet: e.SESConfigurationSet}),
			Renderer: render.New(e.Settings.Brand, render.WithCopy(copySet)),
		}, e.Log)
		return lambdah.HTTP(h), err
	})
}
