// Command feedback is the Lambda function behind the EventBridge rule for
// SES's bounce, complaint and delivery-delay events: it suppresses the
// person on a permanent bounce or a complaint, counts soft bounces, and
// notes each on its incident's timeline. It links the DynamoDB client
// and nothing else of AWS's.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/lambdah/feedback"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func main() {
	awswire.Main(awswire.Feedback, func(e *awswire.Env) (any, error) {
		return feedback.Feedback(e.Settings, compose.Ports{Store: dynamo.New(dynamodb.NewFromConfig(e.AWS), e.Table)}, e.Log)
	})
}
