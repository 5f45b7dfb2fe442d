// Command aftercare-admin serves a person's privacy requests from the
// command line, over the same use cases as the dev API:
//
//	go run ./infra/cmd/aftercare-admin export      -email maria@example.com  > maria.json
//	go run ./infra/cmd/aftercare-admin erase       -email maria@example.com
//	go run ./infra/cmd/aftercare-admin unsubscribe -email maria@example.com
//	go run ./infra/cmd/aftercare-admin preview     [-template thank_you] [-locale de] [-out preview] [-send me@example.com]
//
// preview renders every email template in every language with sample
// data into HTML and text files (and an index.html showing them side by
// side), with the brand of AFTERCARE_BRAND_* and the wording of
// AFTERCARE_COPY; -send also mails them through the local runtime's
// mailer (see runPreview).
//
// It works on a local data directory (-data, default $AFTERCARE_DATA or
// .aftercare, as `make dev` uses it) while `make dev` is stopped: the
// store is a single-writer file. With `make dev` running, use the dev API
// instead (GET /dev/api/contacts/export?email=…, POST
// /dev/api/contacts/erase).
//
// With -stack <name> it works on a deployed stack instead: the stack's
// outputs name the table, the secrets path, the schedule group and the
// inbound bucket; credentials and region come from the environment:
//
//	eval "$(aws configure export-credentials --format env)"; export AWS_REGION=eu-west-1
//	go run ./infra/cmd/aftercare-admin erase -email maria@example.com -stack aftercare-prod
//
// The identity needs: cloudformation:DescribeStacks on the stack;
// ssm:GetParameters (and kms:Decrypt through SSM) on <SecretsPath>/contact-key,
// /policy and /alert-webhook-url; dynamodb:GetItem, PutItem and DeleteItem
// on the table; scheduler:DeleteSchedule in the schedule group;
// s3:DeleteObject on the inbound bucket's inbound/*.
//
// It prints JSON on stdout (the export, or what was changed) and never
// logs the address.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage: aftercare-admin {export|erase|unsubscribe} -email <address> [-data <dir>]
       aftercare-admin preview [-template <name>] [-locale <code>] [-out <dir>] [-send <address> [-data <dir>]]`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	cmd := args[0]
	if cmd == "preview" {
		return runPreview(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("aftercare-admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the person's email address")
	data := fs.String("data", "", "local data directory (default $AFTERCARE_DATA, else .aftercare)")
	stack := fs.String("stack", "", "a deployed stack's name: work on its table and inbound bucket (AWS credentials and AWS_REGION from the environment)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	switch cmd {
	case "export", "erase", "unsubscribe":
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	if _, _, ok := mail.SplitAddress(*email); !ok {
		fmt.Fprintf(stderr, "-email: give the person's address\n%s\n", usage)
		return 2
	}
	var svc *app.Service
	if *stack != "" {
		var err error
		if svc, err = awsService(ctx, *stack, getenv); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	} else {
		rt, code := openLocal(*data, getenv, stderr)
		if rt == nil {
			return code
		}
		defer rt.Close()
		svc = rt.Service()
	}
	var out any
	var err error
	switch cmd {
	case "export":
		out, err = svc.Export(ctx, *email)
	case "erase":
		out, err = svc.Erase(ctx, *email)
	case "unsubscribe":
		var c domain.Contact
		if c, err = svc.UnsubscribeEmail(ctx, *email); err == nil {
			out = map[string]string{"contact": c.Key, "consent": c.Consent.State}
		}
	}
	if errors.Is(err, app.ErrNoPerson) {
		fmt.Fprintln(stderr, "nothing is held about this address")
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// openLocal opens the local runtime on a data directory `make dev` made.
func openLocal(data string, getenv func(string) string, stderr io.Writer) (*local.Runtime, int) {
	env := func(k string) string {
		if k == "AFTERCARE_DATA" && data != "" {
			return data
		}
		return getenv(k)
	}
	// The directory must exist: reading the configuration would make a
	// fresh one, and an erase there would find nothing, silently.
	dir := env("AFTERCARE_DATA")
	if dir == "" {
		dir = ".aftercare"
	}
	if _, err := os.Stat(filepath.Join(dir, "aftercare.db")); err != nil {
		fmt.Fprintf(stderr, "data directory %s holds no store (%v); give -data\n", dir, err)
		return nil, 1
	}
	cfg, err := local.ConfigFromEnv(env)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, 1
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := local.Open(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "open %s: %v\n(is `make dev` running on it? stop it, or use the dev API: /dev/api/contacts/export?email=…, POST /dev/api/contacts/erase)\n", cfg.DataDir, err)
		return nil, 1
	}
	return rt, 0
}
