// Package compose is Aftercare's one composition root. The AWS functions
// (shared/awswire) and the local runtime (infra/local) differ only in
// where settings come from (Parameter Store and the environment; the
// environment and files) and which adapters they plug in: both hand the
// raw values to Parse, which checks them all and reports every problem at
// once, and build the use cases and HTTP handlers with Service, Webhooks
// and Web, from one registry of providers.
//
// It imports no cloud SDK and no adapter: a Lambda function that composes
// only what it calls links only those clients.
package compose

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/aftercare/aftercare/shared/advice"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/notify/webhook"
	"github.com/aftercare/aftercare/shared/replies/tag"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Setting names: the environment variables of the local runtime and of the
// functions. Secret ones are Parameter Store parameters on AWS: Param
// gives the parameter's name under the secrets path (see Secrets).
const (
	PublicURL    = "AFTERCARE_PUBLIC_URL"    // base of links in emails, http(s)://…
	From         = "AFTERCARE_FROM"          // sender, "care@example.com" or "Name <care@example.com>"
	ReplyTo      = "AFTERCARE_REPLY_TO"      // optional Reply-To
	BrandName    = "AFTERCARE_BRAND_NAME"    // the brand of emails and pages
	BrandLink    = "AFTERCARE_BRAND_LINK"    //
	BrandLogo    = "AFTERCARE_BRAND_LOGO"    //
	BrandColor   = "AFTERCARE_BRAND_COLOR"   //
	TeamEmail    = "AFTERCARE_TEAM_EMAIL"    // the team list, comma-separated: alerts go to the first, all may sign in; optional
	TeamLocale   = "AFTERCARE_TEAM_LOCALE"   // their language, BCP 47 (en)
	ReplyAddress = "AFTERCARE_REPLY_ADDRESS" // base mailbox of signed reply addresses; optional
	ClaimLease   = "AFTERCARE_CLAIM_LEASE"   // how long a step may stay "sending" (15m)

	// Secrets (and the policy, which lives with them on AWS).
	WebhookSecret      = "AFTERCARE_WEBHOOK_SECRET"       // whsec_… secret(s) of the native webhook
	LinkSecret         = "AFTERCARE_LINK_SECRET"          // key(s) signing links, ≥ 32 characters, newest first
	ContactKey         = "AFTERCARE_CONTACT_KEY"          // key of the people's record keys, ≥ 32 characters; never rotated
	PolicyJSON         = "AFTERCARE_POLICY_JSON"          // the follow-up policy as JSON; default policy if empty
	AdviceJSON         = "AFTERCARE_ADVICE_JSON"          // the pre-arrival advice file as JSON (package advice); none if empty
	CopyJSON           = "AFTERCARE_COPY_JSON"            // the operator's own wording, i18n.Overrides as JSON; none if empty
	AlertWebhookURL    = "AFTERCARE_ALERT_WEBHOOK_URL"    // also post alerts here (Slack works as is)
	AlertWebhookSecret = "AFTERCARE_ALERT_WEBHOOK_SECRET" // whsec_… secret signing those posts
	CalcomSecret       = "AFTERCARE_CALCOM_SECRET"
	CalendlySecret     = "AFTERCARE_CALENDLY_SECRET"
	ZendeskSecret      = "AFTERCARE_ZENDESK_SECRET"
	FreshdeskToken     = "AFTERCARE_FRESHDESK_TOKEN"
)

// Secret is a setting kept in Parameter Store on AWS.
type Secret struct {
	// Name is the setting (an environment variable name locally).
	Name string
	// Param is the parameter's name under the secrets path.
	Param string
	// Plain says a String parameter is fine (the policy is not secret);
	// the others must be SecureStrings.
	Plain bool
}

// Secrets lists the settings that are parameters on AWS.
var Secrets = []Secret{
	{Name: WebhookSecret, Param: "webhook-secret"},
	{Name: LinkSecret, Param: "link-secret"},
	{Name: ContactKey, Param: "contact-key"},
	{Name: PolicyJSON, Param: "policy", Plain: true},
	{Name: AdviceJSON, Param: "advice", Plain: true},
	{Name: CopyJSON, Param: "copy", Plain: true},
	{Name: CalcomSecret, Param: "calcom-secret"},
	{Name: CalendlySecret, Param: "calendly-secret"},
	{Name: ZendeskSecret, Param: "zendesk-secret"},
	{Name: FreshdeskToken, Param: "freshdesk-token"},
	{Name: AlertWebhookURL, Param: "alert-webhook-url"},
	{Name: AlertWebhookSecret, Param: "alert-webhook-secret"},
}

