// Command respond is the Lambda function behind the rating links in emails
// (GET, HEAD and POST /r/{token}): it records the customer's answer and
// comment and shows the thank-you page. It only composes; the code is in
// shared/.
package main

import (
	"log/slog"

	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/lambdah"
)

func main() {
	awswire.Main(awswire.Respond, func(c *awswire.Composed, _ *slog.Logger) any {
		return lambdah.HTTP(c.Handler)
	})
}
