package awswire

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store/bolt"
)

type nopMailer struct{}

func (nopMailer) Send(context.Context, mail.Message) (string, error) { return "msg-1", nil }

// adapters returns embedded adapters in a temporary directory.
func adapters(t *testing.T, clk clock.Clock) Adapters {
	t.Helper()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "aftercare.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sc, err := localsched.Open(filepath.Join(dir, "schedules.db"), clk,
		func(context.Context, schedule.Fire) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Close() })
	return Adapters{Store: st, Scheduler: sc, Mailer: nopMailer{}, Clock: clk}
}

func testSecrets() Secrets {
	return Secrets{WebhookSecrets: []string{stdwebhooks.DevSecret}, LinkKeys: [][]byte{[]byte(testLinkKey)}}
}

const completedBody = `{"type":"booking.completed","occurred_at":"2026-11-20T17:30:00Z",
 "customer":{"email":"maria@example.com","name":"María","time_zone":"Europe/Madrid"},
 "booking":{"ref":"BK-1","title":"Sunset sailing","starts_at":"2026-11-20T15:00:00Z","ends_at":"2026-11-20T17:30:00Z"}}`

func signedWebhook(t *testing.T, now time.Time) *http.Request {
	t.Helper()
	sig, err := stdwebhooks.Sign(stdwebhooks.DevSecret, "msg_1", now, []byte(completedBody))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/aftercare", bytes.NewReader([]byte(completedBody)))
	r.Header.Set(stdwebhooks.HeaderID, "msg_1")
	r.Header.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	r.Header.Set(stdwebhooks.HeaderSignature, sig)
	return r
}

func TestAssembleIngest(t *testing.T) {
	now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	cfg, err := ConfigFromEnv(getenv(env()), Ingest)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Assemble(cfg, testSecrets(), adapters(t, clock.NewFrozen(now)), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	c.Handler.ServeHTTP(w, signedWebhook(t, now))
	if w.Code != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", w.Code, w.Body)
	}
}

// A function composed without a port gets a stand-in that names what is
// missing, and no webhook provider unless it takes webhooks.
func TestAssembleLeavesOutUnusedPorts(t *testing.T) {
	now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	cfg, err := ConfigFromEnv(getenv(env()), Respond)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Function = Function{Name: "respond"} // as if it used neither
	if err != nil {
		t.Fatal(err)
	}
	ad := adapters(t, clock.NewFrozen(now))
	ad.Scheduler, ad.Mailer = nil, nil
	c, err := Assemble(cfg, Secrets{LinkKeys: [][]byte{[]byte(testLinkKey)}}, ad, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	c.Handler.ServeHTTP(w, signedWebhook(t, now))
	if w.Code != http.StatusNotFound {
		t.Errorf("respond answered a webhook with %d, want 404 (no providers)", w.Code)
	}
	_, err = c.Service.Ingest(context.Background(), domain.Event{
		ID: "e1", Provider: "aftercare", Type: domain.EventType("booking.completed"), Ref: "BK-1",
		OccurredAt: now.Add(-time.Hour), Customer: domain.Customer{Email: "maria@example.com"},
	})
	if err == nil || !strings.Contains(err.Error(), "respond function is not composed with a scheduler") {
		t.Errorf("reconcile in respond: %v", err)
	}
	if _, err := (notComposed{fn: "respond", port: "mailer"}).Send(context.Background(), mail.Message{}); err == nil {
		t.Error("stand-in mailer sent")
	}
	if _, err := c.Objects.GetObject(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "not composed with a S3 client") {
		t.Errorf("stand-in S3 client: %v", err)
	}
}

type failingMailer struct{}

func (failingMailer) Send(context.Context, mail.Message) (string, error) {
	return "", errors.New("SES throttled the call") // not permanent: worth a retry
}

// Dispatch reconciles after every send: a sent survey schedules its
// reminder, a failed send its retry, at once rather than when the stream
// planner catches up. Composed with the ports Compose gives it, it must do
// so without a "not composed with a scheduler" error. (Dispatch cannot
// run without one at all: every claim is guarded by a wake-up call for the
// end of its lease, created before the claim.)
func TestAssembleDispatchSchedulesInline(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fn     Function
		mailer mail.Sender
		next   string // the step scheduled next; empty: none
	}{
		{"sent", Dispatch, nopMailer{}, "thanks-1-r"},     // the survey's reminder
		{"failed", Dispatch, failingMailer{}, "thanks-1"}, // the retry, later
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
			clk := clock.NewFrozen(now)
			dir := t.TempDir()
			st, err := bolt.Open(filepath.Join(dir, "aftercare.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			var dispatch *Composed
			sc, err := localsched.Open(filepath.Join(dir, "schedules.db"), clk, func(ctx context.Context, f schedule.Fire) error {
				_, err := dispatch.Service.Dispatch(ctx, f)
				return err
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sc.Close() })

			ingest := assemble(t, Ingest, Adapters{Store: st, Scheduler: sc, Clock: clk}, nil)
			var logs bytes.Buffer
			// The ports Compose gives the function, and no others.
			ad := Adapters{Store: st, Clock: clk}
			if tc.fn.Scheduler {
				ad.Scheduler = sc
			}
			if tc.fn.Mailer {
				ad.Mailer = tc.mailer
			}
			dispatch = assemble(t, tc.fn, ad, slog.New(slog.NewTextHandler(&logs, nil)))

			w := httptest.NewRecorder()
			ingest.Handler.ServeHTTP(w, signedWebhook(t, now))
			if w.Code != http.StatusAccepted {
				t.Fatalf("webhook: %d %s", w.Code, w.Body)
			}
			first, err := sc.List()
			if err != nil || len(first) != 1 {
				t.Fatalf("after ingest: %+v %v", first, err)
			}
			clk.Set(first[0].At)
			if r, err := sc.RunNow(context.Background(), first[0].Name); err != nil || r.Err != nil {
				t.Fatalf("dispatch: %+v %v", r, err)
			}
			next, err := sc.List()
			if err != nil {
				t.Fatal(err)
			}
			var steps []string
			for _, e := range next {
				if e.Name == first[0].Name || e.IncidentID != first[0].IncidentID {
					t.Errorf("unexpected schedule after the fire: %+v", e)
				}
				steps = append(steps, e.Step)
			}
			failed := strings.Contains(logs.String(), "not composed with a scheduler")
			if tc.next != "" && (len(steps) != 1 || steps[0] != tc.next || failed) {
				t.Errorf("dispatch scheduled %v inline, want [%s]; log:\n%s", steps, tc.next, logs.String())
			}
		})
	}
}

