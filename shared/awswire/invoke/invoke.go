// Package invoke calls another Lambda function synchronously through
// Lambda's Invoke API, signed with shared/awswire/signed rather than made
// through the Lambda client, whose package would cost the caller more than
// the call. The respond function renders its emails this way, through the
// dispatch function, so that it does not link hermes.
package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aftercare/aftercare/shared/awswire/signed"
)

// Func is a synchronous call of one function: the event in, the function's
// answer out.
type Func func(ctx context.Context, event []byte) ([]byte, error)

// ErrFunction wraps an error the invoked function itself reported (Lambda's
// X-Amz-Function-Error: a returned error, a crash, a timeout), as opposed
// to Lambda refusing or failing the call.
var ErrFunction = errors.New("the invoked function failed")

// New returns a Func that invokes the function arn (RequestResponse) with
// cfg's region and credentials; a nil client is http.DefaultClient.
// Throttling and Lambda's server errors are retried (signed.Attempts).
func New(cfg aws.Config, client *http.Client, arn string) Func {
	// The function name is a path label, escaped as the SDK escapes it
	// (an ARN's colons too).
	u := signed.Endpoint(cfg, "lambda") + "/2015-03-31/functions/" +
		strings.ReplaceAll(url.PathEscape(arn), ":", "%3A") + "/invocations"
	header := http.Header{
		"Content-Type":          {"application/json"},
		"X-Amz-Invocation-Type": {"RequestResponse"},
	}
	return func(ctx context.Context, event []byte) ([]byte, error) {
		h, body, err := signed.Post(ctx, cfg, client, "lambda", u, header, event)
		if err != nil {
			return nil, fmt.Errorf("lambda:InvokeFunction %s: %w", arn, err)
		}
		if kind := h.Get("X-Amz-Function-Error"); kind != "" {
			var fe struct {
				Type    string `json:"errorType"`
				Message string `json:"errorMessage"`
			}
			_ = json.Unmarshal(body, &fe)
			return nil, fmt.Errorf("%w: %s (%s): %s %s", ErrFunction, arn, kind, fe.Type, fe.Message)
		}
		return body, nil
	}
}
