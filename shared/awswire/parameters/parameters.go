// Package parameters reads a function's secrets from SSM Parameter Store at
// cold start: one SigV4-signed GetParameters call per ten names, made with
// net/http and the SDK's signer rather than the SSM client, whose package
// alone would cost every function megabytes and a millisecond of init. It
// is its own package so that the start-up floors of `make bench`
// (infra/bench/floor) can make the same read without linking the rest of
// the composition.
package parameters

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
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// EnvPath names the environment variable template.yaml sets to the
// Parameter Store path under which a stack's secrets live, e.g.
// /aftercare/prod.
const EnvPath = "AFTERCARE_SECRETS_PATH"

// Parameter is one Parameter Store parameter as GetParameters returns it.
type Parameter struct {
	Name  string `json:"Name"`
	Type  string `json:"Type"` // String, StringList or SecureString
	Value string `json:"Value"`
}

// maxNamesPerCall is how many names one GetParameters call takes at most.
const maxNamesPerCall = 10

// ssmAttempts bounds the tries of one GetParameters call on throttling or a
// server error, with a short doubling pause: a cold start must not hang.
const ssmAttempts = 3

// Get reads the named parameters, decrypting SecureStrings, with
// SSM's JSON API signed by the SDK's SigV4 signer: one HTTPS call per ten
// names, the round trip the SSM client would make, without linking it. A
// name SSM does not know is simply absent from the result (the caller
// decides whether it was required).
func Get(ctx context.Context, cfg aws.Config, client *http.Client, names []string) (map[string]Parameter, error) {
	if client == nil {
		client = http.DefaultClient
	}
	out := map[string]Parameter{}
	for chunk := range slices.Chunk(names, maxNamesPerCall) {
		var resp struct {
			Parameters []Parameter `json:"Parameters"`
		}
		if err := ssmCall(ctx, cfg, client, "AmazonSSM.GetParameters", map[string]any{"Names": chunk, "WithDecryption": true}, &resp); err != nil {
			return nil, fmt.Errorf("ssm:GetParameters %s (check the function's IAM policy grants each of them, and the path): %w", strings.Join(chunk, ", "), err)
		}
		for _, p := range resp.Parameters {
			if slices.Contains(chunk, p.Name) {
				out[p.Name] = p
			}
		}
	}
	return out, nil
}

// ssmError is an error answer of the SSM JSON protocol.
type ssmError struct {
	Status  int
	Type    string `json:"__type"`
	Message string `json:"message"`
	// Some services capitalise it.
	MessageCap string `json:"Message"`
}

func (e *ssmError) Error() string {
	t := e.Type
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	return fmt.Sprintf("%d %s: %s", e.Status, t, e.Message+e.MessageCap)
}

func (e *ssmError) retryable() bool {
	return e.Status >= 500 || strings.Contains(e.Type, "Throttl") || e.Status == http.StatusTooManyRequests
}

func ssmCall(ctx context.Context, cfg aws.Config, client *http.Client, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := ssmOnce(ctx, cfg, client, target, body, hex.EncodeToString(sum[:]), out)
		var se *ssmError
		if err == nil || attempt == ssmAttempts || !errors.As(err, &se) || !se.retryable() {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause *= 2
	}
}

func ssmOnce(ctx context.Context, cfg aws.Config, client *http.Client, target string, body []byte, payloadHash string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint(cfg, "ssm"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, payloadHash, "ssm", cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		se := &ssmError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, se)
		return se
	}
	return json.Unmarshal(raw, out)
}

// endpoint is the base URL of an AWS service for cfg.
func endpoint(cfg aws.Config, service string) string {
	if cfg.BaseEndpoint != nil {
		return *cfg.BaseEndpoint
	}
	return "https://" + service + "." + cfg.Region + ".amazonaws.com/"
}
