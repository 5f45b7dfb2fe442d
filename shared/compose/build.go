package compose

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/calendar"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/notify/webhook"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/replies/tag"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/web/hooks"
)

// Ports are the adapters a composition plugs in. Store, Scheduler and
// Clock are always needed; Mailer and Renderer only where mail is sent
// (Renderer is render.New(settings.Brand), passed in so that functions
// that send nothing do not link the renderer and its templates).
type Ports struct {
	Store     store.Store
	Scheduler schedule.Scheduler
	Mailer    mail.Sender
	Renderer  app.Renderer
	Clock     clock.Clock
	// Notifier overrides the alert webhook built from the settings (tests).
	Notifier notify.Notifier
	// Crashpoint is the fault-injection hook (app.Config.Crashpoint).
	Crashpoint func(point string)
	// StreamPlanner: a planner on the table's stream creates the wake-up
	// calls writes add (AWS); see app.Config.StreamPlanner.
	StreamPlanner bool
	// ParseReply reads received email (replies.Inbound), for the
	// compositions that take replies.
	ParseReply app.ReplyParser
	// Messages keeps raw replies, for erasing a person (app.Config.Messages).
	Messages app.MessageStore
	// Counters keeps the report aggregates where they are counted from
	// the table's stream (the planner on AWS, with app.Service.Counting).
	Counters store.Counters
	// Calendar writes pre-arrival emails' .ics files (ical.Write), for
	// the compositions that send them (app.Config.Calendar).
	Calendar func(calendar.Event) ([]byte, error)
}

// Service builds the use cases from settings and ports. A composition
// with a mailer signs links and, when the settings have an alert webhook,
// posts alerts to it; one without still plans the same alert steps (it
// knows whether the webhook exists) but cannot send them.
func Service(s Settings, p Ports, log *slog.Logger) (*app.Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if p.Clock == nil {
		p.Clock = clock.System{}
	}
	cfg := app.Config{
		Store: p.Store, Scheduler: p.Scheduler, Mailer: p.Mailer, Renderer: p.Renderer, Clock: p.Clock,
		Policy: s.Policy, Advice: s.Advice, Calendar: p.Calendar, Log: log, Crashpoint: p.Crashpoint, StreamPlanner: p.StreamPlanner,
		PublicURL: s.PublicURL, From: s.From, ReplyTo: s.ReplyTo, Team: s.Team, TeamMembers: s.TeamMembers, TeamLocale: s.TeamLocale,
		Notifier: p.Notifier, ParseReply: p.ParseReply, ContactKey: s.ContactKey, Messages: p.Messages,
	}
	if len(s.LinkKeys) > 0 {
		signer, err := links.NewSigner(s.LinkKeys...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", LinkSecret, err)
		}
		cfg.Links = signer
		if s.ReplyAddress != "" {
			// Reply addresses are signed with the link keys under their own
			// MAC context, so a reply tag never verifies as a rating link.
			if cfg.ReplyAddresses, err = tag.NewAddresses(s.ReplyAddress, s.LinkKeys...); err != nil {
				return nil, fmt.Errorf("%s: %w", ReplyAddress, err)
			}
		}
	}
	if cfg.Notifier == nil {
		switch {
		case s.AlertWebhookURL != "":
			w, err := webhook.New(s.AlertWebhookURL, s.AlertWebhookSecret, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", AlertWebhookURL, err)
			}
			cfg.Notifier = w
		case s.AlertWebhook:
			// Plans the webhook's alert steps like every other function;
			// posting them is dispatch's job.
			cfg.Notifier = notPosting{}
		}
	}
	return app.New(cfg)
}

// notPosting stands in for the alert webhook in a composition that plans
// alerts but does not post them.
type notPosting struct{}

func (notPosting) Notify(context.Context, notify.Alert) error {
	return fmt.Errorf("compose: this composition plans alerts but does not post them: %w", notify.ErrPermanent)
}

// Webhooks is the handler of POST /webhooks/{provider} for the providers
// the settings mount, on its own (the ingest function serves only it).
// The whole public handler, pages included, is web.New with Mounted's
// providers (the local runtime); compose does not import it, so that
// ingest links no page templates.
func Webhooks(s Settings, svc *app.Service, clk clock.Clock, log *slog.Logger) (http.Handler, error) {
	mounted, unmounted, err := Mounted(s)
	if err != nil {
		return nil, err
	}
	logMounts(log, mounted, unmounted)
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", hooks.New(hooks.Config{Service: svc, Providers: mounted, Clock: clk, Log: log}))
	return mux, nil
}

func logMounts(log *slog.Logger, mounted []providers.Provider, unmounted []Provider) {
	if log == nil {
		return
	}
	for _, p := range mounted {
		log.Info("webhook provider mounted", "provider", p.Name(), "route", "/webhooks/"+p.Name())
	}
	for _, p := range unmounted {
		log.Info("webhook provider not mounted", "provider", p.Name, "route", "/webhooks/"+p.Name, "set", p.Setting)
	}
}
