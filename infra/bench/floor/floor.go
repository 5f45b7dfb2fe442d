// Package floor is what the start-up floors of `make bench` share: the
// cold-start work every Aftercare function does before it composes anything
// of its own — an AWS configuration from Lambda's environment and one
// Parameter Store read of a secret.
package floor

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/aftercare/aftercare/shared/awswire/parameters"
)

// Secret is the parameter, under the stack's secrets path, that a floor
// reads at cold start: the link secret, which every function but the
// planner reads.
const Secret = "link-secret"

// Start builds the AWS configuration as the functions do (region and the
// role's credentials from Lambda's variables, AWS_ENDPOINT_URL for the
// bench's fake endpoint) and reads the secret, returning its value.
func Start(ctx context.Context) (aws.Config, string, error) {
	cfg := aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))),
	}
	if u := os.Getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	path := os.Getenv(parameters.EnvPath)
	if path == "" {
		return cfg, "", errors.New(parameters.EnvPath + " is not set")
	}
	name := path + "/" + Secret
	got, err := parameters.Get(ctx, cfg, nil, []string{name})
	if err != nil {
		return cfg, "", err
	}
	p, ok := got[name]
	if !ok {
		return cfg, "", fmt.Errorf("parameter %s is missing", name)
	}
	return cfg, p.Value, nil
}

// Main is a floor's whole main: Start, then serve the handler build makes
// from the configuration and the secret. A failed start exits 1 with the
// reason, so the bench reports the floor failed rather than timing it.
func Main(build func(cfg aws.Config, secret string) any) {
	cfg, secret, err := Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	lambda.Start(build(cfg, secret))
}
