package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/replies"
)

// ObjectGetter reads a stored message: (*s3.Client).GetObject. Functions
// rather than interfaces keep the linker from retaining every method of
// the S3 client and of the service (see lambdah.Dispatcher).
type ObjectGetter func(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)

// Replier is the use case the replies function runs (Service.Reply).
type Replier func(ctx context.Context, raw []byte, ref string, envelope ...string) (app.ReplyResult, error)

// MaxInbound is the largest stored email the replies function reads:
// replies.MaxMessage, which no customer's typed answer comes near (SES
// accepts 40 MB, which is attachments). A larger one is dropped unread.
const MaxInbound = replies.MaxMessage

// SESSetupNotification is the object SES writes under the prefix when a
// receipt rule with an S3 action is created, to check it may; it is not
// an email.
const SESSetupNotification = "AMAZON_SES_SETUP_NOTIFICATION"

// Reasons a stored message is dropped before it reaches the use case.
const (
	DropTooLarge = "message too large"
	DropGone     = "stored message no longer exists"
	DropVirus    = "SES found a virus"
)

// RepliesResponse is what the replies handler answers: one result per
// record, for `sam local invoke` and the logs (S3 invokes asynchronously
// and ignores it). It holds no address and no message text.
type RepliesResponse struct {
	Results []RecordResult `json:"results"`
}

// RecordResult is what became of one S3 record.
type RecordResult struct {
	Ref string `json:"ref"`
	app.ReplyResult
	// Skipped says why a record was not read (not a new object, the SES
	// setup notification).
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// RepliesHandler takes the S3 notifications of the inbound mail bucket,
// where an SES receipt rule stores every email sent to a reply address.
// For each new object it reads the message (at most MaxInbound bytes) and
// hands it to the Reply use case, with "s3://bucket/key" as the reference
// kept on the timeline.
//
// S3 invokes the function asynchronously. The handler returns an error
// only for what a retry can fix: S3 or the store failing. Lambda then
// retries the event, and after its retries sends it to the on-failure
// queue (template.yaml). A message that is dropped — not ours, forged,
// automatic, unreadable, too large, gone, carrying a virus — is logged
// and is not an error, since a retry would drop it again.
//
// S3 puts one record in each notification; were there several, a retry
// would repeat the ones that succeeded, so a failed record does not stop
// the others but comes back as the error.
func RepliesHandler(objects ObjectGetter, r Replier, log *slog.Logger) func(ctx context.Context, e events.S3Event) (RepliesResponse, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, e events.S3Event) (RepliesResponse, error) {
		resp := RepliesResponse{Results: []RecordResult{}}
		var errs []error
		for _, rec := range e.Records {
			res, err := reply(ctx, objects, r, rec, log)
			if err != nil {
				res.Error = err.Error()
				errs = append(errs, err)
			}
			resp.Results = append(resp.Results, res)
		}
		if err := errors.Join(errs...); err != nil {
			log.ErrorContext(ctx, "inbound mail not processed; Lambda retries the event", "records", len(e.Records), "failed", len(errs), "error", err)
			return resp, err
		}
		return resp, nil
	}
}

func reply(ctx context.Context, objects ObjectGetter, r Replier, rec events.S3EventRecord, log *slog.Logger) (RecordResult, error) {
	bucket := rec.S3.Bucket.Name
	key := rec.S3.Object.URLDecodedKey
	if key == "" && rec.S3.Object.Key != "" {
		// Keys arrive URL-encoded; the runtime's decoding fills
		// URLDecodedKey, but an event built in code may lack it.
		k, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			log.WarnContext(ctx, "inbound record skipped: undecodable key", "bucket", bucket)
			return RecordResult{Skipped: "undecodable key"}, nil
		}
		key = k
	}
	res := RecordResult{Ref: "s3://" + bucket + "/" + key}
	switch {
	case !strings.HasPrefix(rec.EventName, "ObjectCreated:"):
		res.Skipped = "not a new object: " + rec.EventName
	case bucket == "" || key == "":
		res.Skipped = "no bucket or key"
	case path.Base(key) == SESSetupNotification:
		res.Skipped = "SES setup notification"
	}
	if res.Skipped != "" {
		log.InfoContext(ctx, "inbound record skipped", "ref", res.Ref, "reason", res.Skipped)
		return res, nil
	}
	if rec.S3.Object.Size > MaxInbound {
		return dropped(ctx, log, res, DropTooLarge, "size", rec.S3.Object.Size), nil
	}

	out, err := objects(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var gone *types.NoSuchKey
		if errors.As(err, &gone) {
			return dropped(ctx, log, res, DropGone), nil
		}
		return res, fmt.Errorf("s3:GetObject %s: %w", res.Ref, err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > MaxInbound {
		return dropped(ctx, log, res, DropTooLarge, "size", n), nil
	}
	raw, err := io.ReadAll(io.LimitReader(out.Body, MaxInbound+1))
	if err != nil {
		return res, fmt.Errorf("s3:GetObject %s: read: %w", res.Ref, err)
	}
	if len(raw) > MaxInbound {
		return dropped(ctx, log, res, DropTooLarge, "size", len(raw)), nil
	}
	if virus(raw) {
		return dropped(ctx, log, res, DropVirus), nil
	}
	rr, err := r(ctx, raw, res.Ref)
	if err != nil {
		return res, fmt.Errorf("reply %s: %w", res.Ref, err)
	}
	res.ReplyResult = rr
	log.InfoContext(ctx, "inbound mail processed", "ref", res.Ref, "outcome", rr.Outcome, "reason", rr.Reason,
		"incident", rr.IncidentID, "step", rr.Step)
	return res, nil
}

func dropped(ctx context.Context, log *slog.Logger, res RecordResult, reason string, attrs ...any) RecordResult {
	res.ReplyResult = app.ReplyResult{Outcome: app.ReplyDropped, Reason: reason}
	log.WarnContext(ctx, "inbound mail dropped", append([]any{"ref", res.Ref, "reason", reason}, attrs...)...)
	return res
}

// virus reports SES's verdict on a message stored by a receipt rule with
// scanning on. SES puts its headers at the top, so the first
// X-SES-Virus-Verdict is SES's own; a sender can only add one below it,
// which is never read.
func virus(raw []byte) bool {
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return false // the use case drops what it cannot read
	}
	return strings.EqualFold(strings.TrimSpace(m.Header.Get("X-SES-Virus-Verdict")), "FAIL")
}

// Replies builds the replies function's handler on the given adapters and
// the S3 client that reads the stored messages.
func Replies(s compose.Settings, p compose.Ports, objects ObjectGetter, log *slog.Logger) (func(ctx context.Context, e events.S3Event) (RepliesResponse, error), error) {
	p.StreamPlanner = true // on AWS the stream planner creates wake-up calls
	p.ParseReply = replies.Inbound
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	return RepliesHandler(objects, svc.Reply, log), nil
}
