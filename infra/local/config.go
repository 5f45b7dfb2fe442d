package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/render"
	"golang.org/x/text/language"

	"github.com/aftercare/aftercare/shared/providers/hookutil"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Config is the local runtime's configuration; ConfigFromEnv documents the
// environment variables behind each field.
type Config struct {
	Addr      string
	DataDir   string
	PublicURL string
	// WebhookSecrets verify the native webhook; two may be active at once
	// (comma-separated in the environment) while a sender rotates.
	WebhookSecrets []string
	// LinkKey signs rating links; kept in <data>/link.key when not given so
	// links in emails keep working across restarts.
	LinkKey  []byte
	From     netmail.Address
	ReplyTo  string
	Brand    render.Brand
	Policy   domain.Policy
	SMTPAddr string
	SMTPUser string
	SMTPPass string
	// UsingDevSecret is true when no webhook secret was configured and the
	// well-known dev secret is in use; the runtime says so at start.
	UsingDevSecret bool
	// Secrets of the third-party webhook providers, two at once while
	// rotating. A provider without one is not mounted (its route answers
	// 404): unlike the native endpoint there is no dev default, because
	// these secrets are shared with a real outside system.
	CalcomSecrets   []string
	CalendlySecrets []string
	ZendeskSecrets  []string
	FreshdeskTokens []string

	// Team receives alerts about negative answers and replies by email;
	// zero means no team email. TeamLocale is their language (default en).
	Team       netmail.Address
	TeamLocale string
	// AlertWebhookURL, when set, also receives every alert as a JSON POST
	// (a Slack incoming webhook works as it is), signed with
	// AlertWebhookSecret when that is set.
	AlertWebhookURL    string
	AlertWebhookSecret string
	// ReplyAddress is the base mailbox of the signed per-incident Reply-To
	// addresses (care+<step>-<token>@example.com). Empty means the From
	// address; ReplyAddressOff turns them off, leaving ReplyTo.
	ReplyAddress string

	// ClaimLease is how long a claimed step may stay "sending" before it
	// is taken over (AFTERCARE_CLAIM_LEASE; default domain.DefaultClaimLease).
	// Only the fault-injection tests shorten it.
	ClaimLease time.Duration
	// CrashAt names a crash point (app.CrashPoints) at which the process
	// kills itself, the way a power cut or an out-of-memory kill would
	// (AFTERCARE_CRASH_AT). It exists for the fault-injection tests.
	CrashAt string
}

// ReplyAddressOff, as AFTERCARE_REPLY_ADDRESS, sends email without signed
// reply addresses (AFTERCARE_REPLY_TO is then the Reply-To).
const ReplyAddressOff = "off"

// DefaultTeamLocale is the team's language when AFTERCARE_TEAM_LOCALE is
// not set.
const DefaultTeamLocale = "en"

// Environment variables holding the third-party providers' secrets.
const (
	EnvCalcomSecret   = "AFTERCARE_CALCOM_SECRET"
	EnvCalendlySecret = "AFTERCARE_CALENDLY_SECRET"
	EnvZendeskSecret  = "AFTERCARE_ZENDESK_SECRET"
	EnvFreshdeskToken = "AFTERCARE_FRESHDESK_TOKEN"
)

// Environment variables of alerts and replies.
const (
	EnvTeamEmail          = "AFTERCARE_TEAM_EMAIL"
	EnvTeamLocale         = "AFTERCARE_TEAM_LOCALE"
	EnvAlertWebhookURL    = "AFTERCARE_ALERT_WEBHOOK_URL"
	EnvAlertWebhookSecret = "AFTERCARE_ALERT_WEBHOOK_SECRET"
	EnvReplyAddress       = "AFTERCARE_REPLY_ADDRESS"
)

