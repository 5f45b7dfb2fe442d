// Command sample-events (re)writes the sample Lambda events in events/ for
// `sam local invoke -e`, one per function, from the webhook bodies in
// events/bodies:
//
//	go run ./infra/cmd/sample-events
//	sam build && sam local invoke IngestFunction -e events/ingest-aftercare-booking-completed.json
//
// Webhook signatures carry a timestamp that is only accepted for five
// minutes, so regenerate the ingest events right before invoking them.
// They are signed with $AFTERCARE_WEBHOOK_SECRET, else with the public dev
// secret; to invoke against a deployed stage's secrets, pass that stage's
// secret with -secret (the value is read from the flag or the environment,
// never printed). The rating-link event is signed the same way with
// -link-secret ($AFTERCARE_LINK_SECRET, else a public sample key), and so
// is the reply address the sample reply is sent to, on the mailbox of
// -reply-address ($AFTERCARE_REPLY_ADDRESS, else care@reply.seabreeze.example).
//
// The files written:
//
//	ingest-<body>.json    API Gateway HTTP API (2.0): POST /webhooks/aftercare, signed
//	respond-rating.json   API Gateway HTTP API (2.0): POST /r/{token}, the rating page's
//	                      confirmation of a 5-star answer (a GET records nothing)
//	dispatch-fire.json    EventBridge Scheduler input: the thank-you step of BK-1042
//	dispatch-render.json  the respond function's synchronous Invoke: render the
//	                      acknowledgement of a bad answer to BK-1042
//	planner-stream.json   DynamoDB stream batch, KEYS_ONLY, touching every sample incident
//	replies-message.eml   María's email reply to the thank-you, as SES stores it
//	replies-s3.json       the inbound bucket's S3 notification for that message
//
// The dispatch, planner and replies events do not depend on the clock and
// come out the same on every run; they follow the default policy. To
// invoke the replies function against a deployed stage, name its inbound
// bucket and put the message where the notification says it is:
//
//	go run ./infra/cmd/sample-events -link-secret … -reply-address care@reply.example.com -inbound-bucket <InboundBucketName>
//	aws s3 cp events/replies-message.eml s3://<InboundBucketName>/inbound/<key in replies-s3.json>
//	sam local invoke RepliesFunction -e events/replies-s3.json
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// NativePrefix starts the name of every native webhook body in
// events/bodies (native.Name + "-").
const NativePrefix = "aftercare-"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, time.Now()))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer, now time.Time) int {
	fs := flag.NewFlagSet("sample-events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "events", "events directory; bodies are read from <dir>/bodies")
	// No flag defaults: -h would print secrets from the environment.
	secret := fs.String("secret", "", "whsec_ webhook secret (default: $AFTERCARE_WEBHOOK_SECRET, else the dev secret)")
	linkSecret := fs.String("link-secret", "", "rating-link key (default: $AFTERCARE_LINK_SECRET, else a public sample key)")
	inboundBucket := fs.String("inbound-bucket", SampleInboundBucket, "inbound mail bucket named in replies-s3.json")
	replyAddress := fs.String("reply-address", "", "base mailbox of reply addresses (default: $AFTERCARE_REPLY_ADDRESS, else "+SampleReplyAddress+")")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: sample-events [-dir events] [-secret whsec_…] [-link-secret …] [-reply-address care@reply.example.com] [-inbound-bucket name]")
		return 2
	}
	opts := Options{Now: now, WebhookSecret: *secret, LinkKey: []byte(*linkSecret), ReplyAddress: *replyAddress, InboundBucket: *inboundBucket}
	if opts.ReplyAddress == "" {
		opts.ReplyAddress = strings.TrimSpace(getenv("AFTERCARE_REPLY_ADDRESS"))
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = getenv("AFTERCARE_WEBHOOK_SECRET")
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = stdwebhooks.DevSecret
	}
	// The first secret signs, as a sender mid-rotation would.
	opts.WebhookSecret, _, _ = strings.Cut(opts.WebhookSecret, ",")
	if len(opts.LinkKey) == 0 {
		opts.LinkKey = []byte(getenv("AFTERCARE_LINK_SECRET"))
	}
	if len(opts.LinkKey) == 0 {
		opts.LinkKey = []byte(SampleLinkKey)
	}
	if k, _, ok := strings.Cut(string(opts.LinkKey), ","); ok {
		opts.LinkKey = []byte(k)
	}

	bodies, err := ReadBodies(filepath.Join(*dir, "bodies"))
	if err != nil {
		fmt.Fprintln(stderr, "sample-events:", err)
		return 1
	}
	files, err := Generate(bodies, opts)
	if err != nil {
		fmt.Fprintln(stderr, "sample-events:", err)
		return 1
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(*dir, name), files[name], 0o644); err != nil {
			fmt.Fprintln(stderr, "sample-events:", err)
			return 1
		}
		fmt.Fprintln(stdout, filepath.Join(*dir, name))
	}
	fmt.Fprintf(stdout, "signed at %s; the webhook events verify until %s\n",
		now.UTC().Format(time.RFC3339), now.Add(stdwebhooks.Tolerance).UTC().Format(time.RFC3339))
	return 0
}

// ReadBodies reads every native body in dir (aftercare-*.json), keyed by
// file name without .json. The other providers' samples beside them
// (calcom-*.json, …) are for post-webhook: the ingest events written here
// are native Standard Webhooks deliveries.
func ReadBodies(dir string) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(dir, NativePrefix+"*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no webhook bodies in %s", dir)
	}
	bodies := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		bodies[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	return bodies, nil
}
