package awswire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/calcom"
	"github.com/aftercare/aftercare/shared/providers/calendly"
	"github.com/aftercare/aftercare/shared/providers/freshdesk"
	"github.com/aftercare/aftercare/shared/providers/zendesk"
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
	// so links already in inboxes keep working. The same keys sign the
	// reply addresses (under a separate MAC context, so neither kind of
	// signature can stand in for the other); reply addresses do not
	// expire, so replies to emails signed with a key that was dropped are
	// no longer routed.
	ParamLinkSecret = "link-secret"
	// ParamPolicy optionally holds a follow-up policy as JSON (a String
	// parameter is fine: it is not secret). Absent means the default
	// policy. It lives here so that one call loads all of a function's
	// parameters and an operator can tune the policy without a deploy (it
	// applies from the next cold start).
	ParamPolicy = "policy"

	// The secrets of the third-party webhook providers, optional
	// SecureStrings, two comma-separated while rotating. A provider
	// without one is not mounted: /webhooks/<name> answers 404, as in
	// the local runtime (AFTERCARE_CALCOM_SECRET and friends).
	ParamCalcomSecret   = "calcom-secret"
	ParamCalendlySecret = "calendly-secret"
	ParamZendeskSecret  = "zendesk-secret"
	ParamFreshdeskToken = "freshdesk-token"

	// ParamAlertWebhookURL optionally holds the URL team alerts are also
	// posted to (a Slack incoming webhook, your own endpoint). It is a
	// SecureString because for chat tools the URL is the credential.
	ParamAlertWebhookURL = "alert-webhook-url"
	// ParamAlertWebhookSecret optionally holds a whsec_ secret that signs
	// those posts (Standard Webhooks); without it they are unsigned.
	ParamAlertWebhookSecret = "alert-webhook-secret"
)

// ThirdParty is a webhook provider mounted from an optional secret.
type ThirdParty struct {
	Name  string // the provider, as in /webhooks/<Name>
	Param string // the SSM parameter under the secrets path
	build func(secrets ...string) (providers.Provider, error)
}

// ThirdParties are the providers besides the native one, in the order
// they are mounted.
var ThirdParties = []ThirdParty{
	{calcom.Name, ParamCalcomSecret, func(s ...string) (providers.Provider, error) { return calcom.New(s...) }},
	{calendly.Name, ParamCalendlySecret, func(s ...string) (providers.Provider, error) { return calendly.New(s...) }},
	{zendesk.Name, ParamZendeskSecret, func(s ...string) (providers.Provider, error) { return zendesk.New(s...) }},
	{freshdesk.Name, ParamFreshdeskToken, func(s ...string) (providers.Provider, error) { return freshdesk.New(s...) }},
}

// Parameters returns the names, under the secrets path, of the parameters
// f reads at cold start: LoadSecrets asks Parameter Store for exactly these,
// and template.yaml lets f's role read exactly these (infra's template test
// compares the two), so a function cannot read another's secrets.
//
//   - webhook-secret and the third-party providers' secrets: only functions
//     that take webhooks (ingest).
//   - link-secret: every function. Respond verifies rating links; dispatch,
//     respond and replies sign links in what they send; replies matches
//     reply addresses, which the same keys sign. Ingest and planner sign
//     and verify nothing: they read it only because Assemble builds the
//     app's link signer for every function (app.New requires one), until
//     the wiring is split per function.
//   - policy: every function, because every function plans steps.
//   - alert-webhook-url: every function, because whether it is set decides
//     which alert steps are planned; only a Notifier keeps its value.
//   - alert-webhook-secret: only functions that post alerts (Notifier).
//
// The order is stable; the longest list (ingest's) is 8 names, one
// GetParameters call.
func (f Function) Parameters() []string {
	var names []string
	if f.Webhooks {
		names = append(names, ParamWebhookSecret)
	}
	names = append(names, ParamLinkSecret, ParamPolicy)
	if f.Webhooks {
		for _, tp := range ThirdParties {
			names = append(names, tp.Param)
		}
	}
	names = append(names, ParamAlertWebhookURL)
	if f.Notifier {
		names = append(names, ParamAlertWebhookSecret)
	}
	return names
}

// maxNamesPerCall is how many names one GetParameters call takes at most
// (SSM refuses more); LoadSecrets splits longer lists. Every function reads
// fewer today, so a cold start makes one call.
const maxNamesPerCall = 10

// SSMAPI is the part of the Parameter Store client LoadSecrets uses.
type SSMAPI interface {
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
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
	// ProviderSecrets are the third-party providers' secrets by provider
	// name (see ThirdParties), for functions that take webhooks; a
	// provider without an entry is not mounted.
	ProviderSecrets map[string][]string
	// AlertWebhook says whether the alert webhook is configured; every
	// function learns it, since it decides which alert steps are planned.
	AlertWebhook bool
	// AlertWebhookURL and AlertWebhookSecret are loaded only for functions
	// that post alerts (Function.Notifier).
	AlertWebhookURL    string
	AlertWebhookSecret string
}

// LogValue keeps secrets out of logs even if a Secrets is logged whole.
func (s Secrets) LogValue() slog.Value {
	var provs []string
	for _, tp := range ThirdParties {
		if len(s.ProviderSecrets[tp.Name]) > 0 {
			provs = append(provs, tp.Name)
		}
	}
	return slog.GroupValue(
		slog.Int("webhook_secrets", len(s.WebhookSecrets)),
		slog.Int("link_keys", len(s.LinkKeys)),
		slog.Bool("custom_policy", s.Policy != nil),
		slog.Any("providers", provs),
		slog.Bool("alert_webhook", s.AlertWebhook),
		slog.Bool("alert_webhook_signed", s.AlertWebhookSecret != ""),
	)
}

