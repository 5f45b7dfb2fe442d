// Command dispatch is the Lambda function EventBridge Scheduler invokes
// when a follow-up is due (input: schedule.Fire JSON): it re-checks the
// step, claims it and sends the email through SES. It only composes; the
// code is in shared/.
package main

import (
	"log/slog"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/lambdah"
)

func main() {
	awswire.Main(awswire.Dispatch, func(c *awswire.Composed, _ *slog.Logger) any {
		return lambdah.DispatchHandler(c.Service)
	})
}
