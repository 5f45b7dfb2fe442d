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
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Config is the local runtime's configuration: the settings every
// composition shares (compose.Settings, read here from the environment and
// files rather than from Parameter Store), plus what only a laptop has.
type Config struct {
	compose.Settings

	Addr    string
	DataDir string
	// UsingDevSecret is true when no webhook secret was configured and the
	// well-known dev secret is in use; the runtime says so at start.
	UsingDevSecret bool
	SMTPAddr       string
	SMTPUser       string
	SMTPPass       string
	// CrashAt names a crash point (app.CrashPoints) at which the process
	// kills itself, the way a power cut or an out-of-memory kill would
	// (AFTERCARE_CRASH_AT). It exists for the fault-injection tests.
	CrashAt string
	// Warnings are said at start (a setting that was set aside).
	Warnings []string
	// Retention is how long after its last change an incident is kept
	// (AFTERCARE_RETENTION, default 400d, as the DynamoDB TTL on AWS).
	Retention time.Duration
}

// DefaultRetention is dynamo.DefaultRetention (a test holds them equal),
// spelt here so that the local runtime links no DynamoDB client.
const DefaultRetention = 400 * 24 * time.Hour

// ReplyAddressOff, as AFTERCARE_REPLY_ADDRESS, sends email without signed
// reply addresses (AFTERCARE_REPLY_TO is then the Reply-To).
const ReplyAddressOff = "off"

// Environment variables of the local runtime; those that are settings
// carry compose's names, the functions' too.
const (
	EnvCalcomSecret       = compose.CalcomSecret
	EnvCalendlySecret     = compose.CalendlySecret
	EnvZendeskSecret      = compose.ZendeskSecret
	EnvFreshdeskToken     = compose.FreshdeskToken
	EnvTeamEmail          = compose.TeamEmail
	EnvTeamLocale         = compose.TeamLocale
	EnvAlertWebhookURL    = compose.AlertWebhookURL
	EnvAlertWebhookSecret = compose.AlertWebhookSecret
	EnvReplyAddress       = compose.ReplyAddress
	// EnvPolicy is the path of a policy JSON file (on AWS the policy
	// parameter holds the JSON itself).
	EnvPolicy = "AFTERCARE_POLICY"
	// EnvAdvice is the path of a pre-arrival advice JSON file (on AWS the
	// advice parameter holds the JSON itself).
	EnvAdvice = "AFTERCARE_ADVICE"
	// EnvCopy is the path of the operator's wording, i18n.Overrides as
	// JSON (on AWS the copy parameter holds the JSON itself).
	EnvCopy = "AFTERCARE_COPY"
)

// ConfigFromEnv reads the configuration:
//
//	AFTERCARE_ADDR            listen address (127.0.0.1:3000)
//	AFTERCARE_DATA            data directory (.aftercare/)
//	AFTERCARE_PUBLIC_URL      base of links in emails (http://<addr>)
//	AFTERCARE_WEBHOOK_SECRET  whsec_… secret(s) for /webhooks/aftercare, comma-separated (dev default)
//	AFTERCARE_LINK_SECRET     key for signing links, ≥32 bytes (generated into <data>/link.key)
//	AFTERCARE_CONTACT_KEY     key of people's record keys, ≥32 bytes, never rotated (generated into <data>/contact.key)
//	AFTERCARE_FROM            sender, e.g. "Sea Breeze Tours <care@example.com>"
//	AFTERCARE_REPLY_TO        Reply-To address (none)
//	AFTERCARE_BRAND_NAME, AFTERCARE_BRAND_LINK, AFTERCARE_BRAND_LOGO, AFTERCARE_BRAND_COLOR
//	AFTERCARE_POLICY          path of a policy JSON file (embedded default)
//	AFTERCARE_ADVICE          path of a pre-arrival advice JSON file (none)
//	AFTERCARE_COPY            path of a JSON file of your own wording per language, {"de": {"thank_you.subject": "…"}} (none)
//	AFTERCARE_RETENTION       how long after its last change an incident is kept (400d)
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
//
// Every setting is checked by compose.Parse, which reports every problem at
// once; the link key file in the data directory is created on first start.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	or := func(k, def string) string {
		if v := env(k); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Addr:     or("AFTERCARE_ADDR", "127.0.0.1:3000"),
		DataDir:  or("AFTERCARE_DATA", ".aftercare"),
		SMTPAddr: env("AFTERCARE_SMTP_ADDR"),
		SMTPUser: env("AFTERCARE_SMTP_USER"),
		SMTPPass: env("AFTERCARE_SMTP_PASSWORD"),
		CrashAt:  env("AFTERCARE_CRASH_AT"),
	}
	c.Retention = DefaultRetention
	if v := env("AFTERCARE_RETENTION"); v != "" {
		d, err := domain.ParseDuration(v)
		if err != nil || d < 24*time.Hour {
			return Config{}, fmt.Errorf("AFTERCARE_RETENTION %q: want a duration of at least a day, such as 400d", v)
		}
		c.Retention = d
	}
	if c.CrashAt != "" && !slices.Contains(app.CrashPoints, c.CrashAt) {
		return Config{}, fmt.Errorf("AFTERCARE_CRASH_AT %q is not one of %s", c.CrashAt, strings.Join(app.CrashPoints, ", "))
	}
	// The laptop's defaults: a sample brand, links to this address, the
	// published dev secret.
	values := map[string]string{
		compose.BrandName:  or(compose.BrandName, "Sea Breeze Tours"),
		compose.BrandLink:  or(compose.BrandLink, "https://example.com/"),
		compose.BrandColor: or(compose.BrandColor, "#1f7a8c"),
		compose.PublicURL:  or(compose.PublicURL, "http://"+c.Addr),
	}
	values[compose.From] = or(compose.From, values[compose.BrandName]+" <care@example.com>")
	if env(compose.WebhookSecret) == "" {
		values[compose.WebhookSecret], c.UsingDevSecret = stdwebhooks.DevSecret, true
	}
	if path := env(EnvPolicy); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvPolicy, err)
		}
		values[compose.PolicyJSON] = string(b)
	}
	if path := env(EnvAdvice); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvAdvice, err)
		}
		values[compose.AdviceJSON] = string(b)
	}
	if path := env(EnvCopy); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvCopy, err)
		}
		values[compose.CopyJSON] = string(b)
	}
	// Keys the laptop keeps in the data directory, made on first start, so
	// that links in emails, and people's records, survive restarts.
	for setting, file := range map[string]string{compose.LinkSecret: "link.key", compose.ContactKey: "contact.key"} {
		if env(setting) == "" {
			key, err := keyFile(c.DataDir, file)
			if err != nil {
				return Config{}, err
			}
			values[setting] = key
		}
	}
	// Replies are routed by default, on the sender's mailbox; a sender too
	// long for the tag turns routing off with a warning, but the same
	// value set explicitly is refused (compose.Parse names it).
	switch ra := env(EnvReplyAddress); {
	case strings.EqualFold(ra, ReplyAddressOff):
		values[EnvReplyAddress] = ""
		c.Warnings = append(c.Warnings, "reply addresses off; replies cannot be matched to incidents")
	case ra == "":
		if from, err := netmail.ParseAddress(values[compose.From]); err == nil {
			if _, err := replies.NewAddresses(from.Address, make([]byte, replies.MinKeyLen)); err == nil {
				values[EnvReplyAddress] = from.Address
			} else {
				c.Warnings = append(c.Warnings, "reply addresses off: the sender's mailbox cannot carry them; set "+EnvReplyAddress+" to a short mailbox ("+err.Error()+")")
			}
		}
	}
	s, err := compose.Parse(func(k string) string {
		if v, ok := values[k]; ok {
			return v
		}
		return getenv(k)
	}, compose.All)
	if err != nil {
		return Config{}, err
	}
	c.Settings = s
	return c, nil
}

// keyFile returns the key kept in the data directory under name, creating
// it on first start.
func keyFile(dataDir, name string) (string, error) {
	path := filepath.Join(dataDir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < links.MinKeyLen/2 {
			return "", fmt.Errorf("%s is damaged; delete it to make a new one (old links, or people's records, are lost)", path)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate %s: %w", name, err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return hex.EncodeToString(key), nil
}
