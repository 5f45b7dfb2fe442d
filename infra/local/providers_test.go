package local_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/domain"
)

// Secrets the third-party providers are started with. Each variable holds
// two, as while rotating; deliveries are signed with the second.
var providerEnv = map[string]string{
	local.EnvCalcomSecret:   "old-calcom-secret, e2e-calcom-secret",
	local.EnvCalendlySecret: "old-calendly-key,e2e-calendly-signing-key",
	local.EnvZendeskSecret:  "old-zendesk-secret,e2e-zendesk-signing-secret",
	local.EnvFreshdeskToken: "old-freshdesk-token-0000,e2e-freshdesk-token-0123456789",
}

// startWithProviders starts the local runtime as `make dev` does, with the
// third-party providers' secrets in its environment (startDev passes none).
func startWithProviders(t *testing.T) *devServer {
	t.Helper()
	srv := startDev(t, t.TempDir(), providerEnv)
	if got := strings.Join(srv.rt.Providers(), ","); got != "aftercare,calcom,calendly,zendesk,freshdesk" {
		t.Fatalf("mounted providers = %s", got)
	}
	return srv
}

// delivery is one provider's request, signed (or not) as the provider would.
type delivery struct {
	provider string
	query    string
	header   http.Header
	body     []byte
}

func (s *devServer) deliver(d delivery) (int, map[string]any) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.base+"/webhooks/"+d.provider+d.query, bytes.NewReader(d.body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range d.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func hmacSHA256(key string, parts ...string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// providerFixture reads a documented payload from a provider's testdata and
// lets edit move its times to now, so that follow-ups are planned.
func providerFixture(t *testing.T, provider, file string, edit func(m map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "providers", provider, "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func calcomDelivery(secret string, body []byte) delivery {
	return delivery{provider: "calcom", body: body, header: http.Header{
		"X-Cal-Signature-256": {hex.EncodeToString(hmacSHA256(secret, string(body)))},
	}}
}

func calendlyDelivery(key string, body []byte) delivery {
	ts := fmt.Sprint(time.Now().Unix())
	return delivery{provider: "calendly", body: body, header: http.Header{
		"Calendly-Webhook-Signature": {"t=" + ts + ",v1=" + hex.EncodeToString(hmacSHA256(key, ts, ".", string(body)))},
	}}
}

func zendeskDelivery(secret string, body []byte) delivery {
	ts := time.Now().UTC().Format(time.RFC3339)
	return delivery{provider: "zendesk", body: body, header: http.Header{
		"X-Zendesk-Webhook-Signature-Timestamp": {ts},
		"X-Zendesk-Webhook-Signature":           {base64.StdEncoding.EncodeToString(hmacSHA256(secret, ts, string(body)))},
	}}
}

func freshdeskDelivery(token string, body []byte) delivery {
	return delivery{provider: "freshdesk", body: body, query: "?token=" + url.QueryEscape(token)}
}

// TestThirdPartyProviders posts one real-format, correctly signed delivery
// per provider to the running runtime and finds the incident through the
// dev API; then the same deliveries with a wrong signature or token, which
// are refused. The two booking providers complete their bookings at the
// end time, so their thank-you is scheduled from the create event alone,
// and the dev clock sends it.
func TestThirdPartyProviders(t *testing.T) {
	srv := startWithProviders(t)
	now := time.Now().UTC()
	start, end := now.Add(time.Hour).Truncate(time.Second), now.Add(2*time.Hour).Truncate(time.Second)
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }

	calBody := providerFixture(t, "calcom", "booking-created.json", func(m map[string]any) {
		m["createdAt"] = rfc(now)
		pl := m["payload"].(map[string]any)
		pl["startTime"], pl["endTime"] = rfc(start), rfc(end)
	})
	calendlyBody := providerFixture(t, "calendly", "invitee-created.json", func(m map[string]any) {
		m["created_at"] = rfc(now)
		se := m["payload"].(map[string]any)["scheduled_event"].(map[string]any)
		se["start_time"], se["end_time"] = rfc(start), rfc(end)
	})
	zendeskBody := providerFixture(t, "zendesk", "trigger-ticket-solved.json", func(m map[string]any) {
		m["ticket"].(map[string]any)["updated_at"] = now.Format("2006-01-02T15:04Z07:00")
	})
	freshdeskBody := providerFixture(t, "freshdesk", "ticket-resolved.json", func(map[string]any) {})

	tests := []struct {
		good, bad       delivery
		ref, status     string
		bookingSchedule bool
	}{
		{
			good: calcomDelivery("e2e-calcom-secret", calBody), bad: calcomDelivery("not-the-secret", calBody),
			ref: "unique-booking-id", status: "booked", bookingSchedule: true,
		},
		{
			good: calendlyDelivery("e2e-calendly-signing-key", calendlyBody), bad: calendlyDelivery("not-the-key", calendlyBody),
			ref: "https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA", status: "booked", bookingSchedule: true,
		},
		{
			good: zendeskDelivery("e2e-zendesk-signing-secret", zendeskBody), bad: zendeskDelivery("not-the-secret", zendeskBody),
			ref: "35436", status: "solved",
		},
		{
			good: freshdeskDelivery("e2e-freshdesk-token-0123456789", freshdeskBody), bad: freshdeskDelivery("e2e-freshdesk-token-guessed!!", freshdeskBody),
			ref: "1", status: "solved",
		},
	}
	var incidents []apiIncident
	for _, tt := range tests {
		name := tt.good.provider
		t.Run(name, func(t *testing.T) {
			code, reply := srv.deliver(tt.good)
			if code != http.StatusAccepted || reply["status"] != "accepted" {
				t.Fatalf("signed delivery: %d %v", code, reply)
			}
			// A redelivery is recognised.
			if code, reply := srv.deliver(tt.good); code != http.StatusAccepted || !strings.Contains(fmt.Sprint(reply["results"]), "duplicate") {
				t.Errorf("redelivery: %d %v", code, reply)
			}
			srv.getJSON("/dev/api/incidents", &incidents)
			var found *apiIncident
			for i := range incidents {
				if incidents[i].Provider == name && incidents[i].Ref == tt.ref {
					found = &incidents[i]
				}
			}
			if found == nil {
				t.Fatalf("no %s incident for %s in %+v", name, tt.ref, incidents)
			}
			if found.Status != tt.status {
				t.Errorf("status = %s, want %s", found.Status, tt.status)
			}
			var scheds []apiSchedule
			srv.getJSON("/dev/api/schedules", &scheds)
			scheduled, thanks := false, false
			for _, s := range scheds {
				if s.IncidentID != found.ID {
					continue
				}
				scheduled = true
				switch {
				case !tt.bookingSchedule:
				case s.Step == "thanks-1":
					thanks = true
					if s.Due.Before(end) {
						t.Errorf("schedule %+v: want thanks-1 after the booking ends (%s)", s, end)
					}
				case strings.HasSuffix(s.Step, domain.BeforeStartSuffix):
					// Pre-arrival advice for a booking made an hour ahead
					// goes at once, unless the customer's quiet hours
					// hold it (then it is pending, still before the start:
					// between 08:00 and 09:00 UTC for this guest).
					if !s.Due.Before(start) {
						t.Errorf("schedule %+v: advice due after the booking starts (%s)", s, start)
					}
				default:
					t.Errorf("schedule %+v: want thanks-1 or pre-arrival advice", s)
				}
			}
			if !scheduled || tt.bookingSchedule && !thanks {
				t.Errorf("no follow-up scheduled for the %s incident (schedules %+v)", name, scheds)
			}

			code, reply = srv.deliver(tt.bad)
			if code != http.StatusUnauthorized {
				t.Fatalf("wrongly signed delivery: %d %v, want 401", code, reply)
			}
		})
	}

	// The dev clock runs everything due: the thank-yous planned from the
	// create events alone go out like any other step.
	fired := srv.runDue(now.Add(72 * time.Hour))
	thanks := 0
	for _, f := range fired {
		if f.Error != "" {
			t.Errorf("fired %s: %s", f.Step, f.Error)
		}
		if f.Step == "thanks-1" {
			thanks++
		}
	}
	if thanks != 2 {
		t.Errorf("thank-yous sent = %d, want 2 (Cal.com and Calendly): %+v", thanks, fired)
	}
}

// TestUnconfiguredProviderIsNotMounted: without its secret a provider's
// route answers 404, never a default secret.
func TestUnconfiguredProviderIsNotMounted(t *testing.T) {
	srv := startDev(t, t.TempDir())
	for _, p := range []string{"calcom", "calendly", "zendesk", "freshdesk"} {
		code, reply := srv.deliver(delivery{provider: p, body: []byte(`{}`)})
		if code != http.StatusNotFound || reply["error"] != "unknown provider "+p {
			t.Errorf("%s: %d %v, want 404 unknown provider", p, code, reply)
		}
	}
}

// TestProviderSecretsFromEnv: two comma-separated values are two secrets;
// an unusable one stops the start, naming its variable.
func TestProviderSecretsFromEnv(t *testing.T) {
	env := map[string]string{"AFTERCARE_DATA": t.TempDir()}
	for k, v := range providerEnv {
		env[k] = v
	}
	cfg, err := local.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.ProviderSecrets["calcom"]; len(c) != 2 || c[1] != "e2e-calcom-secret" || len(cfg.ProviderSecrets["freshdesk"]) != 2 {
		t.Fatalf("provider secrets = %d calcom, %d freshdesk", len(cfg.ProviderSecrets["calcom"]), len(cfg.ProviderSecrets["freshdesk"]))
	}
	env = map[string]string{"AFTERCARE_DATA": t.TempDir(), local.EnvFreshdeskToken: "short"}
	if _, err := local.ConfigFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), local.EnvFreshdeskToken) {
		t.Fatalf("a short Freshdesk token = %v, want an error naming %s", err, local.EnvFreshdeskToken)
	}
}

// TestReplyAddressDefault: the reply mailbox defaults to the sender's; a
// sender whose mailbox is too long for the signed tag turns reply routing
// off with a warning instead of refusing to start, while the same value
// set explicitly is refused with the variable named.
func TestReplyAddressDefault(t *testing.T) {
	srv := startDev(t, t.TempDir(), map[string]string{"AFTERCARE_FROM": "Help <customer-service@example.com>"})
	if srv.rt == nil {
		t.Fatal("runtime did not start")
	}
	env := map[string]string{
		"AFTERCARE_DATA": t.TempDir(), "AFTERCARE_REPLY_ADDRESS": "customer-service@example.com",
	}
	cfg, err := local.ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		if rt, err := local.Open(cfg, nil); err == nil {
			rt.Close()
			t.Fatal("an explicit reply address that cannot carry the tag must be refused")
		} else if !strings.Contains(err.Error(), "AFTERCARE_REPLY_ADDRESS") {
			t.Fatalf("error must name the variable: %v", err)
		}
	} else if !strings.Contains(err.Error(), "AFTERCARE_REPLY_ADDRESS") {
		t.Fatalf("error must name the variable: %v", err)
	}
}