// SecretByParam finds a secret by its parameter name.
func SecretByParam(param string) (Secret, bool) {
	for _, s := range Secrets {
		if s.Param == param {
			return s, true
		}
	}
	return Secret{}, false
}

// Needs says which parts a composition builds, and so which settings it
// requires: a function that takes no webhooks needs no webhook secret.
type Needs struct {
	// Webhooks: it verifies and ingests webhooks.
	Webhooks bool
	// Links: it signs or verifies links (rating, team, unsubscribe) or
	// reply addresses.
	Links bool
	// Alerts: it posts team alerts to the alert webhook itself (others
	// only need to know whether one is configured, to plan alike).
	Alerts bool
	// Inbound: it reads replies, so it needs the reply address.
	Inbound bool
	// Contacts: it keeps the people behind incidents (the survey budget),
	// so it needs the contact key.
	Contacts bool
}

// All is what the local runtime needs: everything.
var All = Needs{Webhooks: true, Links: true, Alerts: true, Inbound: false, Contacts: true}

// Settings are the parsed, checked settings every composition shares.
type Settings struct {
	PublicURL string
	From      netmail.Address
	ReplyTo   string
	Brand     draft.Brand
	Policy    domain.Policy
	// CopyOverrides is the operator's wording as JSON (CopyJSON), "" for
	// none. The compositions that write to customers turn it into their
	// catalogs at start with i18n.FromJSON, which checks it and stops the
	// start on a bad key or placeholder; it is not parsed here, so that
	// the functions that write to nobody link no catalog.
	CopyOverrides string
	// Team receives alerts by email (zero: none), in TeamLocale: the first
	// address of the team list. TeamMembers is the whole list (TeamEmail,
	// comma-separated): who may sign in to the dashboard.
	Team        netmail.Address
	TeamMembers []string
	TeamLocale  string
	// ReplyAddress is the base mailbox of signed reply addresses; "" none.
	ReplyAddress string
	// WebhookSecrets verify the native webhook (two while rotating).
	WebhookSecrets []string
	// LinkKeys sign (the first) and verify (any) links and reply addresses.
	LinkKeys [][]byte
	// ContactKey keys the hash that identifies a person (domain.ContactKey).
	// Changing it loses every person's record, so it is never rotated.
	ContactKey []byte
	// ProviderSecrets are the third-party providers' secrets, by name.
	ProviderSecrets map[string][]string
	// AlertWebhook says an alert webhook is configured; URL and secret are
	// kept only by compositions that post alerts.
	AlertWebhook       bool
	AlertWebhookURL    string
	AlertWebhookSecret string
	// ClaimLease overrides domain.DefaultClaimLease (tests only).
	ClaimLease time.Duration
	// Advice is the operator's pre-arrival advice (nil: none).
	Advice *advice.Advice
}

// DefaultTeamLocale is the language of the team's emails when unset.
const DefaultTeamLocale = "en"

