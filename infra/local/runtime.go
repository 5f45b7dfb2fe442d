// Package local is the local runtime behind `make dev`: every function's
// handler in one process on embedded adapters — a bbolt store, a persistent
// in-process scheduler and an .eml outbox — plus a dev console, so the whole
// product runs on a laptop with nothing but Go.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/outbox"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/smtp"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/calcom"
	"github.com/aftercare/aftercare/shared/providers/calendly"
	"github.com/aftercare/aftercare/shared/providers/freshdesk"
	"github.com/aftercare/aftercare/shared/providers/native"
	"github.com/aftercare/aftercare/shared/providers/zendesk"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store/bolt"
	"github.com/aftercare/aftercare/shared/web"
)

// Runtime is the composed local product.
type Runtime struct {
	cfg    Config
	log    *slog.Logger
	Clock  *clock.Settable
	store  *bolt.Store
	sched  *localsched.Scheduler
	outbox *outbox.Outbox
	// inbox is where POST /dev/api/inbound keeps the raw replies.
	inbox   string
	svc     *app.Service
	handler http.Handler
	// providers are the mounted webhook providers' names.
	providers []string
}

// Open composes the runtime from its configuration. Close releases it.
func Open(cfg Config, log *slog.Logger) (*Runtime, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	rt := &Runtime{cfg: cfg, log: log, Clock: &clock.Settable{}}
	ok := false
	defer func() {
		if !ok {
			_ = rt.Close()
		}
	}()
	var err error
	if rt.store, err = bolt.Open(filepath.Join(cfg.DataDir, "aftercare.db")); err != nil {
		return nil, err
	}
	if rt.outbox, err = outbox.New(filepath.Join(cfg.DataDir, "outbox")); err != nil {
		return nil, err
	}
	rt.inbox = filepath.Join(cfg.DataDir, "inbound")
	if err := os.MkdirAll(rt.inbox, 0o700); err != nil {
		return nil, fmt.Errorf("inbound directory: %w", err)
	}
	// The scheduler fires into the service, which needs the scheduler:
	// the closure breaks the cycle.
	target := func(ctx context.Context, f schedule.Fire) error {
		_, err := rt.svc.Dispatch(ctx, f)
		return err
	}
	if rt.sched, err = localsched.Open(filepath.Join(cfg.DataDir, "schedules.db"), rt.Clock, target, log); err != nil {
		return nil, err
	}
	key, err := linkKey(cfg)
	if err != nil {
		return nil, err
	}
	signer, err := links.NewSigner(key)
	if err != nil {
		return nil, err
	}
	verifier, err := stdwebhooks.NewVerifier(cfg.WebhookSecrets...)
	if err != nil {
		return nil, fmt.Errorf("AFTERCARE_WEBHOOK_SECRET: %w", err)
	}
	var sender mail.Sender = rt.outbox
	if cfg.SMTPAddr != "" {
		sender = tee{smtp.New(smtp.Config{Addr: cfg.SMTPAddr, Username: cfg.SMTPUser, Password: cfg.SMTPPass}), rt.outbox, log}
	}
	notifier, err := alertWebhook(cfg, log)
	if err != nil {
		return nil, err
	}
	addrs, err := replyAddresses(cfg, key, log)
	if err != nil {
		return nil, err
	}
	if cfg.Team.Address != "" {
		log.Info("team alerts by email", "locale", cfg.TeamLocale)
	} else {
		log.Info("no team email; set "+EnvTeamEmail+" to email alerts to the team", "set", EnvTeamEmail)
	}
	policy := cfg.Policy
	policy.ClaimLease = cfg.ClaimLease
	rt.svc, err = app.New(app.Config{
		Store: rt.store, Scheduler: rt.sched, Mailer: sender, Renderer: render.New(cfg.Brand),
		Links: signer, Clock: rt.Clock, Policy: policy, Log: log, Crashpoint: crashpoint(cfg.CrashAt, log),
		PublicURL: cfg.PublicURL, From: cfg.From, ReplyTo: cfg.ReplyTo,
		Team: cfg.Team, TeamLocale: cfg.TeamLocale, Notifier: notifier, ReplyAddresses: addrs,
	})
	if err != nil {
		return nil, err
	}
	provs, err := webhookProviders(cfg, verifier, log)
	if err != nil {
		return nil, err
	}
	for _, p := range provs {
		rt.providers = append(rt.providers, p.Name())
	}
	h := web.New(web.Config{
		Service: rt.svc, Brand: cfg.Brand, Clock: rt.Clock, Log: log,
		Providers: provs,
	})
	rt.mountConsole(h)
	rt.handler = h
	if err := rt.recoverWork(context.Background()); err != nil {
		log.Error("reconciling at start failed; the next change retries", "error", err)
	}
	ok = true
	return rt, nil
}

