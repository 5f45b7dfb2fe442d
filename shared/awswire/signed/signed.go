// Package signed makes SigV4-signed calls to AWS's JSON APIs with net/http
// and the SDK's signer, for the two calls whose SDK clients would cost a
// function more than the call: reading secrets from Parameter Store at cold
// start (shared/awswire/parameters) and invoking another function
// (shared/awswire/invoke). A service client's package brings megabytes of
// generated code and a millisecond of schema initialisation; these calls
// need a URL, a few headers and a signature.
package signed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Attempts bounds the tries of one call on throttling or a server error,
// with a short doubling pause: a caller (a cold start, a page) must not
// hang on a struggling service.
const Attempts = 3

// maxResponse bounds what is read of an answer: Lambda's synchronous
// payload limit is 6 MB.
const maxResponse = 6 << 20

// Error is an error answer of an AWS JSON API: the HTTP status and the
// error's type and message as the service spells them (awsJson's __type
// and message, or Lambda's x-amzn-ErrorType header and Message).
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string {
	t := e.Type
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[:i]
	}
	return fmt.Sprintf("%d %s: %s", e.Status, t, e.Message)
}

// Retryable reports whether the same call may succeed later: throttling
// and the service's own failures.
func (e *Error) Retryable() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || strings.Contains(e.Type, "Throttl")
}

// Endpoint is the base URL of an AWS service for cfg: AWS_ENDPOINT_URL's
// override (tests and local emulators) or the regional endpoint.
func Endpoint(cfg aws.Config, service string) string {
	if cfg.BaseEndpoint != nil {
		return strings.TrimSuffix(*cfg.BaseEndpoint, "/")
	}
	return "https://" + service + "." + cfg.Region + ".amazonaws.com"
}

// Post sends body to url, signed for service in cfg's region with cfg's
// credentials, with the given headers, and returns a 2xx answer's headers
// and body. Throttling and server errors are retried (Attempts); an error
// answer is an *Error. A nil client is http.DefaultClient.
func Post(ctx context.Context, cfg aws.Config, client *http.Client, service, url string, header http.Header, body []byte) (http.Header, []byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		h, b, err := once(ctx, cfg, client, service, url, header, body, hash)
		var ae *Error
		if err == nil || attempt == Attempts || !errors.As(err, &ae) || !ae.Retryable() {
			return h, b, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(pause):
		}
		pause *= 2
	}
}

func once(ctx context.Context, cfg aws.Config, client *http.Client, service, url string, header http.Header, body []byte, hash string) (http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("credentials: %w", err)
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, service, cfg.Region, time.Now()); err != nil {
		return nil, nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Type       string `json:"__type"`
			Message    string `json:"message"`
			MessageCap string `json:"Message"` // some services capitalise it
		}
		_ = json.Unmarshal(raw, &e)
		ae := &Error{Status: resp.StatusCode, Type: e.Type, Message: e.Message + e.MessageCap}
		if t := resp.Header.Get("X-Amzn-Errortype"); ae.Type == "" && t != "" {
			ae.Type = t
		}
		return nil, nil, ae
	}
	return resp.Header, raw, nil
}
