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
	"github.com/aftercare/aftercare/shared/calendar/ical"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/outbox"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/smtp"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
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
	// mailer and renderer are the service's, for the email preview.
	mailer   mail.Sender
	renderer *render.Renderer
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
	var sender mail.Sender = rt.outbox
	if cfg.SMTPAddr != "" {
		sender = tee{smtp.New(smtp.Config{Addr: cfg.SMTPAddr, Username: cfg.SMTPUser, Password: cfg.SMTPPass}), rt.outbox, log}
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if cfg.Team.Address != "" {
		log.Info("team alerts by email", "locale", cfg.TeamLocale)
	} else {
		log.Info("no team email; set "+EnvTeamEmail+" to email alerts to the team", "set", EnvTeamEmail)
	}
	if cfg.AlertWebhookURL == "" {
		log.Info("no alert webhook; set "+EnvAlertWebhookURL+" to post alerts", "set", EnvAlertWebhookURL)
	} else if cfg.AlertWebhookSecret == "" {
		log.Warn("alert webhook configured without a signature; fine for Slack, but give your own endpoint a secret", "set", EnvAlertWebhookSecret)
	}
	if cfg.ReplyAddress != "" {
		_, domain, _ := strings.Cut(cfg.ReplyAddress, "@")
		log.Info("reply addresses on", "reply_domain", domain, "inbound", "POST /dev/api/inbound")
	}
	// The operator's wording, checked at start (AFTERCARE_COPY).
	copySet, err := i18n.FromJSON(cfg.Settings.CopyOverrides)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvCopy, err)
	}
	rt.mailer, rt.renderer = sender, render.New(cfg.Brand, render.WithCopy(copySet))
	rt.svc, err = compose.Service(cfg.Settings, compose.Ports{
		Store: rt.store, Scheduler: rt.sched, Mailer: sender, Renderer: rt.renderer, Clock: rt.Clock,
		Crashpoint: crashpoint(cfg.CrashAt, log), ParseReply: replies.Inbound, Messages: localMessages{rt.inbox, rt.outbox},
		Calendar: ical.Write,
	}, log)
	if err != nil {
		return nil, err
	}
	// The report aggregates are counted in the same bbolt transaction as
	// each incident write: exactly once, locally inline.
	rt.store.CountWith(rt.svc.Counting())
	if len(cfg.TeamMembers) > 0 {
		log.Info("team dashboard on", "url", cfg.PublicURL+"/team", "members", len(cfg.TeamMembers))
	}
	provs, unmounted, err := compose.Mounted(cfg.Settings)
	if err != nil {
		return nil, err
	}
	for _, p := range provs {
		rt.providers = append(rt.providers, p.Name())
		log.Info("webhook provider mounted", "provider", p.Name(), "route", "/webhooks/"+p.Name())
	}
	for _, p := range unmounted {
		log.Info("webhook provider not mounted", "provider", p.Name, "route", "/webhooks/"+p.Name, "set", p.Setting)
	}
	h := web.New(web.Config{
		Service: rt.svc, Brand: cfg.Brand, Clock: rt.Clock, Log: log,
		Providers: provs, Copy: copySet,
	})
	rt.mountConsole(h)
	rt.handler = h
	// Expired incidents first: nothing is reconciled only to be deleted.
	rt.expire(context.Background())
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

// expireEvery is how often a running runtime applies the retention.
const expireEvery = 6 * time.Hour

// expire applies the retention, as DynamoDB's TTL does on AWS: incidents
// last changed longer ago than the retention go, with the people's
// records of nobody left (suppressions stay).
func (rt *Runtime) expire(ctx context.Context) {
	incs, cons, err := rt.store.Expire(ctx, rt.Clock.Now().Add(-rt.cfg.Retention))
	if err != nil {
		rt.log.Error("applying the retention failed; it is tried again later", "error", err)
		return
	}
	if incs+cons > 0 {
		rt.log.Info("retention applied", "incidents", incs, "contacts", cons, "retention", rt.cfg.Retention.String())
	}
	// Sign-in tokens, sessions and rate-limit windows past their expiry
	// by the runtime's clock (they already read as missing).
	if _, err := rt.store.ExpireEphemera(ctx, rt.Clock.Now()); err != nil {
		rt.log.Error("deleting expired sessions and tokens failed; it is tried again later", "error", err)
	}
}

// recoverLimit bounds the start-up reconcile: the most recently changed
// incidents are the ones a crash can have left half done.
const recoverLimit = 1000

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
	go func() {
		t := time.NewTicker(expireEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				rt.expire(ctx)
			}
		}
	}()
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