// Parse checks raw settings (get returns "" for an unset one) for a
// composition with the given needs and reports every problem at once,
// each naming its setting and never quoting a secret or an address.
func Parse(get func(name string) string, need Needs) (Settings, error) {
	v := func(k string) string { return strings.TrimSpace(get(k)) }
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	s := Settings{
		PublicURL:    strings.TrimRight(v(PublicURL), "/"),
		ReplyTo:      v(ReplyTo),
		TeamLocale:   v(TeamLocale),
		ReplyAddress: v(ReplyAddress),
		Brand:        draft.Brand{Name: v(BrandName), Link: v(BrandLink), Logo: v(BrandLogo), Color: v(BrandColor)},
	}
	if !strings.HasPrefix(s.PublicURL, "https://") && !strings.HasPrefix(s.PublicURL, "http://") {
		bad("%s %q must start with https:// (or http:// on a laptop)", PublicURL, s.PublicURL)
	}
	if from, err := netmail.ParseAddress(v(From)); err != nil {
		bad("%s is not an email address: %v", From, err)
	} else {
		if from.Name == "" {
			from.Name = s.Brand.Name // a bare address reads as the brand
		}
		s.From = *from
	}
	if s.ReplyTo != "" {
		if _, err := netmail.ParseAddressList(s.ReplyTo); err != nil {
			bad("%s is not an address list", ReplyTo)
		}
	}
	for i, team := range List(v(TeamEmail)) {
		a, err := netmail.ParseAddress(team)
		if err != nil {
			bad("%s: item %d is not an email address", TeamEmail, i+1)
			continue
		}
		if i == 0 {
			s.Team = *a
		}
		s.TeamMembers = append(s.TeamMembers, a.Address)
	}
	if s.TeamLocale == "" {
		s.TeamLocale = DefaultTeamLocale
	} else if _, err := language.Parse(s.TeamLocale); err != nil {
		bad("%s %q is not a BCP 47 language tag such as en or es-ES", TeamLocale, domain.Quote(s.TeamLocale))
	}
	if s.ReplyAddress != "" {
		if _, err := tag.NewAddresses(s.ReplyAddress, make([]byte, tag.MinKeyLen)); err != nil {
			bad("%s: %v", ReplyAddress, err)
		}
	} else if need.Inbound {
		bad("%s is required to receive replies", ReplyAddress)
	}
	if d := v(ClaimLease); d != "" {
		lease, err := time.ParseDuration(d)
		if err != nil || lease <= 0 {
			bad("%s %q is not a positive duration such as 15m", ClaimLease, domain.Quote(d))
		}
		s.ClaimLease = lease
	}
	s.Policy = domain.DefaultPolicy()
	if js := v(PolicyJSON); js != "" {
		p, err := domain.ParsePolicy([]byte(js))
		if err != nil {
			bad("%s: %v", PolicyJSON, err)
		}
		s.Policy = p
	}
	s.Policy.ClaimLease = s.ClaimLease
	if js := v(AdviceJSON); js != "" {
		a, err := advice.Parse([]byte(js))
		if err != nil {
			bad("%s: %v", AdviceJSON, err)
		}
		s.Advice = a
	}
	s.CopyOverrides = v(CopyJSON)

	if need.Webhooks {
		s.WebhookSecrets = List(v(WebhookSecret))
		if _, err := stdwebhooks.NewVerifier(s.WebhookSecrets...); err != nil {
			bad("%s: %v", WebhookSecret, err)
		}
		for _, p := range Providers[1:] {
			list := List(v(p.Setting))
			if len(list) == 0 {
				continue
			}
			if _, err := p.New(list...); err != nil {
				bad("%s: %v", p.Setting, err)
				continue
			}
			if s.ProviderSecrets == nil {
				s.ProviderSecrets = map[string][]string{}
			}
			s.ProviderSecrets[p.Name] = list
		}
	}
	if need.Links || need.Inbound {
		for i, k := range List(v(LinkSecret)) {
			if len(k) < links.MinKeyLen {
				bad("%s: key %d is %d characters, want at least %d", LinkSecret, i+1, len(k), links.MinKeyLen)
				continue
			}
			s.LinkKeys = append(s.LinkKeys, []byte(k))
		}
		if len(s.LinkKeys) == 0 && v(LinkSecret) == "" {
			bad("%s is required", LinkSecret)
		}
	}
	if need.Contacts {
		switch k := v(ContactKey); {
		case k == "":
			bad("%s is required", ContactKey)
		case len(k) < links.MinKeyLen:
			bad("%s is %d characters, want at least %d", ContactKey, len(k), links.MinKeyLen)
		default:
			s.ContactKey = []byte(k)
		}
	}
	url, secret := v(AlertWebhookURL), v(AlertWebhookSecret)
	s.AlertWebhook = url != ""
	if need.Alerts {
		switch {
		case secret != "" && url == "":
			bad("%s is set but %s is not", AlertWebhookSecret, AlertWebhookURL)
		case url != "":
			// webhook's errors name the URL's scheme and host at most, never
			// its path (a chat webhook's token) nor the secret.
			if _, err := webhook.New(url, secret, nil); err != nil {
				bad("%s / %s: %v", AlertWebhookURL, AlertWebhookSecret, err)
			}
			s.AlertWebhookURL, s.AlertWebhookSecret = url, secret
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// List splits a comma-separated list, dropping blanks, so that "new, old"
// (a secret being rotated) and a trailing newline from a pasted value work.
func List(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
