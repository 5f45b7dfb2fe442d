package awswire

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
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
// GetParameters: it answers with the parameters it holds among the names
// asked for, lists the others in InvalidParameters, as SSM does, and
// records every request so tests can assert their shape.
type fakeSSM struct {
	t      *testing.T
	params []param
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

// names returns the parameter names the request asked for.
func (r recorded) names() []string {
	var out []string
	for _, n := range r.Body["Names"].([]any) {
		out = append(out, n.(string))
	}
	return out
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
	names, _ := body["Names"].([]any)
	if len(names) == 0 || len(names) > 10 {
		// SSM's limits: at least one name, at most ten.
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"ValidationException","message":"%d names"}`, len(names))
		return
	}
	found, invalid := []any{}, []any{}
	for _, n := range names {
		i := slices.IndexFunc(f.params, func(p param) bool { return p.Name == n })
		if i < 0 {
			invalid = append(invalid, n)
			continue
		}
		p := f.params[i]
		found = append(found, map[string]any{"Name": p.Name, "Type": p.Type, "Value": p.Value, "Version": 1, "DataType": "text"})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameters": found, "InvalidParameters": invalid})
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
	f := &fakeSSM{t: t, params: append(secureParams(),
		param{testPath + "/" + ParamPolicy, "String", policy},
		param{testPath + "/unrelated", "String", "ignored"},
	)}
	s, err := LoadSecrets(context.Background(), f.client(t), testPath, Ingest)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.requests) != 1 {
		t.Fatalf("%d requests, want exactly one GetParameters", len(f.requests))
	}
	req := f.requests[0]
	if req.Target != "AmazonSSM.GetParameters" {
		t.Errorf("X-Amz-Target %q", req.Target)
	}
	if req.ContentType != "application/x-amz-json-1.1" || !req.Signed {
		t.Errorf("content type %q, signed %v", req.ContentType, req.Signed)
	}
	var want []string
	for _, n := range Ingest.Parameters() {
		want = append(want, testPath+"/"+n)
	}
	if got := req.names(); !slices.Equal(got, want) {
		t.Errorf("asked for %v, want %v", got, want)
	}
	if req.Body["WithDecryption"] != true || len(req.Body) != 2 {
		t.Errorf("request body %v, want Names and WithDecryption: true", req.Body)
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

// GetParameters takes at most ten names: longer lists are split, and the
// answers merged. Names that do not exist (InvalidParameters) are absent.
func TestGetParametersBatches(t *testing.T) {
	names := Ingest.Parameters()
	f := &fakeSSM{t: t, params: secureParams()}
	params, err := getParameters(context.Background(), f.client(t), testPath, names, 3)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	for _, r := range f.requests {
		if n := len(r.names()); n > 3 {
			t.Errorf("%d names in one call, want at most 3", n)
		}
		asked = append(asked, r.names()...)
	}
	if len(f.requests) != (len(names)+2)/3 || len(asked) != len(names) {
		t.Errorf("%d requests for %d names: %v", len(f.requests), len(names), asked)
	}
	if len(params) != 2 || params[ParamWebhookSecret].Value == nil || params[ParamLinkSecret].Value == nil {
		t.Errorf("got %v, want the webhook and link secrets by name", slices.Collect(maps.Keys(params)))
	}
	if n := len(Ingest.Parameters()); n > maxNamesPerCall {
		t.Errorf("ingest reads %d parameters: a cold start would take more than one call", n)
	}
}

// Each function asks for exactly its own parameters, whatever the path
// holds: template.yaml grants exactly these (infra's TestTemplateSecrets).
func TestLoadSecretsAsksOnlyForItsParameters(t *testing.T) {
	all := secureParams()
	for _, n := range []string{ParamPolicy, ParamCalcomSecret, ParamCalendlySecret, ParamZendeskSecret, ParamFreshdeskToken, ParamAlertWebhookURL, ParamAlertWebhookSecret} {
		all = append(all, param{testPath + "/" + n, "SecureString", "x"})
	}
	for _, fn := range Functions {
		t.Run(fn.Name, func(t *testing.T) {
			f := &fakeSSM{t: t, params: all}
			_, _ = LoadSecrets(context.Background(), f.client(t), testPath, fn)
			if len(f.requests) != 1 {
				t.Fatalf("%d requests, want one", len(f.requests))
			}
			var got []string
			for _, n := range f.requests[0].names() {
				got = append(got, strings.TrimPrefix(n, testPath+"/"))
			}
			if !slices.Equal(got, fn.Parameters()) {
				t.Errorf("asked for %v, want %v", got, fn.Parameters())
			}
			if fn.Webhooks != slices.Contains(got, ParamWebhookSecret) || fn.Notifier != slices.Contains(got, ParamAlertWebhookSecret) {
				t.Errorf("asked for %v: the webhook secrets are ingest's alone, the alert secret the notifiers'", got)
			}
		})
	}
}

// The respond function takes no webhooks, so it starts without their secret.
func TestLoadSecretsOnlyWhatTheFunctionNeeds(t *testing.T) {
	f := &fakeSSM{t: t, params: secureParams()[1:]}
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
			f := &fakeSSM{t: t, params: tc.params}
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
	if err == nil || !strings.Contains(err.Error(), "ssm:GetParameters "+testPath+"/"+ParamLinkSecret) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("got %v", err)
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
	f := &fakeSSM{t: t, params: params}
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
	r, err := LoadSecrets(context.Background(), (&fakeSSM{t: t, params: params}).client(t), testPath, Respond)
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
			f := &fakeSSM{t: t, params: append(secureParams(), tc.param)}
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
			f := &fakeSSM{t: t, params: params}
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

	none, err := LoadSecrets(context.Background(), (&fakeSSM{t: t, params: secureParams()}).client(t), testPath, Dispatch)
	if err != nil || none.AlertWebhook || none.AlertWebhookURL != "" {
		t.Errorf("without the parameters: %+v %v", none.AlertWebhook, err)
	}

	// Functions that post no alerts do not read the secret (their role
	// may not), so only the notifiers catch a secret without a URL.
	for _, fn := range []Function{Ingest, Planner} {
		f := &fakeSSM{t: t, params: append(secureParams(), param{testPath + "/" + ParamAlertWebhookSecret, "SecureString", testWebhookSecret2})}
		if s, err := LoadSecrets(context.Background(), f.client(t), testPath, fn); err != nil || s.AlertWebhook || s.AlertWebhookSecret != "" {
			t.Errorf("%s with only the alert secret: %v, %v", fn.Name, s, err)
		}
	}

	for _, tc := range []struct {
		name   string
		params []param
		fn     Function
		want   string
	}{
		{"secret without URL", []param{{testPath + "/" + ParamAlertWebhookSecret, "SecureString", testWebhookSecret2}}, Dispatch, "add the URL or delete the secret"},
		{"URL as a String", []param{{testPath + "/" + ParamAlertWebhookURL, "String", hookURL}}, Planner, ParamAlertWebhookURL + " is a String"},
		{"not http", []param{{testPath + "/" + ParamAlertWebhookURL, "SecureString", "ftp://hooks.slack.example/XXXXSECRETPATH"}}, Dispatch, "not http or https"},
		{"bad secret", []param{
			{testPath + "/" + ParamAlertWebhookURL, "SecureString", hookURL},
			{testPath + "/" + ParamAlertWebhookSecret, "SecureString", "not-whsec"},
		}, Respond, "webhook secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSSM{t: t, params: append(secureParams(), tc.params...)}
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
