// Package devenv holds what `make dev` assumes when a variable is unset, so
// that a newcomer sees the whole product at once: a team mailbox, so that a
// bad answer visibly produces the team alert and the customer's
// acknowledgement in the outbox, and a published secret for every webhook
// provider, so that infra/cmd/post-webhook can sign any provider's sample
// without a hand-made signature.
//
// The defaults apply to the aftercare-local command only (what `make dev`
// runs), never to the tests' runtimes, the admin tool or the functions on
// AWS: there an unset variable keeps meaning "none". Every default is
// public and therefore worthless outside a laptop. Any of these variables
// set to "off" turns its default off (no team email, provider not mounted).
//
// It is a package of its own so that post-webhook reads the very same
// values without linking the runtime.
package devenv

import (
	"strings"

	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// TeamEmail is where `make dev` sends team alerts unless
// AFTERCARE_TEAM_EMAIL says otherwise. The .localhost domain is reserved
// (RFC 2606), so even a misconfigured SMTP relay cannot deliver it.
const TeamEmail = "Aftercare team <team@aftercare.localhost>"

// Off, as the value of a variable that has a dev default, turns the default
// off: the variable then counts as unset.
const Off = "off"

// Provider secrets `make dev` mounts /webhooks/{calcom,calendly,zendesk,
// freshdesk} with. They are published here, like stdwebhooks.DevSecret,
// and so protect nothing: set the variables to real secrets (or "off")
// before exposing the runtime to a provider.
const (
	CalcomSecret   = "dev-calcom-secret"
	CalendlySecret = "dev-calendly-signing-key"
	ZendeskSecret  = "dev-zendesk-signing-secret"
	FreshdeskToken = "dev-freshdesk-token-0123456789"
)

// Defaults maps each variable that has a dev default to that default. The
// native webhook's dev secret (stdwebhooks.DevSecret) is the local
// runtime's own default, applied whether or not it runs as `make dev`.
var Defaults = map[string]string{
	compose.TeamEmail:      TeamEmail,
	compose.CalcomSecret:   CalcomSecret,
	compose.CalendlySecret: CalendlySecret,
	compose.ZendeskSecret:  ZendeskSecret,
	compose.FreshdeskToken: FreshdeskToken,
}

// Getenv returns getenv with the dev defaults applied: an unset (or blank)
// variable that has a default reads as the default, and one set to "off"
// reads as unset.
func Getenv(getenv func(string) string) func(string) string {
	return func(k string) string {
		v := getenv(k)
		def, ok := Defaults[k]
		switch t := strings.TrimSpace(v); {
		case !ok:
			return v
		case strings.EqualFold(t, Off):
			return ""
		case t == "":
			return def
		}
		return v
	}
}

// Secret is the secret post-webhook signs a provider's deliveries with:
// the first of the variable's comma-separated values (the newest while
// rotating), else the dev default, exactly as `make dev` reads it. ok is
// false when the variable is "off", so the runtime does not mount the
// provider.
func Secret(getenv func(string) string, setting string) (secret string, ok bool) {
	if setting == compose.WebhookSecret {
		if list := compose.List(getenv(setting)); len(list) > 0 {
			return list[0], true
		}
		return stdwebhooks.DevSecret, true
	}
	list := compose.List(Getenv(getenv)(setting))
	if len(list) == 0 {
		return "", false
	}
	return list[0], true
}
