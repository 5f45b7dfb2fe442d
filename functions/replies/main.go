// Command replies is the Lambda function behind the SES receipt rule: it
// reads each reply SES stored in the inbound bucket and files it on its
// incident. The only function that links the S3 client; it sends nothing
// itself (the alerts a reply raises go out through their schedules).
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/awswire/invoke"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/lambdah/inbound"
	"github.com/aftercare/aftercare/shared/mail/render/remote"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func main() {
	awswire.Main(awswire.Replies, func(e *awswire.Env) (any, error) {
		sched, err := eventbridge.New(scheduler.NewFromConfig(e.AWS), eventbridge.Config{
			GroupName: e.ScheduleGroup, TargetArn: e.DispatchARN, RoleArn: e.SchedulerRoleARN, DeadLetterArn: e.ScheduleDLQARN,
		})
		if err != nil {
			return nil, err
		}
		return inbound.Replies(e.Settings, compose.Ports{
			Store: dynamo.New(dynamodb.NewFromConfig(e.AWS), e.Table), Scheduler: sched,
			// The email a reply answers is rendered again through dispatch
			// (shared/mail/render/remote), so that a copy of it in the
			// reply is taken for history whatever marks it.
			Renderer: remote.New(invoke.New(e.AWS, nil, e.DispatchARN)),
		}, s3.NewFromConfig(e.AWS).GetObject, e.Log)
	})
}
