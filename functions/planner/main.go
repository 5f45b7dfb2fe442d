// Command planner is the Lambda function on the incidents table's stream:
// it reconciles the schedules of every incident whose plan changed, which
// finishes the job if a function died between storing and scheduling. It
// reads the incidents from the stream's images, so it composes EventBridge
// Scheduler alone.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/lambdah/stream"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/store"
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
		// no incident, so it links no DynamoDB client.
		return stream.Planner(e.Settings, compose.Ports{Store: store.None{}, Scheduler: sched}, e.Log)
	})
}
