package awswire

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/ses"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/native"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
	"github.com/aftercare/aftercare/shared/web"
)

// Composed is one function's service and public HTTP handler.
type Composed struct {
	Service *app.Service
	// Handler serves the public routes (webhooks, rating pages); the
	// HTTP functions put it behind API Gateway.
	Handler http.Handler
	// Objects reads inbound mail from S3; set for Function.Inbound.
	Objects ObjectGetter
	Config  Config
}

// ObjectGetter is the part of the S3 client that reads inbound mail
// (lambdah.ObjectGetter has the same method).
type ObjectGetter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ ObjectGetter = (*s3.Client)(nil)

// Compose builds f on AWS: it reads the environment, loads the AWS SDK
// configuration (region and credentials from the Lambda environment), loads
// the secrets from Parameter Store and wires the adapters f uses. Call it
// once per cold start, before lambda.Start.
func Compose(ctx context.Context, f Function, log *slog.Logger) (*Composed, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := ConfigFromEnv(os.Getenv, f)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("awswire: load AWS configuration: %w", err)
	}
	sec, err := LoadSecrets(ctx, ssm.NewFromConfig(awsCfg), cfg.SecretsPath, f)
	if err != nil {
		return nil, err
	}
	ad := Adapters{
		Store: dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Clock: clock.System{},
	}
	if f.Scheduler {
		s, err := eventbridge.New(scheduler.NewFromConfig(awsCfg), cfg.Schedules)
		if err != nil {
			return nil, fmt.Errorf("awswire: %s function: %w", f.Name, err)
		}
		ad.Scheduler = s
	}
	if f.Mailer {
		ad.Mailer = ses.New(sesv2.NewFromConfig(awsCfg), cfg.SES)
	}
	if f.Inbound {
		ad.Objects = s3.NewFromConfig(awsCfg)
	}
	c, err := Assemble(cfg, sec, ad, log)
	if err != nil {
		return nil, err
	}
	// Secrets log as counts only (see Secrets.LogValue).
	// Never an address: the team's and the reply mailbox are only said to
	// be set (the reply domain is not personal data).
	log.InfoContext(ctx, "composed", "function", f.Name, "region", awsCfg.Region, "table", cfg.Table, "secrets", sec,
		"team_email", cfg.Team.Address != "", "team_locale", cfg.TeamLocale, "reply_domain", domainOf(cfg.ReplyAddress))
	return c, nil
}

// domainOf returns the part of an address after the last "@".
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// Adapters are the ports a function runs on. Compose fills them with the
// AWS adapters; tests fill them with the embedded ones, so that they run
// the very composition the functions run.
type Adapters struct {
	Store store.Store
	// Scheduler and Mailer may be nil for a function that does not use
	// them (see Function); a stand-in then refuses every call.
	Scheduler schedule.Scheduler
	Mailer    mail.Sender
	Clock     clock.Clock
	// Objects reads inbound mail; may be nil for a function that does not
	// (a stand-in then refuses every call).
	Objects ObjectGetter
}

