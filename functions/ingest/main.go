// Command ingest is the Lambda function behind POST /webhooks/{provider}:
// it verifies a booking or ticket webhook, upserts the incident and
// schedules its follow-ups. It only composes; the code is in shared/.
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
	c, err := awswire.Compose(context.Background(), awswire.Ingest, log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(lambdah.HTTP(c.Handler))
}
