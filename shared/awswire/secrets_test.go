package awswire

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

const (
	testPath    = "/aftercare/test"
	testLinkKey = "0123456789abcdef0123456789abcdef-link"
	// A second valid whsec_ secret (24 bytes of key), for rotation.
	testWebhookSecret2 = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24h"
)

// param is one parameter as SSM's JSON protocol returns it.
type param struct {
	Name, Type, Value string
}

// fakeSSM speaks just enough of the SSM JSON 1.1 protocol for
// GetParametersByPath, serving pages of parameters, and records every
// request so tests can assert their shape.
type fakeSSM struct {
	t     *testing.T
	pages [][]param
	// status and errType, when set, make every answer an error.
	status  int
	errType string

	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	Target      string
	ContentType string
	Signed      bool
	Body        map[string]any
}

func (f *fakeSSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("request body is not JSON: %q", raw)
	}
	f.mu.Lock()
	f.requests = append(f.requests, recorded{
		Target:      r.Header.Get("X-Amz-Target"),
		ContentType: r.Header.Get("Content-Type"),
		Signed:      strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "),
		Body:        body,
	})
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if f.status != 0 {
		w.WriteHeader(f.status)
		fmt.Fprintf(w, `{"__type":%q,"message":"simulated"}`, f.errType)
		return
	}
	page := 0
	if tok, ok := body["NextToken"].(string); ok {
		fmt.Sscanf(tok, "page-%d", &page)
	}
	out := map[string]any{"Parameters": []any{}}
	if page < len(f.pages) {
		var ps []any
		for _, p := range f.pages[page] {
			ps = append(ps, map[string]any{"Name": p.Name, "Type": p.Type, "Value": p.Value, "Version": 1, "DataType": "text"})
		}
		out["Parameters"] = ps
	}
	if page+1 < len(f.pages) {
		out["NextToken"] = fmt.Sprintf("page-%d", page+1)
	}
	_ = json.NewEncoder(w).Encode(out)
}

// client returns a real SDK client pointed at f.
func (f *fakeSSM) client(t *testing.T) *ssm.Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return ssm.New(ssm.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

func secureParams() []param {
	return []param{
		{testPath + "/" + ParamWebhookSecret, "SecureString", stdwebhooks.DevSecret + ", " + testWebhookSecret2},
		{testPath + "/" + ParamLinkSecret, "SecureString", testLinkKey + "\n"},
	}
}

func TestLoadSecretsOneCall(t *testing.T) {
	policy := `{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"csat","template":"satisfaction","survey":"csat","delay":"2h"}]}]}`
	f := &fakeSSM{t: t, pages: [][]param{append(secureParams(),
		param{testPath + "/" + ParamPolicy, "String", policy},
		param{testPath + "/unrelated", "String", "ignored"},
	)}}
	s, err := LoadSecrets(context.Background(), f.client(t), testPath, Ingest)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.requests) != 1 {
		t.Fatalf("%d requests, want exactly one GetParametersByPath", len(f.requests))
	}
	req := f.requests[0]
	if req.Target != "AmazonSSM.GetParametersByPath" {
		t.Errorf("X-Amz-Target %q", req.Target)
	}
	if req.ContentType != "application/x-amz-json-1.1" || !req.Signed {
		t.Errorf("content type %q, signed %v", req.ContentType, req.Signed)
	}
	want := map[string]any{"Path": testPath, "Recursive": false, "WithDecryption": true, "MaxResults": float64(10)}
	for k, v := range want {
		if req.Body[k] != v {
			t.Errorf("request %s = %v, want %v (body %v)", k, req.Body[k], v, req.Body)
		}
	}
	if len(req.Body) != len(want) {
		t.Errorf("request body %v has fields beyond %v", req.Body, want)
	}
	if len(s.WebhookSecrets) != 2 || s.WebhookSecrets[0] != stdwebhooks.DevSecret || s.WebhookSecrets[1] != testWebhookSecret2 {
		t.Errorf("webhook secrets: got %d, want the two in order", len(s.WebhookSecrets))
	}
	if len(s.LinkKeys) != 1 || string(s.LinkKeys[0]) != testLinkKey {
		t.Errorf("link keys not loaded (or not trimmed)")
	}
	if s.Policy == nil || len(s.Policy.Rules) != 1 || s.Policy.Rules[0].Steps[0].ID != "csat" {
		t.Errorf("policy %+v", s.Policy)
	}
}

func TestLoadSecretsPages(t *testing.T) {
	ps := secureParams()
	f := &fakeSSM{t: t, pages: [][]param{ps[:1], ps[1:]}}
	s, err := LoadSecrets(context.Background(), f.client(t), testPath, Ingest)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.requests) != 2 || f.requests[1].Body["NextToken"] != "page-1" {
		t.Fatalf("requests %+v, want a second one with the NextToken", f.requests)
	}
	if len(s.WebhookSecrets) != 2 || len(s.LinkKeys) != 1 {
		t.Errorf("secrets from both pages not loaded: %v", s)
	}
}