// String keeps secrets out of fmt output.
func (s Secrets) String() string {
	return fmt.Sprintf("awswire.Secrets{%d webhook secret(s), %d link key(s), %d provider(s), alert webhook %v, redacted}",
		len(s.WebhookSecrets), len(s.LinkKeys), len(s.ProviderSecrets), s.AlertWebhook)
}

// GoString keeps secrets out of %#v output.
func (s Secrets) GoString() string { return s.String() }

// LoadSecrets reads the parameters f uses (f.Parameters()) under path with
// GetParameters, decrypting SecureStrings, and checks that f has what it
// needs. Errors name the parameter and say how to fix it; they never
// contain a value.
//
// The names are listed rather than read by path so that each function's
// role can be granted exactly its own parameters (template.yaml): a
// function cannot read another's secrets. One call (per ten names) keeps
// a cold start to a single round trip.
func LoadSecrets(ctx context.Context, api SSMAPI, path string, f Function) (Secrets, error) {
	if err := checkPath(path); err != nil {
		return Secrets{}, fmt.Errorf("awswire: secrets path: %w", err)
	}
	params, err := getParameters(ctx, api, path, f.Parameters(), maxNamesPerCall)
	if err != nil {
		return Secrets{}, err
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
	if f.Webhooks {
		for _, tp := range ThirdParties {
			v, ok, err := optionalSecureValue(params, tp.Param, full(tp.Param))
			if err == nil && ok {
				list := splitList(v)
				if len(list) == 0 {
					err = fmt.Errorf("SSM parameter %s holds no secret; delete it to unmount /webhooks/%s", full(tp.Param), tp.Name)
				} else if _, perr := tp.build(list...); perr != nil {
					err = fmt.Errorf("SSM parameter %s: %w", full(tp.Param), perr)
				} else {
					if s.ProviderSecrets == nil {
						s.ProviderSecrets = map[string][]string{}
					}
					s.ProviderSecrets[tp.Name] = list
				}
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Every function learns whether the alert webhook is configured (all
	// plan the same steps), but only those that post alerts keep the URL,
	// and only they read the secret (Parameters) and check both: a secret
	// without a URL fails their cold start, not the others'.
	url, hasURL, err := optionalSecureValue(params, ParamAlertWebhookURL, full(ParamAlertWebhookURL))
	if err != nil {
		errs = append(errs, err)
	}
	secret, hasSecret, err := optionalSecureValue(params, ParamAlertWebhookSecret, full(ParamAlertWebhookSecret))
	if err != nil {
		errs = append(errs, err)
	}
	url, secret = strings.TrimSpace(url), strings.TrimSpace(secret)
	s.AlertWebhook = hasURL && url != ""
	switch {
	case hasSecret && !s.AlertWebhook:
		errs = append(errs, fmt.Errorf("SSM parameter %s is set but %s is not; add the URL or delete the secret",
			full(ParamAlertWebhookSecret), full(ParamAlertWebhookURL)))
	case hasURL && !s.AlertWebhook:
		errs = append(errs, fmt.Errorf("SSM parameter %s is empty", full(ParamAlertWebhookURL)))
	case s.AlertWebhook && f.Notifier:
		// notify's errors name the URL's scheme and host at most, never
		// its path (a chat webhook's token) nor the secret.
		if _, werr := notify.NewWebhook(url, secret, nil); werr != nil {
			errs = append(errs, fmt.Errorf("SSM parameters %s / %s: %w", full(ParamAlertWebhookURL), full(ParamAlertWebhookSecret), werr))
		} else {
			s.AlertWebhookURL, s.AlertWebhookSecret = url, secret
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

// getParameters reads names under path, at most batch names per
// GetParameters call, and returns the parameters found by name. A name SSM
// lists in InvalidParameters (it does not exist) is simply absent from the
// result: the caller decides whether that parameter was required. A denied
// name fails the whole call with AccessDenied, hence the hint.
func getParameters(ctx context.Context, api SSMAPI, path string, names []string, batch int) (map[string]types.Parameter, error) {
	byFull := make(map[string]string, len(names))
	full := make([]string, 0, len(names))
	for _, n := range names {
		byFull[path+"/"+n] = n
		full = append(full, path+"/"+n)
	}
	params := map[string]types.Parameter{}
	for chunk := range slices.Chunk(full, batch) {
		out, err := api.GetParameters(ctx, &ssm.GetParametersInput{Names: chunk, WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("awswire: ssm:GetParameters %s (check the function's IAM policy grants each of them, and the path): %w",
				strings.Join(chunk, ", "), err)
		}
		for _, p := range out.Parameters {
			// Only what was asked for: SSM answers with the names as given.
			if n, ok := byFull[aws.ToString(p.Name)]; ok {
				params[n] = p
			}
		}
	}
	return params, nil
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

// optionalSecureValue returns an optional SecureString's value and
// whether it exists; like secureValue, it refuses a plain String.
func optionalSecureValue(params map[string]types.Parameter, name, full string) (string, bool, error) {
	if _, ok := params[name]; !ok {
		return "", false, nil
	}
	v, err := secureValue(params, name, full)
	return v, err == nil, err
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
