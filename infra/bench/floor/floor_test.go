package floor

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/awswire/parameters"
)

// TestStart reads the secret as the functions do: one signed GetParameters
// for <path>/link-secret, with decryption; a missing path or parameter is an
// error that names it, so a floor never times an empty start.
func TestStart(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameters" || !strings.Contains(r.Header.Get("Authorization"), "/ssm/aws4_request") {
			http.Error(w, `{"__type":"AccessDeniedException"}`, http.StatusForbidden)
			return
		}
		var in struct {
			Names          []string
			WithDecryption bool
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		asked = append(asked, in.Names...)
		out := map[string]any{"Parameters": []parameters.Parameter{}}
		if len(in.Names) == 1 && in.Names[0] == "/aftercare/bench/"+Secret && in.WithDecryption {
			out["Parameters"] = []parameters.Parameter{{Name: in.Names[0], Type: "SecureString", Value: "s3cret"}}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)

	t.Setenv(parameters.EnvPath, "/aftercare/bench")
	cfg, secret, err := Start(t.Context())
	if err != nil || secret != "s3cret" || cfg.Region != "eu-west-1" {
		t.Fatalf("Start = %q, %v (region %q)", secret, err, cfg.Region)
	}
	if len(asked) != 1 {
		t.Errorf("asked for %v, want the one secret", asked)
	}

	t.Setenv(parameters.EnvPath, "/elsewhere")
	if _, _, err := Start(t.Context()); err == nil || !strings.Contains(err.Error(), "/elsewhere/"+Secret) {
		t.Errorf("a missing parameter: %v", err)
	}
	t.Setenv(parameters.EnvPath, "")
	if _, _, err := Start(t.Context()); err == nil || !strings.Contains(err.Error(), parameters.EnvPath) {
		t.Errorf("no path: %v", err)
	}
}
