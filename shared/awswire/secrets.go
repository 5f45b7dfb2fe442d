package awswire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Parameter names under the secrets path (AFTERCARE_SECRETS_PATH). The two
// secrets must be SecureString parameters; the operator creates them once
// (see template.yaml), and they never pass through CloudFormation, where
// parameters and outputs are visible to anyone who can read the stack.
const (
	// ParamWebhookSecret holds the native webhook's whsec_… secret. While a
	// sender rotates, it holds two, comma-separated: both are accepted.
	ParamWebhookSecret = "webhook-secret"
	// ParamLinkSecret holds the key that signs rating links, at least
	// links.MinKeyLen characters. To rotate, put the new key first and
	// keep the old one after a comma until the answer window has passed,
	// so links already in inboxes keep working.
	ParamLinkSecret = "link-secret"
	// ParamPolicy optionally holds a follow-up policy as JSON (a String
	// parameter is fine: it is not secret). Absent means the default
	// policy. It lives here so that one call loads everything and an
	// operator can tune the policy without a deploy (it applies from the
	// next cold start).
	ParamPolicy = "policy"
)

// maxPages bounds GetParametersByPath paging. The path normally holds three
// parameters, one page; a path with hundreds is a misconfiguration (the
// wrong path) and should fail rather than page through it on every cold
// start.
const maxPages = 5

// SSMAPI is the part of the Parameter Store client LoadSecrets uses.
type SSMAPI interface {
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

var _ SSMAPI = (*ssm.Client)(nil)

// Secrets are what the functions load from Parameter Store. They are never
// logged: LogValue and String redact them.
type Secrets struct {
	// WebhookSecrets verify the native webhook; empty for functions that
	// take no webhooks.
	WebhookSecrets []string
	// LinkKeys sign (the first) and verify (any) rating links.
	LinkKeys [][]byte
	// Policy is the follow-up policy; nil means domain.DefaultPolicy.
	Policy *domain.Policy
}

// LogValue keeps secrets out of logs even if a Secrets is logged whole.
func (s Secrets) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("webhook_secrets", len(s.WebhookSecrets)),
		slog.Int("link_keys", len(s.LinkKeys)),
		slog.Bool("custom_policy", s.Policy != nil),
	)
}

// String keeps secrets out of fmt output.
func (s Secrets) String() string {
	return fmt.Sprintf("awswire.Secrets{%d webhook secret(s), %d link key(s), redacted}", len(s.WebhookSecrets), len(s.LinkKeys))
}

// GoString keeps secrets out of %#v output.
func (s Secrets) GoString() string { return s.String() }

// LoadSecrets reads every parameter directly under path with one
// GetParametersByPath call (more only if SSM pages the answer), decrypting
// SecureStrings, and checks that f has what it needs. Errors name the
// parameter and say how to fix it; they never contain a value.
//
// One call by path, rather than a GetParameter per secret, keeps a cold
// start to a single round trip and the IAM grant to a single path.
func LoadSecrets(ctx context.Context, api SSMAPI, path string, f Function) (Secrets, error) {
	if err := checkPath(path); err != nil {
		return Secrets{}, fmt.Errorf("awswire: secrets path: %w", err)
	}
	params := map[string]types.Parameter{}
	in := &ssm.GetParametersByPathInput{
		Path:           aws.String(path),
		Recursive:      aws.Bool(false),
		WithDecryption: aws.Bool(true),
		MaxResults:     aws.Int32(10),
	}
	for page := 0; ; page++ {
		if page == maxPages {
			return Secrets{}, fmt.Errorf("awswire: more than %d pages of parameters under %s; is %s the right path?",
				maxPages, path, EnvSecretsPath)
		}
		out, err := api.GetParametersByPath(ctx, in)
		if err != nil {
			return Secrets{}, fmt.Errorf("awswire: ssm:GetParametersByPath %s (check the function's IAM policy and the path): %w", path, err)
		}
		for _, p := range out.Parameters {
			name := strings.TrimPrefix(aws.ToString(p.Name), path+"/")
			params[name] = p
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}

	var s Secrets
	var errs []error
	full := func(name string) string { return path + "/" + name }

	if f.Webhooks {
		v, err := secureValue(params, ParamWebhookSecret, full(ParamWebhookSecret))
		if err == nil {
			s.WebhookSecrets = splitList(v)
			if _, verr := stdwebhooks.NewVerifier(s.WebhookSecrets...); verr != nil {
				err = fmt.Errorf("SSM parameter %s: %w", full(ParamWebhookSecret), verr)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	// Every function signs or verifies rating links (the service requires
	// a signer), so the link secret is always required.
	if v, err := secureValue(params, ParamLinkSecret, full(ParamLinkSecret)); err != nil {
		errs = append(errs, err)
	} else {
		for i, k := range splitList(v) {
			if len(k) < links.MinKeyLen {
				errs = append(errs, fmt.Errorf("SSM parameter %s: key %d is %d characters, want at least %d",
					full(ParamLinkSecret), i+1, len(k), links.MinKeyLen))
				continue
			}
			s.LinkKeys = append(s.LinkKeys, []byte(k))
		}
		if len(s.LinkKeys) == 0 && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("SSM parameter %s is empty", full(ParamLinkSecret)))
		}
	}
	if p, ok := params[ParamPolicy]; ok {
		pol, err := domain.ParsePolicy([]byte(aws.ToString(p.Value)))
		if err != nil {
			errs = append(errs, fmt.Errorf("SSM parameter %s: %w", full(ParamPolicy), err))
		} else {
			s.Policy = &pol
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Secrets{}, fmt.Errorf("awswire: %s function: %w", f.Name, err)
	}
	return s, nil
}

// secureValue returns a required SecureString's value. A secret stored as
// a plain String is refused: it would be readable without KMS and shown in
// clear in the console.
func secureValue(params map[string]types.Parameter, name, full string) (string, error) {
	p, ok := params[name]
	if !ok {
		return "", fmt.Errorf("SSM parameter %s is missing; create it with: aws ssm put-parameter --type SecureString --name %s --value …", full, full)
	}
	if p.Type != types.ParameterTypeSecureString {
		return "", fmt.Errorf("SSM parameter %s is a %s; secrets must be SecureString (delete it and put it again with --type SecureString)", full, p.Type)
	}
	return aws.ToString(p.Value), nil
}

// splitList splits a comma-separated list, dropping blanks, so that
// "new, old" and a trailing newline from a pasted value both work.
func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