func assemble(t *testing.T, f Function, ad Adapters, log *slog.Logger) *Composed {
	t.Helper()
	cfg, err := ConfigFromEnv(getenv(env()), f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Assemble(cfg, testSecrets(), ad, log)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return c
}

func TestAssembleMountsThirdPartyProviders(t *testing.T) {
	cfg, err := ConfigFromEnv(getenv(env()), Ingest)
	if err != nil {
		t.Fatal(err)
	}
	sec := testSecrets()
	sec.ProviderSecrets = map[string][]string{"calcom": {"calcom-secret-value-0123456789"}, "freshdesk": {"freshdesk-token-value-0123456789"}}
	c, err := Assemble(cfg, sec, adapters(t, clock.System{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"calcom": http.StatusUnauthorized, "freshdesk": http.StatusUnauthorized, "calendly": http.StatusNotFound, "zendesk": http.StatusNotFound} {
		w := httptest.NewRecorder()
		c.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhooks/"+name, strings.NewReader(`{}`)))
		if w.Code != want {
			t.Errorf("unsigned POST /webhooks/%s: %d, want %d (%s)", name, w.Code, want, w.Body)
		}
	}
}

// Whether alerts go by email and by webhook decides which steps are
// planned, so every function must see the same channels, whether or not
// it delivers alerts itself.
func TestAssemblePlansTheSameAlertsEverywhere(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hook.Close)
	for _, team := range []bool{false, true} {
		for _, webhook := range []bool{false, true} {
			for _, f := range Functions {
				e := env()
				if !team {
					delete(e, EnvTeamEmail)
				}
				cfg, err := ConfigFromEnv(getenv(e), f)
				if err != nil {
					t.Fatal(err)
				}
				sec := testSecrets()
				if webhook {
					sec.AlertWebhook = true
					if f.Notifier {
						sec.AlertWebhookURL = hook.URL
					}
				}
				c, err := Assemble(cfg, sec, adapters(t, clock.System{}), nil)
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				if got := c.Service.Policy().Alerts; got.Email != team || got.Webhook != webhook {
					t.Errorf("%s with team email %v, webhook %v: plans alerts %+v", f.Name, team, webhook, got)
				}
			}
		}
	}
	// A function that posts alerts must have the URL when it is configured.
	cfg, _ := ConfigFromEnv(getenv(env()), Dispatch)
	sec := testSecrets()
	sec.AlertWebhook = true
	if _, err := Assemble(cfg, sec, adapters(t, clock.System{}), nil); err == nil {
		t.Error("dispatch composed without the webhook URL it must post to")
	}
}

func TestAssembleReplies(t *testing.T) {
	cfg, err := ConfigFromEnv(getenv(env()), Replies)
	if err != nil {
		t.Fatal(err)
	}
	ad := adapters(t, clock.System{})
	c, err := Assemble(cfg, testSecrets(), ad, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Configured: a message to some other mailbox is dropped as not ours,
	// not because replies are off.
	res, err := c.Service.Reply(context.Background(), []byte("From: a@example.com\r\nTo: someone@example.com\r\nSubject: hi\r\n\r\nhello\r\n"), "s3://b/inbound/x")
	if err != nil || res.Outcome != "dropped" || !strings.Contains(res.Reason, "no reply address of ours") {
		t.Errorf("reply: %+v %v", res, err)
	}
	cfg.ReplyAddress = ""
	if _, err := Assemble(cfg, testSecrets(), ad, nil); err == nil || !strings.Contains(err.Error(), EnvReplyAddress) {
		t.Errorf("replies without a reply address: %v", err)
	}
}

func TestAssembleUsesThePolicyFromSecrets(t *testing.T) {
	cfg, err := ConfigFromEnv(getenv(env()), Planner)
	if err != nil {
		t.Fatal(err)
	}
	p, err := domain.ParsePolicy([]byte(`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"x","template":"satisfaction","survey":"csat","delay":"1h"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	sec := testSecrets()
	sec.Policy = &p
	c, err := Assemble(cfg, sec, adapters(t, clock.System{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Service.Policy(); len(got.Rules) != 1 || got.Rules[0].Steps[0].ID != "x" {
		t.Errorf("policy %+v", got)
	}
}

func TestAssembleRejectsMissingSecrets(t *testing.T) {
	cfg, err := ConfigFromEnv(getenv(env()), Ingest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Assemble(cfg, Secrets{LinkKeys: [][]byte{[]byte(testLinkKey)}}, adapters(t, clock.System{}), nil); err == nil ||
		!strings.Contains(err.Error(), "webhook secret") {
		t.Errorf("ingest without a webhook secret: %v", err)
	}
	if _, err := Assemble(cfg, Secrets{WebhookSecrets: []string{stdwebhooks.DevSecret}}, adapters(t, clock.System{}), nil); err == nil ||
		!strings.Contains(err.Error(), "link secret") {
		t.Errorf("without a link key: %v", err)
	}
}

// TestCompose runs the functions' real cold start offline: the environment
// as template.yaml sets it, the SDK's default configuration, and Parameter
// Store answered by the fake (AWS_ENDPOINT_URL_SSM). The other clients are
// built but not called.
func TestCompose(t *testing.T) {
	f := &fakeSSM{t: t, params: secureParams()}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	for k, v := range env() {
		t.Setenv(k, v)
	}
	t.Setenv(EnvSecretsPath, testPath)
	for k, v := range map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_ENDPOINT_URL_SSM": srv.URL,
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	for _, fn := range Functions {
		t.Run(fn.Name, func(t *testing.T) {
			c, err := Compose(context.Background(), fn, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.Service == nil || c.Handler == nil || c.Config.Function != fn {
				t.Errorf("composed %+v", c)
			}
			if fn.Scheduler != (c.Config.Schedules.TargetArn != "") {
				t.Errorf("%s: scheduler %v, schedules %+v", fn.Name, fn.Scheduler, c.Config.Schedules)
			}
		})
	}
	if len(f.requests) != len(Functions) {
		t.Errorf("%d GetParameters calls for %d cold starts", len(f.requests), len(Functions))
	}

	t.Setenv(EnvTable, "")
	if _, err := Compose(context.Background(), Planner, nil); err == nil || !strings.Contains(err.Error(), EnvTable) {
		t.Errorf("without %s: %v", EnvTable, err)
	}
}
