// Command replies is the Lambda function on the inbound mail bucket: SES
// stores every email sent to a reply address there, and the bucket's S3
// notification invokes this function, which reads the message, attaches
// it to its incident (or records the score it carries) and escalates to
// the team. It only composes; the code is in shared/.
package main

import (
	"log/slog"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/lambdah"
)

func main() {
	awswire.Main(awswire.Replies, func(c *awswire.Composed, log *slog.Logger) any {
		return lambdah.RepliesHandler(c.Objects, c.Service, log)
	})
}
