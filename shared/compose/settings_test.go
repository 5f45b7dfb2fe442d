package compose_test

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

func getter(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func valid() map[string]string {
	return map[string]string{
		compose.PublicURL: "https://care.example.com/", compose.From: "care@example.com", compose.BrandName: "Sea Breeze",
		compose.WebhookSecret: stdwebhooks.DevSecret, compose.LinkSecret: strings.Repeat("k", 32) + ", " + strings.Repeat("o", 32),
		compose.CalcomSecret: "one, two", compose.ContactKey: strings.Repeat("c", 32),
	}
}

func TestParse(t *testing.T) {
	s, err := compose.Parse(getter(valid()), compose.All)
	if err != nil {
		t.Fatal(err)
	}
	if s.PublicURL != "https://care.example.com" || s.From.Name != "Sea Breeze" || len(s.LinkKeys) != 2 || s.TeamLocale != "en" {
		t.Errorf("settings: %+v", s)
	}
	if got := s.ProviderSecrets["calcom"]; len(got) != 2 || got[1] != "two" {
		t.Errorf("calcom secrets = %v", got)
	}
	mounted, unmounted, err := compose.Mounted(s)
	if err != nil || len(mounted) != 2 || mounted[0].Name() != "aftercare" || mounted[1].Name() != "calcom" || len(unmounted) != 3 {
		t.Errorf("mounted %d, unmounted %d, %v", len(mounted), len(unmounted), err)
	}
}

// Every problem at once, each naming its setting, none quoting a secret.
func TestParseReportsEveryProblem(t *testing.T) {
	m := valid()
	m[compose.PublicURL] = "ftp://x"
	m[compose.From] = "not an address"
	m[compose.TeamEmail] = "nobody"
	m[compose.LinkSecret] = "short-secret-value"
	m[compose.WebhookSecret] = "whsec_!!notbase64"
	m[compose.AlertWebhookSecret] = "whsec_c2VjcmV0"
	m[compose.PolicyJSON] = `{"rules": [], "typo": 1}`
	m[compose.FreshdeskToken] = "tiny"
	_, err := compose.Parse(getter(m), compose.All)
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{compose.PublicURL, compose.From, compose.TeamEmail, compose.LinkSecret, compose.WebhookSecret,
		compose.AlertWebhookSecret, compose.PolicyJSON, compose.FreshdeskToken} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	for _, secret := range []string{"short-secret-value", "notbase64", "c2VjcmV0", "tiny"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes a secret (%s):\n%v", secret, err)
		}
	}
}

// A composition only needs what it builds: the planner needs no webhook or
// link secret, but learns whether an alert webhook exists.
func TestParseNeeds(t *testing.T) {
	m := map[string]string{compose.PublicURL: "https://x.example", compose.From: "care@example.com", compose.AlertWebhookURL: "https://hooks.example/abc"}
	s, err := compose.Parse(getter(m), compose.Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.AlertWebhook || s.AlertWebhookURL != "" || s.LinkKeys != nil || s.WebhookSecrets != nil {
		t.Errorf("planner settings hold more than it needs: %+v", s)
	}
	if _, err := compose.Parse(getter(m), compose.Needs{Inbound: true, Links: true}); err == nil || !strings.Contains(err.Error(), compose.ReplyAddress) {
		t.Errorf("replies without a reply address: %v", err)
	}
}

// The operator's wording passes through as given; the compositions that
// write to customers check it at start (i18n.FromJSON, tested there).
func TestParseCopy(t *testing.T) {
	m := valid()
	s, err := compose.Parse(getter(m), compose.All)
	if err != nil || s.CopyOverrides != "" {
		t.Fatalf("no copy: %q, %v", s.CopyOverrides, err)
	}
	m[compose.CopyJSON] = `{"fr": {"thank_you.subject": "Merci pour votre séjour\u00a0!"}}`
	if s, err = compose.Parse(getter(m), compose.All); err != nil || s.CopyOverrides != m[compose.CopyJSON] {
		t.Fatalf("copy: %q, %v", s.CopyOverrides, err)
	}
}
