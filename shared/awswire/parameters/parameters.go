// Package parameters reads a function's secrets from SSM Parameter Store at
// cold start: one SigV4-signed GetParameters call per ten names
// (shared/awswire/signed) rather than through the SSM client, whose package
// alone would cost every function megabytes and a millisecond of init. It
// is its own package so that the start-up floors of `make bench`
// (infra/bench/floor) can make the same read without linking the rest of
// the composition.
package parameters

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aftercare/aftercare/shared/awswire/signed"
)

// EnvPath names the environment variable template.yaml sets to the
// Parameter Store path under which a stack's secrets live, e.g.
// /aftercare/prod.
const EnvPath = "AFTERCARE_SECRETS_PATH"

// Parameter is one Parameter Store parameter as GetParameters returns it.
type Parameter struct {
	Name  string `json:"Name"`
	Type  string `json:"Type"` // String, StringList or SecureString
	Value string `json:"Value"`
}

// maxNamesPerCall is how many names one GetParameters call takes at most.
const maxNamesPerCall = 10

// Get reads the named parameters, decrypting SecureStrings, with
// SSM's JSON API signed by the SDK's SigV4 signer: one HTTPS call per ten
// names, the round trip the SSM client would make, without linking it. A
// name SSM does not know is simply absent from the result (the caller
// decides whether it was required).
func Get(ctx context.Context, cfg aws.Config, client *http.Client, names []string) (map[string]Parameter, error) {
	out := map[string]Parameter{}
	for chunk := range slices.Chunk(names, maxNamesPerCall) {
		var resp struct {
			Parameters []Parameter `json:"Parameters"`
		}
		body, err := json.Marshal(map[string]any{"Names": chunk, "WithDecryption": true})
		if err != nil {
			return nil, err
		}
		_, raw, err := signed.Post(ctx, cfg, client, "ssm", signed.Endpoint(cfg, "ssm")+"/", http.Header{
			"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"AmazonSSM.GetParameters"},
		}, body)
		if err == nil {
			err = json.Unmarshal(raw, &resp)
		}
		if err != nil {
			return nil, fmt.Errorf("ssm:GetParameters %s (check the function's IAM policy grants each of them, and the path): %w", strings.Join(chunk, ", "), err)
		}
		for _, p := range resp.Parameters {
			if slices.Contains(chunk, p.Name) {
				out[p.Name] = p
			}
		}
	}
	return out, nil
}