// Assemble composes the service and the web handler from settings, secrets
// and adapters, as infra/local does for the local runtime.
func Assemble(cfg Config, sec Secrets, ad Adapters, log *slog.Logger) (*Composed, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := cfg.Function
	if ad.Clock == nil {
		ad.Clock = clock.System{}
	}
	if ad.Scheduler == nil {
		ad.Scheduler = notComposed{fn: f.Name, port: "scheduler"}
	}
	if ad.Mailer == nil {
		ad.Mailer = notComposed{fn: f.Name, port: "mailer"}
	}
	if ad.Objects == nil {
		ad.Objects = notComposed{fn: f.Name, port: "S3 client"}
	}
	signer, err := links.NewSigner(sec.LinkKeys...)
	if err != nil {
		return nil, fmt.Errorf("awswire: %s function: link secret: %w", f.Name, err)
	}
	var provs []providers.Provider
	if f.Webhooks {
		v, err := stdwebhooks.NewVerifier(sec.WebhookSecrets...)
		if err != nil {
			return nil, fmt.Errorf("awswire: %s function: webhook secret: %w", f.Name, err)
		}
		provs = append(provs, native.New(v))
		// The same providers, from the same kind of secrets, as
		// infra/local mounts from its environment.
		for _, tp := range ThirdParties {
			secrets := sec.ProviderSecrets[tp.Name]
			if len(secrets) == 0 {
				log.Info("webhook provider not mounted", "provider", tp.Name, "route", "/webhooks/"+tp.Name, "set", tp.Param)
				continue
			}
			p, err := tp.build(secrets...)
			if err != nil {
				return nil, fmt.Errorf("awswire: %s function: %s: %w", f.Name, tp.Param, err)
			}
			log.Info("webhook provider mounted", "provider", tp.Name, "route", "/webhooks/"+tp.Name, "secrets", len(secrets))
			provs = append(provs, p)
		}
	}
	policy := domain.DefaultPolicy()
	if sec.Policy != nil {
		policy = *sec.Policy
	}
	// Every function must plan the same alert steps, and the plan depends
	// on whether a notifier exists: a function that does not post alerts
	// gets a stand-in when the webhook is configured, so it plans them
	// without holding the webhook's URL or secret.
	var notifier notify.Notifier
	switch {
	case f.Notifier && sec.AlertWebhookURL != "":
		w, err := notify.NewWebhook(sec.AlertWebhookURL, sec.AlertWebhookSecret, nil)
		if err != nil {
			return nil, fmt.Errorf("awswire: %s function: alert webhook: %w", f.Name, err)
		}
		notifier = w
	case f.Notifier && sec.AlertWebhook:
		return nil, fmt.Errorf("awswire: %s function: the alert webhook is configured but its URL was not loaded", f.Name)
	case sec.AlertWebhook:
		notifier = notComposed{fn: f.Name, port: "notifier"}
	}
	var addrs *replies.Addresses
	if cfg.ReplyAddress != "" {
		// Reply addresses are signed with the link keys; replies uses its
		// own MAC context, so a reply tag never verifies as a rating link.
		if addrs, err = replies.NewAddresses(cfg.ReplyAddress, sec.LinkKeys...); err != nil {
			return nil, fmt.Errorf("awswire: %s function: %s: %w", f.Name, EnvReplyAddress, err)
		}
	} else if f.Inbound {
		return nil, fmt.Errorf("awswire: %s function: %s is required", f.Name, EnvReplyAddress)
	}
	svc, err := app.New(app.Config{
		Store: ad.Store, Scheduler: ad.Scheduler, Mailer: ad.Mailer,
		Renderer: render.New(cfg.Brand), Links: signer, Clock: ad.Clock,
		Policy: policy, Log: log,
		PublicURL: cfg.PublicURL, From: cfg.From, ReplyTo: cfg.ReplyTo,
		Team: cfg.Team, TeamLocale: cfg.TeamLocale, Notifier: notifier, ReplyAddresses: addrs,
	})
	if err != nil {
		return nil, fmt.Errorf("awswire: %s function: %w", f.Name, err)
	}
	h := web.New(web.Config{
		Service: svc, Providers: provs, Brand: cfg.Brand, Clock: ad.Clock, Log: log,
	})
	return &Composed{Service: svc, Handler: h, Objects: ad.Objects, Config: cfg}, nil
}

// notComposed stands in for a port a function was not composed with. If a
// future use case starts calling it from that function, the error says
// which function needs which adapter (and, in template.yaml, which
// permissions), instead of an AccessDenied.
type notComposed struct{ fn, port string }

func (n notComposed) err() error {
	return fmt.Errorf("awswire: the %s function is not composed with a %s (see awswire.Function and template.yaml)", n.fn, n.port)
}

func (n notComposed) Create(context.Context, schedule.Schedule) error { return n.err() }
func (n notComposed) Delete(context.Context, string) error            { return n.err() }
func (n notComposed) Send(context.Context, mail.Message) (string, error) {
	return "", n.err()
}
func (n notComposed) Notify(context.Context, notify.Alert) error { return n.err() }
func (n notComposed) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return nil, n.err()
}

var (
	_ schedule.Scheduler = notComposed{}
	_ mail.Sender        = notComposed{}
	_ notify.Notifier    = notComposed{}
	_ ObjectGetter       = notComposed{}
)

// NewLogger returns the functions' JSON logger on stdout, at the level
// Lambda's advanced logging controls set (AWS_LAMBDA_LOG_LEVEL), so that
// template.yaml's ApplicationLogLevel also filters before the log is
// written.
func NewLogger(getenv func(string) string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel(getenv("AWS_LAMBDA_LOG_LEVEL"))}))
}

func logLevel(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}
