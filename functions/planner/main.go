// Command planner is the Lambda function on the incidents table's stream:
// it reconciles the schedules of every incident that changed, so nothing
// is lost between storing an incident and scheduling it. It only
// composes; the code is in shared/.
package main

import (
	"log/slog"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/lambdah"
)

func main() {
	awswire.Main(awswire.Planner, func(c *awswire.Composed, log *slog.Logger) any {
		return lambdah.StreamHandler(c.Service, log)
	})
}
