package compose

import (
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/calcom"
	"github.com/aftercare/aftercare/shared/providers/calendly"
	"github.com/aftercare/aftercare/shared/providers/freshdesk"
	"github.com/aftercare/aftercare/shared/providers/native"
	"github.com/aftercare/aftercare/shared/providers/zendesk"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// Provider is one webhook format in the registry: its name (the route
// POST /webhooks/{name}), the setting that holds its secrets, and how to
// build it from them. Adding a provider is its package, one line here,
// its parameter in template.yaml, and its docs.
type Provider struct {
	Name    string
	Setting string
	New     func(secrets ...string) (providers.Provider, error)
}

// Providers is the registry. The native format comes first and is always
// mounted (its secret is required); the others are mounted when their
// secret is set, and answer 404 "unknown provider" otherwise.
var Providers = []Provider{
	{native.Name, WebhookSecret, func(s ...string) (providers.Provider, error) {
		v, err := stdwebhooks.NewVerifier(s...)
		if err != nil {
			return nil, err
		}
		return native.New(v), nil
	}},
	{calcom.Name, CalcomSecret, func(s ...string) (providers.Provider, error) { return calcom.New(s...) }},
	{calendly.Name, CalendlySecret, func(s ...string) (providers.Provider, error) { return calendly.New(s...) }},
	{zendesk.Name, ZendeskSecret, func(s ...string) (providers.Provider, error) { return zendesk.New(s...) }},
	{freshdesk.Name, FreshdeskToken, func(s ...string) (providers.Provider, error) { return freshdesk.New(s...) }},
}

// Mounted builds the providers the settings enable, native first, and
// names those left out (with the setting that would mount them), for the
// start-up log.
func Mounted(s Settings) (mounted []providers.Provider, unmounted []Provider, err error) {
	for i, p := range Providers {
		secrets := s.ProviderSecrets[p.Name]
		if i == 0 {
			secrets = s.WebhookSecrets
		}
		if len(secrets) == 0 {
			unmounted = append(unmounted, p)
			continue
		}
		built, err := p.New(secrets...)
		if err != nil {
			return nil, nil, err // Parse checked them; a defect if reached
		}
		mounted = append(mounted, built)
	}
	return mounted, unmounted, nil
}
