package awswire

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aftercare/aftercare/shared/awswire/parameters"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// ssmFake answers SSM's JSON API as Parameter Store does, checks that each
// request is signed for ssm, and records the names asked for.
type ssmFake struct {
	mu     sync.Mutex
	params map[string]parameters.Parameter
	asked  [][]string
	fail   int // answer this many calls with a throttling error first
}

func (f *ssmFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/eu-west-1/ssm/aws4_request") ||
		r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameters" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"bad signature"}`))
		return
	}
	if f.fail > 0 {
		f.fail--
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
		return
	}
	var in struct {
		Names          []string
		WithDecryption bool
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.asked = append(f.asked, in.Names)
	out := struct {
		Parameters        []parameters.Parameter
		InvalidParameters []string
	}{Parameters: []parameters.Parameter{}, InvalidParameters: []string{}}
	for _, n := range in.Names {
		if p, ok := f.params[n]; ok && in.WithDecryption {
			out.Parameters = append(out.Parameters, p)
		} else {
			out.InvalidParameters = append(out.InvalidParameters, n)
		}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func secure(name, value string) parameters.Parameter {
	return parameters.Parameter{Name: name, Type: "SecureString", Value: value}
}

func environment(endpoint string) map[string]string {
	return map[string]string{
		EnvTable: "t", EnvSecretsPath: "/aftercare/test", EnvPublicURL: "https://care.example.com", EnvFrom: "care@example.com",
		EnvScheduleGroup: "g", EnvDispatchARN: "arn:aws:lambda:eu-west-1:123456789012:function:d",
		EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/r", EnvScheduleDLQARN: "arn:aws:sqs:eu-west-1:123456789012:q",
		EnvSESConfigurationSet: "c", EnvReplyAddress: "care@reply.example.com",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "tok",
		"AWS_ENDPOINT_URL": endpoint,
		// A secret in the environment is never used on AWS.
		"AFTERCARE_LINK_SECRET": "from-the-environment-must-be-ignored-0123456789",
	}
}

func serve(t *testing.T, f *ssmFake) (*httptest.Server, map[string]string) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv, environment(srv.URL)
}

// Each function asks Parameter Store for exactly its own parameters, in
// one signed call, and composes from them.
func TestLoadAsksOnlyForItsParameters(t *testing.T) {
	f := &ssmFake{params: map[string]parameters.Parameter{
		"/aftercare/test/webhook-secret": secure("/aftercare/test/webhook-secret", stdwebhooks.DevSecret),
		"/aftercare/test/link-secret":    secure("/aftercare/test/link-secret", strings.Repeat("k", 40)),
		"/aftercare/test/contact-key":    secure("/aftercare/test/contact-key", strings.Repeat("c", 40)),
		"/aftercare/test/policy":         {Name: "/aftercare/test/policy", Type: "String", Value: `{"rules": []}`},
		"/aftercare/test/copy":           {Name: "/aftercare/test/copy", Type: "String", Value: `{"de": {"thank_you.subject": "Danke!"}}`},
	}}
	srv, env := serve(t, f)
	for _, fn := range Functions {
		f.asked = nil
		e, err := Load(t.Context(), fn, func(k string) string { return env[k] }, srv.Client(), nil)
		if err != nil {
			t.Fatalf("%s: %v", fn.Name, err)
		}
		want := fullNames("/aftercare/test", fn.Parameters())
		if len(f.asked) != 1 || !slices.Equal(f.asked[0], want) {
			t.Errorf("%s asked for %v, want %v in one call", fn.Name, f.asked, want)
		}
		if len(e.Settings.Policy.Rules) != 0 {
			t.Errorf("%s: the policy parameter was not applied", fn.Name)
		}
		// Only the functions that write to customers read the operator's
		// wording, and apply it.
		if got := e.Settings.CopyOverrides != ""; got != fn.Mailer {
			t.Errorf("%s: copy read = %v, want %v", fn.Name, got, fn.Mailer)
		} else if got {
			if set, err := i18n.FromJSON(e.Settings.CopyOverrides); err != nil || set.For("de").T("thank_you.subject") != "Danke!" {
				t.Errorf("%s: the copy parameter's wording is not used: %v", fn.Name, err)
			}
		}
		links := fn.Needs().Links
		if links && (len(e.Settings.LinkKeys) != 1 || string(e.Settings.LinkKeys[0]) != strings.Repeat("k", 40)) {
			t.Errorf("%s: link keys from %v", fn.Name, e.Settings.LinkKeys)
		}
		if !links && e.Settings.LinkKeys != nil {
			t.Errorf("%s holds link keys it does not use", fn.Name)
		}
	}
	if slices.Contains(Ingest.Parameters(), "link-secret") || slices.Contains(Planner.Parameters(), "link-secret") ||
		!slices.Contains(Ingest.Parameters(), "calcom-secret") || slices.Contains(Dispatch.Parameters(), "webhook-secret") ||
		!slices.Contains(Planner.Parameters(), "alert-webhook-url") || slices.Contains(Planner.Parameters(), "alert-webhook-secret") {
		t.Errorf("parameters: ingest %v, planner %v, dispatch %v", Ingest.Parameters(), Planner.Parameters(), Dispatch.Parameters())
	}
}

// A missing required parameter, or a secret stored as a plain String,
// fails the cold start naming the parameter and how to fix it, never a value.
func TestLoadErrors(t *testing.T) {
	f := &ssmFake{params: map[string]parameters.Parameter{
		"/aftercare/test/calcom-secret": {Name: "/aftercare/test/calcom-secret", Type: "String", Value: "plain-text-secret"},
	}}
	srv, env := serve(t, f)
	_, err := Load(t.Context(), Ingest, func(k string) string { return env[k] }, srv.Client(), nil)
	if err == nil || !strings.Contains(err.Error(), "/aftercare/test/calcom-secret is a String") || strings.Contains(err.Error(), "plain-text-secret") {
		t.Fatalf("plain String secret: %v", err)
	}
	delete(f.params, "/aftercare/test/calcom-secret")
	_, err = Load(t.Context(), Dispatch, func(k string) string { return env[k] }, srv.Client(), nil)
	if err == nil || !strings.Contains(err.Error(), "SSM parameter /aftercare/test/link-secret is missing; create it with: aws ssm put-parameter --type SecureString") {
		t.Fatalf("missing link secret: %v", err)
	}
	delete(env, EnvDispatchARN)
	delete(env, EnvTable)
	_, err = Load(t.Context(), Dispatch, func(k string) string { return env[k] }, srv.Client(), nil)
	if err == nil || !strings.Contains(err.Error(), EnvTable) || !strings.Contains(err.Error(), EnvDispatchARN) {
		t.Fatalf("missing variables, want both named: %v", err)
	}
}

// Throttling is retried; more than ten names take two calls.
func TestGetParametersRetriesAndBatches(t *testing.T) {
	f := &ssmFake{params: map[string]parameters.Parameter{"/p/a": secure("/p/a", "1")}, fail: 2}
	srv, env := serve(t, f)
	var names []string
	for i := range 13 {
		names = append(names, "/p/"+string(rune('a'+i)))
	}
	got, err := parameters.Get(t.Context(), AWSConfig(func(k string) string { return env[k] }), srv.Client(), names)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["/p/a"].Value != "1" || len(f.asked) != 2 || len(f.asked[0]) != 10 || len(f.asked[1]) != 3 {
		t.Fatalf("got %v, asked %v", got, f.asked)
	}
	f.fail = 5
	if _, err := parameters.Get(t.Context(), AWSConfig(func(k string) string { return env[k] }), srv.Client(), names); err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("throttled beyond the attempts: %v", err)
	}
}