// crashpoint returns the hook that kills the process at the named crash
// point, or nil. SIGKILL, not an exit: no deferred call, no flush, no
// closing of files runs, as in a power cut or an out-of-memory kill.
func crashpoint(at string, log *slog.Logger) func(string) {
	if at == "" {
		return nil
	}
	log.Warn("fault injection: the process will kill itself at a crash point", "crash_at", at)
	return func(point string) {
		if point != at {
			return
		}
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}

// recoverWork reconciles the most recently changed incidents at start:
// the local counterpart of the DynamoDB stream on AWS. If the process died
// between storing an incident and scheduling its follow-ups (a webhook, an
// answer, a send), this creates what is missing; where nothing is, it
// writes nothing.
func (rt *Runtime) recoverWork(ctx context.Context) error {
	incs, err := rt.store.List(ctx, recoverLimit)
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	var errs []error
	for _, inc := range incs {
		if err := rt.svc.Reconcile(ctx, inc); err != nil {
			errs = append(errs, err)
		}
	}
	rt.log.Info("reconciled recent incidents at start", "incidents", len(incs))
	return errors.Join(errs...)
}

// recoverLimit bounds the start-up reconcile: the most recently changed
// incidents are the ones a crash can have left half done.
const recoverLimit = 1000

// alertWebhook builds the outbound alert webhook, if one is configured.
// The log names its host only: the path of a chat webhook URL is its
// secret.
func alertWebhook(cfg Config, log *slog.Logger) (notify.Notifier, error) {
	if cfg.AlertWebhookURL == "" {
		log.Info("no alert webhook; set "+EnvAlertWebhookURL+" to post alerts", "set", EnvAlertWebhookURL)
		return nil, nil
	}
	w, err := notify.NewWebhook(cfg.AlertWebhookURL, cfg.AlertWebhookSecret, nil)
	if err != nil {
		return nil, fmt.Errorf("%s / %s: %w", EnvAlertWebhookURL, EnvAlertWebhookSecret, err)
	}
	if w.Signed() {
		log.Info("alert webhook configured", "webhook", w.String(), "signed", true)
	} else {
		log.Warn("alert webhook configured without a signature; fine for Slack, but give your own endpoint a secret",
			"webhook", w.String(), "signed", false, "set", EnvAlertWebhookSecret)
	}
	return w, nil
}

// replyAddresses builds the signed reply addresses: on the configured
// mailbox, else on the sender's, signed with the link key (the replies
// package signs under its own context, so a reply tag can never pass for
// a rating link or the other way round). The log names the domain only.
func replyAddresses(cfg Config, key []byte, log *slog.Logger) (*replies.Addresses, error) {
	base := cfg.ReplyAddress
	if strings.EqualFold(base, ReplyAddressOff) {
		log.Info("reply addresses off; replies cannot be matched to incidents", "set", EnvReplyAddress)
		return nil, nil
	}
	derived := base == ""
	if derived {
		base = cfg.From.Address
	}
	a, err := replies.NewAddresses(base, key)
	if err != nil && derived {
		// Only a setting the operator made may stop the start; a sender
		// whose mailbox cannot carry the tag just means no reply routing.
		log.Warn("reply addresses off: the sender's mailbox cannot carry them; set "+EnvReplyAddress+" to a short mailbox",
			"reason", err.Error())
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvReplyAddress, err)
	}
	_, domain, _ := strings.Cut(a.Base(), "@")
	log.Info("reply addresses on", "reply_domain", domain, "inbound", "POST /dev/api/inbound")
	return a, nil
}

