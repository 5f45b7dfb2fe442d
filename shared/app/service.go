// Package app holds Aftercare's use cases: ingest an event, reconcile an
// incident's schedules with its plan, dispatch a due step, record an answer.
// Each works only through the ports, so the Lambda functions and the local
// runtime run the very same code on different adapters.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/advice"
	"github.com/aftercare/aftercare/shared/calendar"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/replies/tag"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store"
)

// Renderer turns a step into a branded, localised email.
type Renderer interface {
	Has(template string) bool
	// Render takes a context because a renderer may be remote (on AWS,
	// respond renders through the dispatch function, which links hermes).
	Render(ctx context.Context, req draft.Request) (draft.Rendered, error)
}

// LinkSigner signs the tokens in rating links and verifies them when a
// customer clicks; links.Signer (HMAC, key rotation) is the implementation.
type LinkSigner interface {
	Sign(c links.Claims) string
	Verify(token string, now time.Time) (links.Claims, error)
}

var _ LinkSigner = (*links.Signer)(nil)

// Config wires a Service to its adapters and settings.
type Config struct {
	Store     store.Store
	Scheduler schedule.Scheduler
	Mailer    mail.Sender
	Renderer  Renderer
	Links     LinkSigner
	Clock     clock.Clock
	Policy    domain.Policy
	Log       *slog.Logger
	// Advice is the operator's pre-arrival advice, which the pre_arrival
	// email shows for the booking it matches (nil: none).
	Advice *advice.Advice
	// Calendar writes a booking's .ics file (ical.Write), attached to the
	// pre-arrival email. The compositions that send pre-arrival emails
	// set it (dispatch, the local runtime); without it the email goes
	// without the file, and the others link no iCalendar library.
	Calendar func(calendar.Event) ([]byte, error)

	// PublicURL is the base of links in emails, e.g. https://care.example.com.
	PublicURL string
	// From is the sender of follow-ups; ReplyTo, when set, where replies go.
	From    netmail.Address
	ReplyTo string
	// AnswerWindow is how long rating links work, and so how long a
	// customer can change an answer. Default 14 days.
	AnswerWindow time.Duration

	// Team is where alerts about negative answers and replies go; empty
	// means no team email. TeamLocale is the language of those emails.
	Team       netmail.Address
	TeamLocale string
	// TeamMembers are the addresses that may sign in to the team's
	// dashboard (the team list); empty means no dashboard. The store must
	// then be a store.Team.
	TeamMembers []string
	// Notifier, when set, also posts each alert (e.g. an outbound webhook).
	Notifier notify.Notifier
	// ReplyAddresses, when set, gives every email a signed per-incident
	// Reply-To, so that replies find their incident.
	ReplyAddresses *tag.Addresses
	// ParseReply reads a received email (the Reply use case). It is given
	// by the compositions that read mail (shared/replies.Inbound), so that
	// the others link no MIME parser.
	ParseReply ReplyParser

	// ContactKey, when set, keeps a record per person (domain.Contact,
	// keyed by ContactKey(key, address)): Ingest records who an incident
	// is for and Dispatch spends the person's survey budget. Without it
	// nobody's surveys are throttled.
	ContactKey []byte
	// Messages keeps the raw messages replies were read from (the local
	// inbox; on AWS the inbound bucket, reached by the admin command).
	// Erasing a person deletes theirs; without it their references are
	// reported as kept.
	Messages MessageStore

	// StreamPlanner says a planner on the table's stream creates the
	// wake-up calls a write adds (AWS; Incident.Replan flags those
	// writes), so the use cases only delete what a write made obsolete.
	// Without it (the local runtime) they create them inline too.
	StreamPlanner bool

	// Crashpoint, when set, is called at each named point between two
	// writes (the Crash… constants). The fault-injection tests kill the
	// process there to prove nothing is lost or doubled; production leaves
	// it nil.
	Crashpoint func(point string)
}

// Crash points: the moments between two writes where a process that dies
// must leave work that something else finishes.
const (
	// CrashAfterStore: an event is stored, its schedules not reconciled.
	CrashAfterStore = "after-store"
	// CrashAfterClaim: a step is claimed, nothing rendered or sent.
	CrashAfterClaim = "after-claim"
	// CrashAfterRender: the message is built, not sent.
	CrashAfterRender = "after-render"
	// CrashAfterSend: the provider accepted the message, the send is not recorded.
	CrashAfterSend = "after-send"
	// CrashAfterRecord: the send is recorded, its follow-ups not reconciled.
	CrashAfterRecord = "after-record"
)

