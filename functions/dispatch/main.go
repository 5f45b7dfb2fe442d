// Command dispatch is the Lambda function EventBridge Scheduler invokes
// when a follow-up is due (input: schedule.Fire JSON): it re-checks the
// step, claims it and sends the email through SES. It only composes; the
// code is in shared/.
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
	c, err := awswire.Compose(context.Background(), awswire.Dispatch, log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(lambdah.DispatchHandler(c.Service))
}