// webhookProviders builds the native provider and every third-party one
// that has a secret. The log says which are mounted and, for the others,
// which variable would mount them: an unmounted provider's route answers
// 404 "unknown provider", and the operator should not have to guess why.
// A secret that is set but unusable stops the start, naming the variable.
func webhookProviders(cfg Config, verifier *stdwebhooks.Verifier, log *slog.Logger) ([]providers.Provider, error) {
	provs := []providers.Provider{native.New(verifier)}
	for _, tp := range []struct {
		name, env string
		secrets   []string
		build     func(...string) (providers.Provider, error)
	}{
		{calcom.Name, EnvCalcomSecret, cfg.CalcomSecrets, func(s ...string) (providers.Provider, error) { return calcom.New(s...) }},
		{calendly.Name, EnvCalendlySecret, cfg.CalendlySecrets, func(s ...string) (providers.Provider, error) { return calendly.New(s...) }},
		{zendesk.Name, EnvZendeskSecret, cfg.ZendeskSecrets, func(s ...string) (providers.Provider, error) { return zendesk.New(s...) }},
		{freshdesk.Name, EnvFreshdeskToken, cfg.FreshdeskTokens, func(s ...string) (providers.Provider, error) { return freshdesk.New(s...) }},
	} {
		if len(tp.secrets) == 0 {
			log.Info("webhook provider not mounted", "provider", tp.name, "route", "/webhooks/"+tp.name, "set", tp.env)
			continue
		}
		p, err := tp.build(tp.secrets...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tp.env, err)
		}
		log.Info("webhook provider mounted", "provider", tp.name, "route", "/webhooks/"+tp.name, "secrets", len(tp.secrets))
		provs = append(provs, p)
	}
	return provs, nil
}

// Providers names the mounted webhook providers, native first, for the
// start-up banner.
func (rt *Runtime) Providers() []string { return slices.Clone(rt.providers) }

// Handler serves the public routes and the dev console.
func (rt *Runtime) Handler() http.Handler { return rt.handler }

// Service is the composed use cases, for tests.
func (rt *Runtime) Service() *app.Service { return rt.svc }

// Serve runs the scheduler loop and the HTTP server on ln until ctx ends.
func (rt *Runtime) Serve(ctx context.Context, ln net.Listener) error {
	rt.sched.Start(ctx)
	srv := &http.Server{
		Handler:           rt.handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close releases the files.
func (rt *Runtime) Close() error {
	var errs []error
	if rt.sched != nil {
		errs = append(errs, rt.sched.Close())
	}
	if rt.store != nil {
		errs = append(errs, rt.store.Close())
	}
	return errors.Join(errs...)
}

// tee sends through a real mailer and keeps a copy in the outbox, so the
// dev console shows what went out over SMTP too.
type tee struct {
	primary mail.Sender
	copy    *outbox.Outbox
	log     *slog.Logger
}

func (t tee) Send(ctx context.Context, m mail.Message) (string, error) {
	// The copy is written after the real send succeeded, so finding it
	// means this is a retry after a crash: the message already went out.
	if name, ok := t.copy.Sent(m); ok {
		return name, nil
	}
	id, err := t.primary.Send(ctx, m)
	if err != nil {
		return "", err
	}
	// The real send succeeded; a missing copy is not worth a retry.
	if _, cerr := t.copy.Send(ctx, m); cerr != nil {
		t.log.WarnContext(ctx, "outbox copy failed", "error", cerr)
	}
	return id, nil
}
