package awswire

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// Main is the whole of a function's main: compose f's adapters from the
// environment once per cold start, then serve the handler that handler
// builds from them. A composition error ends the process with the reason
// logged, so Lambda reports a failed init rather than failing every event.
func Main(f Function, handler func(c *Composed, log *slog.Logger) any) {
	log := NewLogger(os.Getenv)
	c, err := Compose(context.Background(), f, log)
	if err != nil {
		log.Error("cold start failed", "function", f.Name, "error", err)
		os.Exit(1)
	}
	lambda.Start(handler(c, log))
}
