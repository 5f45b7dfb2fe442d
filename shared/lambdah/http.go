// Package lambdah holds the Lambda handlers: thin functions that decode an
// AWS event, call one use case and encode the answer. They live here, not
// in functions/*/main.go, so that tests can feed them the sample events in
// events/ without AWS.
package lambdah

import (
	"context"
	"net/http"
	"net/textproto"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// HTTPHandler is what lambda.Start takes for an API Gateway HTTP API
// (payload format 2.0) integration.
type HTTPHandler func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// HTTP serves h behind API Gateway HTTP API (payload format 2.0).
//
// API Gateway joins repeated headers with commas, and the proxy library
// splits every header that is not on its short list of single-valued ones
// at each comma. That would cut "webhook-signature: v1,<base64>" into "v1"
// and "<base64>" and fail every Standard Webhooks signature (and Calendly's
// "t=…,v1=…"), so the headers are restored exactly as API Gateway passed
// them before h sees the request. A comma-joined value is what any HTTP
// server would see for a header sent on one line.
func HTTP(h http.Handler) HTTPHandler {
	adapter := httpadapter.NewV2(restoreHeaders(h))
	return func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		ctx = context.WithValue(ctx, rawHeadersKey{}, e.Headers)
		return adapter.ProxyWithContext(ctx, e)
	}
}

type rawHeadersKey struct{}

func restoreHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if raw, ok := r.Context().Value(rawHeadersKey{}).(map[string]string); ok {
			for k, v := range raw {
				r.Header[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
			}
		}
		h.ServeHTTP(w, r)
	})
}
