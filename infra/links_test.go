package infra_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/awswire"
)

// TestFunctionsLinkOnlyWhatTheyCall holds each function's binary to the
// heavy packages its awswire.Function says it uses: an import that drags
// in hermes, an AWS client or the MIME parser where it is not called costs
// megabytes and start-up milliseconds (issue 9's size target is 2.5×
// hello), and nothing else would notice. Respond renders through dispatch,
// so only dispatch links hermes.
func TestFunctionsLinkOnlyWhatTheyCall(t *testing.T) {
	const (
		hermes    = "github.com/matcornic/hermes/v2"
		sesv2     = "github.com/aws/aws-sdk-go-v2/service/sesv2"
		s3        = "github.com/aws/aws-sdk-go-v2/service/s3"
		scheduler = "github.com/aws/aws-sdk-go-v2/service/scheduler"
		enmime    = "github.com/jhillyerd/enmime/v2"
	)
	never := []string{
		"github.com/aws/aws-sdk-go-v2/config",         // settings come from awswire
		"github.com/aws/aws-sdk-go-v2/service/ssm",    // parameters: one signed call
		"github.com/aws/aws-sdk-go-v2/service/lambda", // invoke: one signed call
		"github.com/aws/aws-sdk-go-v2/service/sts",    // credentials come from Lambda's environment
		"github.com/aws/aws-sdk-go-v2/feature/s3/manager",
	}
	for _, fn := range awswire.Functions {
		t.Run(fn.Name, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "./functions/"+fn.Name)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := map[string]bool{}
			for _, p := range strings.Fields(string(out)) {
				deps[p] = true
			}
			for pkg, want := range map[string]bool{
				hermes:    fn.Mailer && !fn.RenderThroughDispatch,
				sesv2:     fn.Mailer,
				s3:        fn.Inbound,
				scheduler: fn.Scheduler,
				enmime:    fn.Inbound,
			} {
				if deps[pkg] != want {
					t.Errorf("links %s: %v, want %v", pkg, deps[pkg], want)
				}
			}
			for _, pkg := range never {
				if deps[pkg] {
					t.Errorf("links %s, which no function needs", pkg)
				}
			}
		})
	}
}
