// Command ingest is the Lambda function behind POST /webhooks/{provider}:
// it verifies a booking or ticket webhook, upserts the incident and
// schedules its follow-ups. It composes DynamoDB and EventBridge Scheduler
// and nothing else; the code is in shared/.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/lambdah"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func main() {
	awswire.Main(awswire.Ingest, func(e *awswire.Env) (any, error) {
		sched, err := eventbridge.New(scheduler.NewFromConfig(e.AWS), eventbridge.Config{
			GroupName: e.ScheduleGroup, TargetArn: e.DispatchARN, RoleArn: e.SchedulerRoleARN, DeadLetterArn: e.ScheduleDLQARN,
		})
		if err != nil {
			return nil, err
		}
		h, err := lambdah.Ingest(e.Settings, compose.Ports{
			Store: dynamo.New(dynamodb.NewFromConfig(e.AWS), e.Table), Scheduler: sched,
		}, e.Log)
		return lambdah.HTTP(h), err
	})
}