// The respond function takes no webhooks, so it starts without their secret.
func TestLoadSecretsOnlyWhatTheFunctionNeeds(t *testing.T) {
	f := &fakeSSM{t: t, pages: [][]param{secureParams()[1:]}}
	s, err := LoadSecrets(context.Background(), f.client(t), testPath, Respond)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.WebhookSecrets) != 0 || s.Policy != nil {
		t.Errorf("unexpected secrets %v", s)
	}
}

func TestLoadSecretsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params []param
		want   []string
	}{
		{"nothing", nil, []string{testPath + "/" + ParamWebhookSecret + " is missing", testPath + "/" + ParamLinkSecret + " is missing", "--type SecureString"}},
		{"plain String secret", []param{
			{testPath + "/" + ParamWebhookSecret, "String", stdwebhooks.DevSecret},
			{testPath + "/" + ParamLinkSecret, "SecureString", testLinkKey},
		}, []string{ParamWebhookSecret + " is a String; secrets must be SecureString"}},
		{"bad webhook secret", []param{
			{testPath + "/" + ParamWebhookSecret, "SecureString", "not-a-whsec-secret"},
			{testPath + "/" + ParamLinkSecret, "SecureString", testLinkKey},
		}, []string{testPath + "/" + ParamWebhookSecret + ": stdwebhooks"}},
		{"short link key", []param{
			{testPath + "/" + ParamWebhookSecret, "SecureString", stdwebhooks.DevSecret},
			{testPath + "/" + ParamLinkSecret, "SecureString", "short"},
		}, []string{ParamLinkSecret + ": key 1 is 5 characters, want at least 32"}},
		{"bad policy", append(secureParams(), param{testPath + "/" + ParamPolicy, "String", `{"rules": 3}`}),
			[]string{testPath + "/" + ParamPolicy + ": "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSSM{t: t, pages: [][]param{tc.params}}
			_, err := LoadSecrets(context.Background(), f.client(t), testPath, Ingest)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, secret := range []string{"not-a-whsec-secret", stdwebhooks.DevSecret, testLinkKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error reveals a secret value: %q", err)
				}
			}
		})
	}
}

func TestLoadSecretsServiceError(t *testing.T) {
	f := &fakeSSM{t: t, status: http.StatusBadRequest, errType: "AccessDeniedException"}
	_, err := LoadSecrets(context.Background(), f.client(t), testPath, Respond)
	if err == nil || !strings.Contains(err.Error(), "ssm:GetParametersByPath "+testPath) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("got %v", err)
	}
}

func TestLoadSecretsRunawayPaging(t *testing.T) {
	pages := make([][]param, maxPages+1)
	f := &fakeSSM{t: t, pages: pages}
	_, err := LoadSecrets(context.Background(), f.client(t), testPath, Respond)
	if err == nil || !strings.Contains(err.Error(), "right path") || len(f.requests) != maxPages {
		t.Errorf("got %v after %d requests", err, len(f.requests))
	}
}

func TestSecretsAreNotPrinted(t *testing.T) {
	s := Secrets{WebhookSecrets: []string{stdwebhooks.DevSecret}, LinkKeys: [][]byte{[]byte(testLinkKey)}}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "secrets", s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), b.String()} {
		if strings.Contains(out, "whsec_") || strings.Contains(out, "link") && strings.Contains(out, testLinkKey) {
			t.Errorf("secret printed: %s", out)
		}
	}
}

func TestLoadSecretsProviders(t *testing.T) {
	const calcomSecret, freshdeskToken = "calcom-secret-value-0123456789", "freshdesk-token-value-0123456789"
	params := append(secureParams(),
		param{testPath + "/" + ParamCalcomSecret, "SecureString", calcomSecret + ", calcom-old-secret-9876543210"},
		param{testPath + "/" + ParamFreshdeskToken, "SecureString", freshdeskToken},
	)
	f := &fakeSSM{t: t, pages: [][]param{params}}
	s, err := LoadSecrets(context.Background(), f.client(t), testPath, Ingest)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.ProviderSecrets; len(got) != 2 || len(got["calcom"]) != 2 || got["calcom"][0] != calcomSecret || len(got["freshdesk"]) != 1 {
		t.Errorf("provider secrets for %d providers, want calcom (two, rotating) and freshdesk", len(got))
	}
	if _, ok := s.ProviderSecrets["zendesk"]; ok {
		t.Error("zendesk mounted without a secret")
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "secrets", s)
	if !strings.Contains(b.String(), `"providers":["calcom","freshdesk"]`) || strings.Contains(b.String()+fmt.Sprint(s), calcomSecret) {
		t.Errorf("logged as %s", b.String())
	}

	// Functions that take no webhooks neither load nor check them.
	r, err := LoadSecrets(context.Background(), (&fakeSSM{t: t, pages: [][]param{params}}).client(t), testPath, Respond)
	if err != nil || len(r.ProviderSecrets) != 0 {
		t.Errorf("respond: %d provider secrets, %v", len(r.ProviderSecrets), err)
	}
}

func TestLoadSecretsProviderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		param param
		want  string
	}{
		{"plain String", param{testPath + "/" + ParamZendeskSecret, "String", "zendesk-secret-value-0123456789"}, ParamZendeskSecret + " is a String"},
		{"short token", param{testPath + "/" + ParamFreshdeskToken, "SecureString", "short-token"}, testPath + "/" + ParamFreshdeskToken + ": "},
		{"no-secret marker", param{testPath + "/" + ParamCalcomSecret, "SecureString", "no-secret-provided"}, testPath + "/" + ParamCalcomSecret + ": "},
		{"only commas", param{testPath + "/" + ParamCalendlySecret, "SecureString", " , "}, "delete it to unmount /webhooks/calendly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSSM{t: t, pages: [][]param{append(secureParams(), tc.param)}}
			_, err := LoadSecrets(context.Background(), f.client(t), testPath, Ingest)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			// Cal.com's public marker is not a secret; anything else is.
			if v := strings.TrimSpace(tc.param.Value); v != "," && v != "no-secret-provided" && strings.Contains(err.Error(), v) {
				t.Errorf("error reveals the value: %v", err)
			}
		})
	}
}

func TestLoadSecretsAlertWebhook(t *testing.T) {
	const hookURL = "https://hooks.slack.example/services/T000/B000/XXXXSECRETPATH"
	params := append(secureParams(),
		param{testPath + "/" + ParamAlertWebhookURL, "SecureString", hookURL + "\n"},
		param{testPath + "/" + ParamAlertWebhookSecret, "SecureString", testWebhookSecret2},
	)
	for _, fn := range Functions {
		t.Run(fn.Name, func(t *testing.T) {
			f := &fakeSSM{t: t, pages: [][]param{params}}
			s, err := LoadSecrets(context.Background(), f.client(t), testPath, fn)
			if err != nil {
				t.Fatal(err)
			}
			if !s.AlertWebhook {
				t.Error("every function must know the webhook is configured: it plans the alert steps")
			}
			if fn.Notifier != (s.AlertWebhookURL == hookURL && s.AlertWebhookSecret == testWebhookSecret2) {
				t.Errorf("notifier %v, loaded URL %v: only functions that post alerts hold the URL", fn.Notifier, s.AlertWebhookURL != "")
			}
			var b strings.Builder
			slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "secrets", s)
			for _, out := range []string{b.String(), fmt.Sprint(s), fmt.Sprintf("%#v", s)} {
				if strings.Contains(out, "SECRETPATH") || strings.Contains(out, testWebhookSecret2) {
					t.Errorf("printed: %s", out)
				}
			}
		})
	}

	none, err := LoadSecrets(context.Background(), (&fakeSSM{t: t, pages: [][]param{secureParams()}}).client(t), testPath, Dispatch)
	if err != nil || none.AlertWebhook || none.AlertWebhookURL != "" {
		t.Errorf("without the parameters: %+v %v", none.AlertWebhook, err)
	}

	for _, tc := range []struct {
		name   string
		params []param
		fn     Function
		want   string
	}{
		{"secret without URL", []param{{testPath + "/" + ParamAlertWebhookSecret, "SecureString", testWebhookSecret2}}, Planner, "add the URL or delete the secret"},
		{"URL as a String", []param{{testPath + "/" + ParamAlertWebhookURL, "String", hookURL}}, Planner, ParamAlertWebhookURL + " is a String"},
		{"not http", []param{{testPath + "/" + ParamAlertWebhookURL, "SecureString", "ftp://hooks.slack.example/XXXXSECRETPATH"}}, Dispatch, "not http or https"},
		{"bad secret", []param{
			{testPath + "/" + ParamAlertWebhookURL, "SecureString", hookURL},
			{testPath + "/" + ParamAlertWebhookSecret, "SecureString", "not-whsec"},
		}, Respond, "webhook secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSSM{t: t, pages: [][]param{append(secureParams(), tc.params...)}}
			_, err := LoadSecrets(context.Background(), f.client(t), testPath, tc.fn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRETPATH") || strings.Contains(err.Error(), "not-whsec") {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}
