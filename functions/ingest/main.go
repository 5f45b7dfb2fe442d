// Command ingest is the Lambda function behind POST /webhooks/{provider}:
// it verifies a booking or ticket webhook, upserts the incident and
// schedules its follow-ups. It only composes; the code is in shared/.
package main

import (
	"log/slog"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/lambdah"
)

func main() {
	awswire.Main(awswire.Ingest, func(c *awswire.Composed, _ *slog.Logger) any {
		return lambdah.HTTP(c.Handler)
	})
}
