package devenv_test

import (
	"testing"

	"github.com/aftercare/aftercare/infra/local/devenv"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

func TestGetenv(t *testing.T) {
	env := map[string]string{
		compose.TeamEmail:      "  ",
		compose.CalcomSecret:   "mine,old",
		compose.ZendeskSecret:  "OFF",
		compose.BrandName:      "Sea Breeze",
		compose.CalendlySecret: "",
	}
	get := devenv.Getenv(func(k string) string { return env[k] })
	tests := []struct{ name, want string }{
		{compose.TeamEmail, devenv.TeamEmail},           // blank: the default
		{compose.CalcomSecret, "mine,old"},              // set: kept as is
		{compose.ZendeskSecret, ""},                     // off: unset
		{compose.CalendlySecret, devenv.CalendlySecret}, // unset: the default
		{compose.FreshdeskToken, devenv.FreshdeskToken},
		{compose.BrandName, "Sea Breeze"}, // no default: untouched
		{compose.WebhookSecret, ""},       // the runtime defaults it itself
		{compose.AlertWebhookURL, ""},     // no default, unset
	}
	for _, tt := range tests {
		if got := get(tt.name); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestDefaultsAreUsable: the dev defaults pass the same checks as the
// runtime's settings, so `make dev` starts with every provider mounted and
// a team mailbox.
func TestDefaultsAreUsable(t *testing.T) {
	env := map[string]string{
		compose.PublicURL:  "http://127.0.0.1:3000",
		compose.From:       "care@example.com",
		compose.LinkSecret: "0123456789abcdef0123456789abcdef",
		compose.ContactKey: "0123456789abcdef0123456789abcdef",
	}
	get := devenv.Getenv(func(k string) string {
		if k == compose.WebhookSecret {
			return stdwebhooks.DevSecret
		}
		return env[k]
	})
	s, err := compose.Parse(get, compose.All)
	if err != nil {
		t.Fatal(err)
	}
	if s.Team.Address != "team@aftercare.localhost" {
		t.Errorf("team = %q", s.Team.Address)
	}
	mounted, unmounted, err := compose.Mounted(s)
	if err != nil || len(unmounted) != 0 || len(mounted) != len(compose.Providers) {
		t.Fatalf("mounted %d, unmounted %d, %v; want every provider", len(mounted), len(unmounted), err)
	}
}

func TestSecret(t *testing.T) {
	env := map[string]string{compose.CalcomSecret: " new , old ", compose.FreshdeskToken: "off"}
	get := func(k string) string { return env[k] }
	tests := []struct {
		setting, want string
		ok            bool
	}{
		{compose.WebhookSecret, stdwebhooks.DevSecret, true},
		{compose.CalcomSecret, "new", true},
		{compose.CalendlySecret, devenv.CalendlySecret, true},
		{compose.ZendeskSecret, devenv.ZendeskSecret, true},
		{compose.FreshdeskToken, "", false},
	}
	for _, tt := range tests {
		if got, ok := devenv.Secret(get, tt.setting); got != tt.want || ok != tt.ok {
			t.Errorf("Secret(%s) = %q, %v; want %q, %v", tt.setting, got, ok, tt.want, tt.ok)
		}
	}
	env[compose.WebhookSecret] = "whsec_a,whsec_b"
	if got, _ := devenv.Secret(get, compose.WebhookSecret); got != "whsec_a" {
		t.Errorf("native secret = %q, want the first of the list", got)
	}
}
