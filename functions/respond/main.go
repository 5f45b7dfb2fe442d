// Command respond is the Lambda function behind the rating links in emails
// (GET, HEAD and POST /r/{token}): it records the customer's answer and
// comment and shows the thank-you page. It only composes; the code is in
// shared/.
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
	c, err := awswire.Compose(context.Background(), awswire.Respond, log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(lambdah.HTTP(c.Handler))
}
