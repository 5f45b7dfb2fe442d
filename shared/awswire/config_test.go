package awswire

import (
	"strings"
	"testing"
)

// env is a complete environment for every function, as template.yaml sets it.
func env() map[string]string {
	return map[string]string{
		EnvTable:               "aftercare-incidents",
		EnvSecretsPath:         "/aftercare/prod",
		EnvPublicURL:           "https://abc123.execute-api.eu-west-1.amazonaws.com/",
		EnvFrom:                "care@seabreeze.example",
		EnvReplyTo:             "team@seabreeze.example",
		EnvBrandName:           "Sea Breeze Tours",
		EnvBrandLink:           "https://seabreeze.example/",
		EnvBrandColor:          "#1f7a8c",
		EnvScheduleGroup:       "aftercare-prod",
		EnvDispatchARN:         "arn:aws:lambda:eu-west-1:123456789012:function:aftercare-dispatch",
		EnvSchedulerRoleARN:    "arn:aws:iam::123456789012:role/aftercare-scheduler",
		EnvScheduleDLQARN:      "arn:aws:sqs:eu-west-1:123456789012:aftercare-schedule-dlq",
		EnvSESConfigurationSet: "aftercare-prod",
		EnvTeamEmail:           "Care desk <desk@seabreeze.example>",
		EnvTeamLocale:          "el",
		EnvReplyAddress:        "care@reply.seabreeze.example",
	}
}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	c, err := ConfigFromEnv(getenv(env()), Ingest)
	if err != nil {
		t.Fatal(err)
	}
	if c.Table != "aftercare-incidents" || c.SecretsPath != "/aftercare/prod" {
		t.Errorf("table %q, path %q", c.Table, c.SecretsPath)
	}
	if c.PublicURL != "https://abc123.execute-api.eu-west-1.amazonaws.com" {
		t.Errorf("public URL %q: the trailing slash should be gone", c.PublicURL)
	}
	if c.From.Address != "care@seabreeze.example" || c.From.Name != "Sea Breeze Tours" {
		t.Errorf("from %+v: a bare address should take the brand name", c.From)
	}
	if c.Schedules.GroupName != "aftercare-prod" || c.Schedules.TargetArn == "" || c.Schedules.RoleArn == "" || c.Schedules.DeadLetterArn == "" {
		t.Errorf("schedules %+v", c.Schedules)
	}
	if c.SES.ConfigurationSet != "" {
		t.Errorf("ingest sends no mail but has SES settings %+v", c.SES)
	}

	d, err := ConfigFromEnv(getenv(env()), Dispatch)
	if err != nil {
		t.Fatal(err)
	}
	// Dispatch reconciles after each send (a survey's reminder, a failed
	// send's retry), so it schedules like the others: toward itself.
	if d.SES.ConfigurationSet != "aftercare-prod" || d.Schedules != c.Schedules {
		t.Errorf("dispatch: SES %+v, schedules %+v, want %+v", d.SES, d.Schedules, c.Schedules)
	}

	p, err := ConfigFromEnv(getenv(env()), Planner)
	if err != nil {
		t.Fatal(err)
	}
	if p.SES.ConfigurationSet != "" {
		t.Errorf("the planner sends no mail but has SES settings %+v", p.SES)
	}
}

func TestConfigFromEnvNamedSender(t *testing.T) {
	e := env()
	e[EnvFrom] = `"Eleni at Sea Breeze" <care@seabreeze.example>`
	c, err := ConfigFromEnv(getenv(e), Respond)
	if err != nil {
		t.Fatal(err)
	}
	if c.From.Name != "Eleni at Sea Breeze" {
		t.Errorf("from name %q", c.From.Name)
	}
}