// ConfigFromEnv reads the configuration:
//
//	AFTERCARE_ADDR            listen address (127.0.0.1:3000)
//	AFTERCARE_DATA            data directory (.aftercare/)
//	AFTERCARE_PUBLIC_URL      base of links in emails (http://<addr>)
//	AFTERCARE_WEBHOOK_SECRET  whsec_… secret(s) for /webhooks/aftercare, comma-separated (dev default)
//	AFTERCARE_LINK_SECRET     key for signing rating links, ≥32 bytes (generated into <data>/link.key)
//	AFTERCARE_FROM            sender, e.g. "Sea Breeze Tours <care@example.com>"
//	AFTERCARE_REPLY_TO        Reply-To address (none)
//	AFTERCARE_BRAND_NAME, AFTERCARE_BRAND_LINK, AFTERCARE_BRAND_LOGO, AFTERCARE_BRAND_COLOR
//	AFTERCARE_POLICY          path of a policy JSON file (embedded default)
//	AFTERCARE_SMTP_ADDR       host:port of an SMTP server; mail is sent there as well as to the outbox
//	AFTERCARE_SMTP_USER, AFTERCARE_SMTP_PASSWORD
//	AFTERCARE_CALCOM_SECRET    Cal.com webhook secret(s), comma-separated (unset: /webhooks/calcom not mounted)
//	AFTERCARE_CALENDLY_SECRET  Calendly subscription signing key(s) (unset: /webhooks/calendly not mounted)
//	AFTERCARE_ZENDESK_SECRET   Zendesk webhook signing secret(s) (unset: /webhooks/zendesk not mounted)
//	AFTERCARE_FRESHDESK_TOKEN  token(s) Freshdesk automations send, ≥16 characters (unset: /webhooks/freshdesk not mounted)
//	AFTERCARE_TEAM_EMAIL       where alerts about negative answers and replies go (unset: no team email)
//	AFTERCARE_TEAM_LOCALE      language of the team's emails (en)
//	AFTERCARE_ALERT_WEBHOOK_URL     also post every alert here, e.g. a Slack incoming webhook (none)
//	AFTERCARE_ALERT_WEBHOOK_SECRET  whsec_… secret signing those posts (unsigned)
//	AFTERCARE_REPLY_ADDRESS    base mailbox of signed reply addresses (the From address; "off": none)
//	AFTERCARE_CLAIM_LEASE      how long a step may stay "sending" before it is taken over (15m; for tests)
//	AFTERCARE_CRASH_AT         kill the process at this crash point (for the fault-injection tests only)
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Addr:     get("AFTERCARE_ADDR", "127.0.0.1:3000"),
		DataDir:  get("AFTERCARE_DATA", ".aftercare"),
		ReplyTo:  get("AFTERCARE_REPLY_TO", ""),
		SMTPAddr: get("AFTERCARE_SMTP_ADDR", ""),
		SMTPUser: get("AFTERCARE_SMTP_USER", ""),
		SMTPPass: get("AFTERCARE_SMTP_PASSWORD", ""),
		Brand: render.Brand{
			Name:  get("AFTERCARE_BRAND_NAME", "Sea Breeze Tours"),
			Link:  get("AFTERCARE_BRAND_LINK", "https://example.com/"),
			Logo:  get("AFTERCARE_BRAND_LOGO", ""),
			Color: get("AFTERCARE_BRAND_COLOR", "#1f7a8c"),
		},
	}
	c.PublicURL = get("AFTERCARE_PUBLIC_URL", "http://"+c.Addr)
	if s := get("AFTERCARE_WEBHOOK_SECRET", ""); s != "" {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				c.WebhookSecrets = append(c.WebhookSecrets, part)
			}
		}
	} else {
		c.WebhookSecrets, c.UsingDevSecret = []string{stdwebhooks.DevSecret}, true
	}
	c.CalcomSecrets = hookutil.SplitSecrets(getenv(EnvCalcomSecret))
	c.CalendlySecrets = hookutil.SplitSecrets(getenv(EnvCalendlySecret))
	c.ZendeskSecrets = hookutil.SplitSecrets(getenv(EnvZendeskSecret))
	c.FreshdeskTokens = hookutil.SplitSecrets(getenv(EnvFreshdeskToken))
	// Errors name the variable, never the address or the URL (whose path
	// is a chat webhook's secret).
	if v := get(EnvTeamEmail, ""); v != "" {
		a, err := netmail.ParseAddress(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s is not an email address", EnvTeamEmail)
		}
		c.Team = *a
	}
	c.TeamLocale = get(EnvTeamLocale, DefaultTeamLocale)
	if _, err := language.Parse(c.TeamLocale); err != nil {
		return Config{}, fmt.Errorf("%s %q is not a BCP 47 language tag such as en or es-ES", EnvTeamLocale, c.TeamLocale)
	}
	c.AlertWebhookURL = get(EnvAlertWebhookURL, "")
	c.AlertWebhookSecret = get(EnvAlertWebhookSecret, "")
	if c.AlertWebhookSecret != "" && c.AlertWebhookURL == "" {
		return Config{}, fmt.Errorf("%s is set but %s is not", EnvAlertWebhookSecret, EnvAlertWebhookURL)
	}
	c.ReplyAddress = get(EnvReplyAddress, "")
	if c.ReplyAddress != "" && !strings.EqualFold(c.ReplyAddress, ReplyAddressOff) {
		if _, err := replies.NewAddresses(c.ReplyAddress, make([]byte, replies.MinKeyLen)); err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvReplyAddress, err)
		}
	}
	if k := get("AFTERCARE_LINK_SECRET", ""); k != "" {
		if len(k) < links.MinKeyLen {
			return Config{}, fmt.Errorf("AFTERCARE_LINK_SECRET must be at least %d characters", links.MinKeyLen)
		}
		c.LinkKey = []byte(k)
	}
	from, err := netmail.ParseAddress(get("AFTERCARE_FROM", c.Brand.Name+" <care@example.com>"))
	if err != nil {
		return Config{}, fmt.Errorf("AFTERCARE_FROM: %w", err)
	}
	c.From = *from
	if v := get("AFTERCARE_CLAIM_LEASE", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("AFTERCARE_CLAIM_LEASE %q is not a positive duration such as 15m", v)
		}
		c.ClaimLease = d
	}
	c.CrashAt = get("AFTERCARE_CRASH_AT", "")
	if c.CrashAt != "" && !slices.Contains(app.CrashPoints, c.CrashAt) {
		return Config{}, fmt.Errorf("AFTERCARE_CRASH_AT %q is not one of %s", c.CrashAt, strings.Join(app.CrashPoints, ", "))
	}
	c.Policy = domain.DefaultPolicy()
	if path := get("AFTERCARE_POLICY", ""); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("AFTERCARE_POLICY: %w", err)
		}
		if c.Policy, err = domain.ParsePolicy(b); err != nil {
			return Config{}, fmt.Errorf("AFTERCARE_POLICY %s: %w", path, err)
		}
	}
	return c, nil
}

// linkKey returns the configured key or the one kept in the data directory,
// creating it on first start.
func linkKey(c Config) ([]byte, error) {
	if len(c.LinkKey) > 0 {
		return c.LinkKey, nil
	}
	path := filepath.Join(c.DataDir, "link.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < links.MinKeyLen {
			return nil, fmt.Errorf("%s is damaged; delete it to make a new one (old links stop working)", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read link key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate link key: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write link key: %w", err)
	}
	return key, nil
}
