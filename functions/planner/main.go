// Command planner is the Lambda function on the incidents table's stream:
// it reconciles the schedules of every incident whose plan changed, which
// finishes the job if a function died between storing and scheduling, and
// keeps the report aggregates (app.Service.Counting) once per incident
// write. It reads the incidents from the stream's images, so it composes
// EventBridge Scheduler and, for the counters, DynamoDB's
// TransactWriteItems.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/lambdah/stream"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func main() {
	awswire.Main(awswire.Planner, func(e *awswire.Env) (any, error) {
		sched, err := eventbridge.New(scheduler.NewFromConfig(e.AWS), eventbridge.Config{
			GroupName: e.ScheduleGroup, TargetArn: e.DispatchARN, RoleArn: e.SchedulerRoleARN, DeadLetterArn: e.ScheduleDLQARN,
		})
		if err != nil {
			return nil, err
		}
		// The planner works from the stream's images: it reads and writes
		// no incident. Of DynamoDB it calls TransactWriteItems alone, to
		// keep the report aggregates (its role may write only counters
		// and change markers), so only that operation is linked.
		db := dynamodb.NewFromConfig(e.AWS)
		counters := dynamo.NewWithConfig(dynamo.API{TransactWriteItems: db.TransactWriteItems}, dynamo.Config{Table: e.Table})
		return stream.Planner(e.Settings, compose.Ports{Store: store.None{}, Scheduler: sched, Counters: counters}, e.Log)
	})
}