// Each function needs only its own settings: the planner starts without
// SES's, and none needs the optional team and reply settings; dispatch
// needs the scheduler's as well as SES's.
func TestConfigFromEnvOnlyWhatTheFunctionUses(t *testing.T) {
	e := env()
	for _, k := range []string{EnvReplyTo, EnvBrandName, EnvTeamEmail, EnvTeamLocale, EnvReplyAddress} {
		delete(e, k)
	}
	d, err := ConfigFromEnv(getenv(e), Dispatch)
	if err != nil {
		t.Errorf("dispatch: %v", err)
	}
	if d.Team.Address != "" || d.TeamLocale != DefaultTeamLocale || d.ReplyAddress != "" {
		t.Errorf("defaults: team %+v, locale %q, reply address %q", d.Team, d.TeamLocale, d.ReplyAddress)
	}
	for _, k := range []string{EnvScheduleGroup, EnvDispatchARN, EnvSchedulerRoleARN, EnvScheduleDLQARN, EnvSESConfigurationSet} {
		without := env()
		delete(without, k)
		if _, err := ConfigFromEnv(getenv(without), Dispatch); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("dispatch without %s: %v", k, err)
		}
	}
	e = env()
	delete(e, EnvSESConfigurationSet)
	if _, err := ConfigFromEnv(getenv(e), Planner); err != nil {
		t.Errorf("planner: %v", err)
	}
	if _, err := ConfigFromEnv(getenv(env()), Replies); err != nil {
		t.Errorf("replies: %v", err)
	}
	e = env()
	delete(e, EnvReplyAddress)
	if _, err := ConfigFromEnv(getenv(e), Replies); err == nil || !strings.Contains(err.Error(), EnvReplyAddress) {
		t.Errorf("replies without %s: %v", EnvReplyAddress, err)
	}
}

func TestConfigFromEnvTeamAndReplies(t *testing.T) {
	c, err := ConfigFromEnv(getenv(env()), Respond)
	if err != nil {
		t.Fatal(err)
	}
	if c.Team.Address != "desk@seabreeze.example" || c.Team.Name != "Care desk" || c.TeamLocale != "el" {
		t.Errorf("team %+v, locale %q", c.Team, c.TeamLocale)
	}
	if c.ReplyAddress != "care@reply.seabreeze.example" {
		t.Errorf("reply address %q", c.ReplyAddress)
	}
	if !c.Function.Scheduler || !c.Function.Mailer || !c.Function.Notifier {
		t.Errorf("respond answers, escalates and alerts inline: %+v", c.Function)
	}
}

func TestConfigFromEnvNamesEveryMissingVariable(t *testing.T) {
	for _, f := range Functions {
		t.Run(f.Name, func(t *testing.T) {
			_, err := ConfigFromEnv(getenv(nil), f)
			if err == nil {
				t.Fatal("no error with an empty environment")
			}
			for _, k := range f.RequiredEnv() {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error does not name %s: %v", k, err)
				}
			}
			if !strings.Contains(err.Error(), f.Name) {
				t.Errorf("error does not name the function: %v", err)
			}
		})
	}
}

func TestConfigFromEnvRejects(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"relative path", EnvSecretsPath, "aftercare/prod", EnvSecretsPath},
		{"trailing slash", EnvSecretsPath, "/aftercare/prod/", "must not end with /"},
		{"root path", EnvSecretsPath, "/", "not the root"},
		{"public URL scheme", EnvPublicURL, "abc.execute-api.amazonaws.com", EnvPublicURL},
		{"sender", EnvFrom, "not an address", EnvFrom},
		{"reply-to", EnvReplyTo, "nope", EnvReplyTo},
		{"swapped ARNs", EnvDispatchARN, "arn:aws:iam::123456789012:role/aftercare-scheduler", "is a iam ARN, want lambda"},
		{"not an ARN", EnvScheduleDLQARN, "aftercare-dlq", EnvScheduleDLQARN},
		{"blank", EnvTable, "   ", EnvTable},
		{"team email", EnvTeamEmail, "desk at seabreeze", EnvTeamEmail + " is not an email address"},
		{"team locale", EnvTeamLocale, "not a language!", EnvTeamLocale},
		{"reply address with a tag", EnvReplyAddress, "care+x@reply.seabreeze.example", EnvReplyAddress},
		{"reply address too long", EnvReplyAddress, strings.Repeat("c", 30) + "@reply.seabreeze.example", "leave room for the tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env()
			e[tc.key] = tc.value
			_, err := ConfigFromEnv(getenv(e), Ingest)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s=%q: got %v, want an error containing %q", tc.key, tc.value, err, tc.want)
			}
			if tc.key == EnvTeamEmail && err != nil && strings.Contains(err.Error(), tc.value) {
				t.Errorf("the error repeats the address: %v", err)
			}
		})
	}
}

func TestLogLevel(t *testing.T) {
	for in, want := range map[string]string{"": "INFO", "debug": "DEBUG", "TRACE": "DEBUG", "WARN": "WARN", "FATAL": "ERROR", "bogus": "INFO"} {
		if got := logLevel(in).String(); got != want {
			t.Errorf("logLevel(%q) = %s, want %s", in, got, want)
		}
	}
}
