package awswire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/aftercare/aftercare/shared/awswire/parameters"
	"github.com/aftercare/aftercare/shared/compose"
)

// Env is what a function's main composes from: the AWS configuration, the
// parsed settings and the AWS-only names template.yaml sets.
type Env struct {
	Function Function
	AWS      aws.Config
	Settings compose.Settings
	Log      *slog.Logger

	Table string
	// The scheduler's settings (functions with a scheduler).
	ScheduleGroup, DispatchARN, SchedulerRoleARN, ScheduleDLQARN string
	// SESConfigurationSet is set for functions with a mailer.
	SESConfigurationSet string
}

// Main is the whole of a function's main: read f's settings once per cold
// start, let build compose the handler on the AWS adapters, and serve it.
// An error ends the process with the reason logged, so Lambda reports a
// failed init rather than failing every event.
func Main(f Function, build func(e *Env) (any, error)) {
	log := NewLogger(os.Getenv)
	e, err := Load(context.Background(), f, os.Getenv, nil, log)
	if err == nil {
		var h any
		if h, err = build(e); err == nil {
			lambda.Start(h)
			return
		}
	}
	log.Error("cold start failed", "function", f.Name, "error", err)
	os.Exit(1)
}

// Load reads f's environment and parameters and parses them, reporting
// every problem at once by name (never a value).
func Load(ctx context.Context, f Function, getenv func(string) string, client *http.Client, log *slog.Logger) (*Env, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	var missing []string
	for _, k := range f.RequiredEnv() {
		if get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("awswire: %s function: missing environment variable(s) %s (template.yaml sets them)", f.Name, strings.Join(missing, ", "))
	}
	path := get(EnvSecretsPath)
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("awswire: %s: %w", EnvSecretsPath, err)
	}
	cfg := AWSConfig(getenv)
	params, err := parameters.Get(ctx, cfg, client, fullNames(path, f.Parameters()))
	if err != nil {
		return nil, fmt.Errorf("awswire: %s function: %w", f.Name, err)
	}
	values, err := secretValues(path, params)
	if err != nil {
		return nil, fmt.Errorf("awswire: %s function: %w", f.Name, err)
	}
	s, err := compose.Parse(func(k string) string {
		if v, ok := values[k]; ok {
			return v
		}
		if isSecret(k) {
			return "" // a secret never comes from the environment on AWS
		}
		return getenv(k)
	}, f.Needs())
	if err != nil {
		// compose names settings; on AWS the secret ones are parameters.
		var r []string
		for _, sec := range compose.Secrets {
			r = append(r, sec.Name+" is required", "SSM parameter "+path+"/"+sec.Param+" is missing; create it with: aws ssm put-parameter --type SecureString --name "+path+"/"+sec.Param+" --value …",
				sec.Name, "SSM parameter "+path+"/"+sec.Param)
		}
		return nil, fmt.Errorf("awswire: %s function: %s", f.Name, strings.NewReplacer(r...).Replace(err.Error()))
	}
	e := &Env{
		Function: f, AWS: cfg, Settings: s, Log: log, Table: get(EnvTable),
		ScheduleGroup: get(EnvScheduleGroup), DispatchARN: get(EnvDispatchARN),
		SchedulerRoleARN: get(EnvSchedulerRoleARN), ScheduleDLQARN: get(EnvScheduleDLQARN),
		SESConfigurationSet: get(EnvSESConfigurationSet),
	}
	if log != nil {
		log.InfoContext(ctx, "settings loaded", "function", f.Name, "region", cfg.Region, "table", e.Table,
			"parameters", len(params), "team_email", s.Team.Address != "", "alert_webhook", s.AlertWebhook)
	}
	return e, nil
}

// AWSConfig is the SDK configuration of a Lambda function, from the
// variables Lambda sets: AWS_REGION and the execution role's credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). An
// endpoint override (AWS_ENDPOINT_URL) serves tests and local emulators,
// as the SDK's config package would honour it.
func AWSConfig(getenv func(string) string) aws.Config {
	cfg := aws.Config{
		Region: getenv("AWS_REGION"),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))),
	}
	if cfg.Region == "" {
		cfg.Region = getenv("AWS_DEFAULT_REGION")
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg
}

func fullNames(path string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = path + "/" + n
	}
	return out
}

func isSecret(name string) bool {
	for _, s := range compose.Secrets {
		if s.Name == name {
			return true
		}
	}
	return false
}

// secretValues maps the parameters read to their settings. A secret stored
// as a plain String is refused: it would be readable without KMS and shown
// in clear in the console.
func secretValues(path string, params map[string]parameters.Parameter) (map[string]string, error) {
	values := map[string]string{}
	var errs []error
	for full, p := range params {
		s, ok := compose.SecretByParam(strings.TrimPrefix(full, path+"/"))
		if !ok {
			continue
		}
		if !s.Plain && p.Type != "SecureString" {
			errs = append(errs, fmt.Errorf("SSM parameter %s is a %s; secrets must be SecureString (delete it and put it again with --type SecureString)", full, p.Type))
			continue
		}
		values[s.Name] = p.Value
	}
	return values, errors.Join(errs...)
}

// checkPath accepts a Parameter Store path like /aftercare/prod: absolute
// (template.yaml spells the ARNs as parameter${SecretsPath}/name) and
// without a trailing slash.
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must start with /", p)
	case len(p) > 1 && strings.HasSuffix(p, "/"):
		return fmt.Errorf("%q must not end with /", p)
	case p == "/":
		return fmt.Errorf("%q: use a path of your own, such as /aftercare/prod, not the root", p)
	}
	return nil
}

// NewLogger returns the functions' JSON logger on stdout, at the level
// Lambda's advanced logging controls set (AWS_LAMBDA_LOG_LEVEL).
func NewLogger(getenv func(string) string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel(getenv("AWS_LAMBDA_LOG_LEVEL"))}))
}

func logLevel(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}
