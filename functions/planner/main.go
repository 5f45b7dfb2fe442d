// Command planner is the Lambda function on the incidents table's stream:
// it reconciles the schedules of every incident that changed, so nothing
// is lost between storing an incident and scheduling it. It only
// composes; the code is in shared/.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/lambdah"
)

func main() {
	log := awswire.NewLogger(os.Getenv)
	c, err := awswire.Compose(context.Background(), awswire.Planner, log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(lambdah.StreamHandler(c.Service, log))
}
