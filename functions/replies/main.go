// Command replies is the Lambda function on the inbound mail bucket: SES
// stores every email sent to a reply address there, and the bucket's S3
// notification invokes this function, which reads the message, attaches
// it to its incident (or records the score it carries) and escalates to
// the team. It only composes; the code is in shared/.
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
	c, err := awswire.Compose(context.Background(), awswire.Replies, log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(lambdah.RepliesHandler(c.Objects, c.Service, log))
}