// CrashPoints lists every crash point, for the fault-injection suite.
var CrashPoints = []string{CrashAfterStore, CrashAfterClaim, CrashAfterRender, CrashAfterSend, CrashAfterRecord}

func (s *Service) crash(point string) {
	if s.cfg.Crashpoint != nil {
		s.cfg.Crashpoint(point)
	}
}

// builtinTemplates are the emails Aftercare sends on its own account.
var builtinTemplates = []string{domain.ReminderTemplate, "acknowledgement", "team_alert", "recovery", "team_signin", "team_message", "loyalty_note", "missed_you"}

// Service runs the use cases.
type Service struct {
	cfg Config
	log *slog.Logger
	// canSend: composed with a mailer, so urgent steps go out inline.
	canSend bool
}

// DefaultAnswerWindow is how long a rating link works by default.
const DefaultAnswerWindow = 14 * 24 * time.Hour

// New checks the configuration once at start, so that a policy naming a
// template that does not exist fails the deploy, not the first follow-up.
//
// Store and Clock are always required, and so is a Scheduler: every use
// case reconciles. Mailer, Renderer and Links go together: a composition
// that sends mail (dispatch, and the functions that dispatch urgent
// alerts inline) needs all three; one that does not (ingest, the planner)
// may leave all three out and then links neither the renderer nor its
// templates. Links alone suffice to verify rating links.
func New(cfg Config) (*Service, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Store": cfg.Store != nil, "Scheduler": cfg.Scheduler != nil, "Clock": cfg.Clock != nil,
		"Renderer (with a Mailer)": cfg.Mailer == nil || cfg.Renderer != nil,
		"Links (with a Mailer)":    cfg.Mailer == nil || cfg.Links != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("app: missing %s", strings.Join(missing, ", "))
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if cfg.Renderer != nil {
		for _, r := range cfg.Policy.Rules {
			for _, s := range r.Steps {
				if !cfg.Renderer.Has(s.Template) {
					return nil, fmt.Errorf("app: policy step %q names template %q, which does not exist", s.ID, s.Template)
				}
			}
		}
		for _, t := range builtinTemplates {
			if !cfg.Renderer.Has(t) {
				return nil, fmt.Errorf("app: the renderer lacks the built-in template %q", t)
			}
		}
	}
	canSend := cfg.Mailer != nil
	if !canSend {
		cfg.Mailer = unavailable{"mailer"}
	}
	if cfg.Renderer == nil {
		// A renderer without a mailer still serves: the replies function
		// renders the email a reply answers to recognise a copy of it.
		cfg.Renderer = unavailable{"renderer"}
	}
	if cfg.Links == nil {
		cfg.Links = unavailable{"link signer"}
	}
	if cfg.From.Address == "" {
		return nil, errors.New("app: a sender address (From) is required")
	}
	if !strings.HasPrefix(cfg.PublicURL, "http://") && !strings.HasPrefix(cfg.PublicURL, "https://") {
		return nil, fmt.Errorf("app: public URL %q must start with http:// or https://", cfg.PublicURL)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.AnswerWindow <= 0 {
		cfg.AnswerWindow = DefaultAnswerWindow
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	// Plan only alerts somebody can receive.
	cfg.Policy.Alerts = domain.Alerts{Email: cfg.Team.Address != "", Webhook: cfg.Notifier != nil}
	return &Service{cfg: cfg, log: cfg.Log, canSend: canSend}, nil
}

// unavailable stands in for a port a composition left out: every call
// fails, naming it, so a use case run where it cannot be (a send from
// ingest) says so instead of crashing.
type unavailable struct{ port string }

func (u unavailable) err() error { return fmt.Errorf("app: this composition has no %s", u.port) }

func (u unavailable) Send(context.Context, mail.Message) (string, error) { return "", u.err() }
func (u unavailable) Has(string) bool                                    { return false }
func (u unavailable) Render(context.Context, draft.Request) (draft.Rendered, error) {
	return draft.Rendered{}, u.err()
}
func (u unavailable) Sign(links.Claims) string { return "unavailable" }
func (u unavailable) Verify(string, time.Time) (links.Claims, error) {
	return links.Claims{}, u.err()
}

var (
	_ mail.Sender = unavailable{}
	_ Renderer    = unavailable{}
	_ LinkSigner  = unavailable{}
)

// Policy returns the policy in force, for the dev console and reports.
func (s *Service) Policy() domain.Policy { return s.cfg.Policy }

// PublicURL is the base of every link Aftercare writes, for the pages.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }
