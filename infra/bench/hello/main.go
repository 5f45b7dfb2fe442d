// Command hello is the baseline of `make bench`: the smallest useful
// aws-lambda-go function. It is built with the same flags and started by the
// same harness as the real functions, so their sizes and start-up times can be
// reported as ratios to it, which carry from one machine to another where
// absolute milliseconds do not.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, name string) (string, error) {
		return "hello " + name, nil
	})
}
