package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/calendar/ical"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/lambdah"
	"github.com/aftercare/aftercare/shared/lambdah/feedback"
	"github.com/aftercare/aftercare/shared/lambdah/inbound"
	"github.com/aftercare/aftercare/shared/lambdah/pages"
	"github.com/aftercare/aftercare/shared/lambdah/stream"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/render/remote"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store/bolt"
)

// eventsDir is the repository's events/ directory.
const eventsDir = "../../../events"

// t0 is the fixed time the tests regenerate the signed events at: after
// every sample body's occurred_at, and after the flow step fell due.
var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func testOptions() Options {
	return Options{Now: t0, WebhookSecret: stdwebhooks.DevSecret, LinkKey: []byte(SampleLinkKey), ReplyAddress: SampleReplyAddress}
}

// teamAddress is where the sample stack's team alerts go.
const teamAddress = "desk@seabreeze.example"

// diskEvents reads every file in events/: the samples at the top and the
// webhook bodies under bodies/. Anything else there is an error, so that a
// new sample cannot be added without a handler in this test.
func diskEvents(t *testing.T) (samples, bodies map[string][]byte) {
	t.Helper()
	samples, bodies = map[string][]byte{}, map[string][]byte{}
	err := filepath.WalkDir(eventsDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(eventsDir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch dir, name := filepath.Split(rel); {
		case dir == "" && (strings.HasSuffix(name, ".json") || name == ReplyFile):
			samples[name] = b
		case dir == "bodies"+string(filepath.Separator) && strings.HasPrefix(name, NativePrefix) && strings.HasSuffix(name, ".json"):
			bodies[strings.TrimSuffix(name, ".json")] = b
		case dir == "bodies"+string(filepath.Separator) && strings.HasSuffix(name, ".json") && providerSample(name):
			// Another provider's sample, for post-webhook (tested there).
		default:
			t.Errorf("events/%s: not a sample event or a webhook body; give it a handler in this test", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return samples, bodies
}

// providerSample reports whether name is a sample body of a provider other
// than the native one, named after it as post-webhook expects.
func providerSample(name string) bool {
	for _, p := range compose.Providers[1:] {
		if strings.HasPrefix(name, p.Name+"-") {
			return true
		}
	}
	return false
}

// TestSampleEventsAreCurrent checks the files are what the generator
// writes, apart from the signing time and what depends on it: a body edited
// without regenerating, or a generator change not run, fails here.
func TestSampleEventsAreCurrent(t *testing.T) {
	samples, bodies := diskEvents(t)
	want, err := Generate(bodies, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		got, ok := samples[name]
		if !ok {
			t.Errorf("events/%s is missing; run go run ./infra/cmd/sample-events", name)
			continue
		}
		if strings.HasSuffix(name, ".eml") {
			// As a checkout may have turned the line ends into CRLF.
			if !bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), w) {
				t.Errorf("events/%s is stale; run go run ./infra/cmd/sample-events", name)
			}
			continue
		}
		if g, w := normalize(t, got), normalize(t, w); !reflect.DeepEqual(g, w) {
			t.Errorf("events/%s is stale; run go run ./infra/cmd/sample-events\n got: %v\nwant: %v", name, g, w)
		}
	}
	for name := range samples {
		if _, ok := want[name]; !ok {
			t.Errorf("events/%s is not written by the generator", name)
		}
	}
}

// volatile are the fields that change with the signing time or secret.
var volatile = map[string]bool{
	stdwebhooks.HeaderTimestamp: true, stdwebhooks.HeaderSignature: true,
	"time": true, "timeEpoch": true, "token": true, "rawPath": true, "path": true,
}

func normalize(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if volatile[k] {
					if s, ok := e.(string); !ok || strings.HasPrefix(s, "/r/") || !strings.HasPrefix(s, "/") {
						x[k] = "…"
						continue
					}
				}
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	return walk(v)
}

// world is the functions composed by awswire, as on AWS, but on the
// embedded adapters: a bbolt store, the local scheduler (never started:
// the test fires by hand), a mailer that keeps what it is given, and the
// real S3 client talking to a fake S3 that serves the sample reply.
type world struct {
	clock *clock.Settable
	store interface {
		Get(ctx context.Context, id string) (domain.Incident, error)
		GetContact(ctx context.Context, key string) (domain.Contact, error)
	}
	sched  *localsched.Scheduler
	mailer *keepMailer
	s3     *fakeS3
	// The functions' handlers, each composed by the builder its
	// main uses, and a service to look at what respond would show.
	ingest, respond http.Handler
	planner         any
	dispatch        any
	replies         any
	feedback        any
	svc             *app.Service
}

// fakeS3 serves objects by "bucket/key" as S3's REST protocol does with
// path-style addressing, and records the requests.
type fakeS3 struct {
	mu       sync.Mutex
	objects  map[string][]byte
	requests []string // "METHOD /path?query signed-for-service"
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	service := ""
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(strings.SplitN(cred, ",", 2)[0], "/"); len(parts) == 5 {
			service = parts[3]
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery+" "+service)
	body, ok := f.objects[strings.TrimPrefix(r.URL.Path, "/")]
	f.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

type keepMailer struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (m *keepMailer) Send(_ context.Context, msg mail.Message) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return "ses-sample-1", nil
}

// sampleContactKey keys the sample stack's people's records.
const sampleContactKey = "sample-contact-key-0123456789abcdef0123456789"

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{clock: clock.NewFrozen(t0), mailer: &keepMailer{},
		s3: &fakeS3{objects: map[string][]byte{}}}
	st, err := bolt.Open(filepath.Join(dir, "aftercare.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	w.store = st
	s3srv := httptest.NewServer(w.s3)
	t.Cleanup(s3srv.Close)
	objects := s3.New(s3.Options{
		Region: sampleRegion, BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:     aws.NopRetryer{},
	})
	w.sched, err = localsched.Open(filepath.Join(dir, "schedules.db"), w.clock, func(context.Context, schedule.Fire) error {
		t.Error("the local scheduler fired on its own")
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.sched.Close() })
	env := map[string]string{
		awswire.EnvTable:               "aftercare-incidents",
		awswire.EnvSecretsPath:         "/aftercare/sample",
		awswire.EnvPublicURL:           "https://" + sampleDomain,
		awswire.EnvFrom:                "care@seabreeze.example",
		awswire.EnvBrandName:           "Sea Breeze Tours",
		awswire.EnvScheduleGroup:       "aftercare",
		awswire.EnvDispatchARN:         "arn:aws:lambda:eu-west-1:123456789012:function:aftercare-dispatch",
		awswire.EnvSchedulerRoleARN:    "arn:aws:iam::123456789012:role/aftercare-scheduler",
		awswire.EnvScheduleDLQARN:      "arn:aws:sqs:eu-west-1:123456789012:aftercare-schedule-dlq",
		awswire.EnvSESConfigurationSet: "aftercare",
		awswire.EnvTeamEmail:           teamAddress,
		awswire.EnvReplyAddress:        SampleReplyAddress,
	}
	// The secrets Parameter Store would hold.
	env[compose.LinkSecret], env[compose.WebhookSecret] = SampleLinkKey, stdwebhooks.DevSecret
	env[compose.ContactKey] = sampleContactKey
	settings := func(f awswire.Function) compose.Settings {
		s, err := compose.Parse(func(k string) string { return env[k] }, f.Needs())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ports := compose.Ports{Store: st, Scheduler: w.sched, Clock: w.clock}
	mailing := ports
	mailing.Mailer, mailing.Renderer, mailing.Calendar = w.mailer, render.New(settings(awswire.Dispatch).Brand), ical.Write
	var err1, err2, err3, err4, err5, err6, err7 error
	w.ingest, err1 = lambdah.Ingest(settings(awswire.Ingest), ports, nil)
	w.respond, err2 = pages.Respond(settings(awswire.Respond), mailing, nil)
	w.planner, err3 = stream.Planner(settings(awswire.Planner), ports, nil)
	w.dispatch, err4 = lambdah.Dispatch(settings(awswire.Dispatch), mailing, nil)
	w.replies, err5 = inbound.Replies(settings(awswire.Replies), ports, objects.GetObject, nil)
	w.svc, err6 = compose.Service(settings(awswire.Respond), mailing, nil)
	w.feedback, err7 = feedback.Feedback(settings(awswire.Feedback), compose.Ports{Store: st, Clock: w.clock}, nil)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		t.Fatal(err)
	}
	return w
}

// strictDecode decodes a sample as the Lambda runtime would, but refuses
// fields the event type does not have, so a misspelt field fails here
// rather than being silently dropped by sam local invoke.
func strictDecode(t *testing.T, name string, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("events/%s: %v", name, err)
	}
}

// TestSampleEventsThroughHandlers feeds every sample in events/ to its
// function's handler, in the order of the product's flow: the webhooks
// (regenerated at t0, since their signatures expire), the stream batch,
// the scheduler's wake-up call and the rating link.
func TestSampleEventsThroughHandlers(t *testing.T) {
	samples, bodies := diskEvents(t)
	fresh, err := Generate(bodies, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	ctx := context.Background()

	phase := func(name string) int {
		for i, p := range []string{"ingest-", "planner-", "dispatch-", "respond-", "replies-", "feedback-"} {
			if strings.HasPrefix(name, p) {
				return i
			}
		}
		t.Errorf("events/%s: no handler for this sample; name it ingest-, planner-, dispatch-, respond-, replies- or feedback-…", name)
		return -1
	}
	names := make([]string, 0, len(samples))
	phases := map[string]int{}
	for name := range samples {
		if name == ReplyFile {
			continue // not an event: the object replies-s3.json points at
		}
		names = append(names, name)
		phases[name] = phase(name)
	}
	sort.Slice(names, func(i, j int) bool {
		if pi, pj := phases[names[i]], phases[names[j]]; pi != pj {
			return pi < pj
		}
		return names[i] < names[j]
	})

	var fire schedule.Fire
	strictDecode(t, "dispatch-fire.json", samples["dispatch-fire.json"], &fire)

	// Each handler runs as lambda.Start would run it: the payload bytes go
	// through aws-lambda-go's own decoding and the answer through its
	// encoding.
	ingest := lambda.NewHandler(lambdah.HTTP(w.ingest))
	respond := lambda.NewHandler(lambdah.HTTP(w.respond))
	planner := lambda.NewHandler(w.planner)
	dispatch := lambda.NewHandler(w.dispatch)
	repliesFn := lambda.NewHandler(w.replies)
	feedbackFn := lambda.NewHandler(w.feedback)

	// The thank-you carries the signed reply address the sample reply is
	// sent to: the one the generator signs with the sample key.
	addrs, err := replies.NewAddresses(SampleReplyAddress, []byte(SampleLinkKey))
	if err != nil {
		t.Fatal(err)
	}
	replyTo, err := addrs.Address(fire.IncidentID, fire.Step)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(samples[ReplyFile], []byte("To: Sea Breeze Tours <"+replyTo+">")) {
		t.Errorf("events/%s is not addressed to the thank-you's reply address %s", ReplyFile, replyTo)
	}
	invoke := func(h lambda.Handler, name string, payload []byte) []byte {
		t.Helper()
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	apiResponse := func(name string, out []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		var resp events.APIGatewayV2HTTPResponse
		strictDecode(t, name+" (response)", out, &resp)
		return resp
	}

	for _, name := range names {
		disk := samples[name]
		switch {
		case strings.HasPrefix(name, "ingest-"):
			strictDecode(t, name, disk, &events.APIGatewayV2HTTPRequest{})
			// As written: signed at generation time, so at t0 it is either
			// stale (401) or, generated within five minutes of t0, good.
			resp := apiResponse(name, invoke(ingest, name, disk))
			checkJSON(t, name+" (as written)", resp, http.StatusAccepted, http.StatusUnauthorized)

			resp = apiResponse(name, invoke(ingest, name, fresh[name]))
			checkJSON(t, name, resp, http.StatusAccepted)
			var reply struct {
				Status  string `json:"status"`
				Results []struct {
					IncidentID string `json:"incident_id"`
					Outcome    string `json:"outcome"`
				} `json:"results"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &reply); err != nil || reply.Status != "accepted" ||
				len(reply.Results) != 1 || reply.Results[0].IncidentID == "" || reply.Results[0].Outcome != "applied" {
				t.Errorf("%s: reply %s", name, resp.Body)
			}

		case strings.HasPrefix(name, "planner-"):
			strictDecode(t, name, disk, &events.DynamoDBEvent{})
			if out := invoke(planner, name, disk); string(out) != `{"batchItemFailures":[]}` {
				t.Errorf("%s: response %s", name, out)
			}
			// The schedule dispatch-fire.json names is the one the code
			// plans for the sample incident.
			entries, err := w.sched.List()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(entries, func(e localsched.Entry) bool { return e.Name == fire.Schedule }) {
				t.Errorf("%s: no pending schedule %s among %v", name, fire.Schedule, entries)
			}

		case name == "dispatch-render.json":
			var call remote.Call
			strictDecode(t, name, disk, &call)
			sent := len(w.mailer.sent)
			var out lambdah.DispatchOutput
			if err := json.Unmarshal(invoke(dispatch, name, disk), &out); err != nil {
				t.Fatalf("%s: response: %v", name, err)
			}
			if call.Render == nil || out.Answer == nil || out.Rendered == nil || out.Error != "" ||
				!strings.Contains(out.Rendered.Text, call.Render.CustomerName) || out.Rendered.HTML == "" || out.Sent {
				t.Errorf("%s: answer %+v; want the acknowledgement rendered for %s", name, out, call.Render.CustomerName)
			}
			if len(w.mailer.sent) != sent {
				t.Errorf("%s: a render sent mail", name)
			}

		case strings.HasPrefix(name, "dispatch-"):
			strictDecode(t, name, disk, &schedule.Fire{})
			var res app.DispatchResult
			strictDecode(t, name+" (response)", invoke(dispatch, name, disk), &res)
			if name == "dispatch-pre-arrival.json" { // after dispatch-fire.json
				if n := len(w.mailer.sent); !res.Sent || n != 2 || w.mailer.sent[1].To.Address != "giorgos.papadakis@example.gr" ||
					len(w.mailer.sent[1].Attachments) != 1 || w.mailer.sent[1].Attachments[0].Name != "booking.ics" {
					t.Errorf("%s: result %+v; want the pre-arrival advice with its .ics sent to the booking's guest", name, res)
				}
				continue
			}
			if !res.Sent || res.MessageID != "ses-sample-1" {
				t.Errorf("%s: result %+v", name, res)
			}
			if len(w.mailer.sent) != 1 || w.mailer.sent[0].To.Address != "maria@example.com" {
				t.Fatalf("%s: sent %d messages", name, len(w.mailer.sent))
			}
			if got := w.mailer.sent[0].ReplyTo; got != replyTo {
				t.Errorf("%s: Reply-To %q, want the signed reply address %q", name, got, replyTo)
			}

		case strings.HasPrefix(name, "respond-"):
			strictDecode(t, name, disk, &events.APIGatewayV2HTTPRequest{})
			// The link itself, as a scanner or the customer opens it: the
			// page, and nothing recorded.
			var get events.APIGatewayV2HTTPRequest
			strictDecode(t, name, fresh[name], &get)
			get.RouteKey, get.RequestContext.RouteKey, get.RequestContext.HTTP.Method = "GET /r/{token}", "GET /r/{token}", http.MethodGet
			get.Body, get.Headers["accept"] = "", "text/html"
			delete(get.Headers, "content-type")
			delete(get.Headers, "content-length")
			getPayload, _ := json.Marshal(get)
			checkHTML(t, name+" (GET)", apiResponse(name, invoke(respond, name, getPayload)), http.StatusOK)
			if v, err := w.svc.Peek(ctx, get.PathParameters["token"]); err != nil || v.Answer.Score != 0 {
				t.Errorf("%s: opening the link recorded %+v (%v)", name, v.Answer, err)
			}

			// As written: the token may have expired by t0 (410) or not.
			resp := apiResponse(name, invoke(respond, name, disk))
			checkJSON(t, name+" (as written)", resp, http.StatusOK, http.StatusNotFound, http.StatusGone)

			resp = apiResponse(name, invoke(respond, name, fresh[name]))
			checkJSON(t, name, resp, http.StatusOK)
			var answer struct {
				Status string `json:"status"`
				Score  int    `json:"score"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &answer); err != nil || answer.Status != "recorded" || answer.Score != 5 {
				t.Errorf("%s: answer %s", name, resp.Body)
			}
			var e events.APIGatewayV2HTTPRequest
			strictDecode(t, name, fresh[name], &e)
			v, err := w.svc.Peek(ctx, e.PathParameters["token"])
			if err != nil || v.Answer.Score != 5 {
				t.Errorf("%s: answer not recorded: %+v, %v", name, v.Answer, err)
			}

		case strings.HasPrefix(name, "feedback-"):
			// As EventBridge delivers SES's event: the envelope, the record.
			var env struct {
				Source     string          `json:"source"`
				DetailType string          `json:"detail-type"`
				Detail     json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal(disk, &env); err != nil || env.Source != "aws.ses" || env.DetailType != "Email Bounced" || len(env.Detail) == 0 {
				t.Errorf("%s: not an SES event as EventBridge delivers it: %v", name, err)
			}
			var res app.MailEventResult
			strictDecode(t, name+" (response)", invoke(feedbackFn, name, disk), &res)
			if res.Outcome != app.MailSuppressed || res.IncidentID != fire.IncidentID || res.Step != fire.Step {
				t.Errorf("%s: result %+v", name, res)
			}
			c, err := w.store.GetContact(ctx, domain.ContactKey([]byte(sampleContactKey), "maria@example.com"))
			if err != nil || c.Consent.State != domain.ConsentSuppressed {
				t.Errorf("%s: the person is not suppressed: %+v %v", name, c.Consent, err)
			}

		case strings.HasPrefix(name, "replies-"):
			var ev events.S3Event
			strictDecode(t, name, disk, &ev)
			if len(ev.Records) != 1 {
				t.Fatalf("%s: %d records, want 1", name, len(ev.Records))
			}
			obj := ev.Records[0].S3
			key := obj.Object.URLDecodedKey
			if !strings.HasPrefix(key, "inbound/") || obj.Object.Size != int64(len(samples[ReplyFile])) {
				t.Errorf("%s: key %q size %d, want inbound/… of events/%s's size", name, key, obj.Object.Size, ReplyFile)
			}
			// SES stored the message where the notification says.
			w.s3.objects[obj.Bucket.Name+"/"+key] = samples[ReplyFile]
			sentBefore := len(w.mailer.sent)

			var resp inbound.RepliesResponse
			strictDecode(t, name+" (response)", invoke(repliesFn, name, disk), &resp)
			ref := "s3://" + obj.Bucket.Name + "/" + key
			want := inbound.RecordResult{Ref: ref, ReplyResult: app.ReplyResult{Outcome: app.ReplyRecorded, IncidentID: fire.IncidentID, Step: fire.Step}}
			if len(resp.Results) != 1 || resp.Results[0] != want {
				t.Errorf("%s: results %+v, want %+v", name, resp.Results, want)
			}
			if want := []string{"GET /" + obj.Bucket.Name + "/" + key + "?x-id=GetObject s3"}; !slices.Equal(w.s3.requests, want) {
				t.Errorf("%s: S3 requests %q, want %q", name, w.s3.requests, want)
			}
			inc, err := w.store.Get(ctx, fire.IncidentID)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryReply })
			if i < 0 || inc.Timeline[i].Ref != ref || !strings.HasPrefix(inc.Timeline[i].Detail, "¡Muchas gracias!") ||
				strings.Contains(inc.Timeline[i].Detail, "> Gracias por navegar") {
				t.Errorf("%s: the reply is not on the timeline, stripped, with its ref: %+v", name, inc.Timeline)
			}
			if inc.Attention == nil {
				t.Errorf("%s: a written reply must ask for the team's attention", name)
			}
			// The replies function sends nothing itself: the write plans the
			// team's alert and the acknowledgement, due now, whose schedules
			// (the stream planner's) fire dispatch within a minute.
			for _, p := range domain.Plan(inc, w.svc.Policy(), w.clock.Now()) {
				if p.Kind != domain.KindAlert && p.Kind != domain.KindAck || p.Due.After(w.clock.Now()) {
					continue
				}
				f := schedule.Fire{IncidentID: inc.ID, Step: p.Key, Schedule: domain.ScheduleName(inc.ID, p.Key, p.Due)}
				if res, err := w.dispatch.(lambdah.DispatchFunc)(ctx, lambdah.DispatchInput{Fire: f}); err != nil || !res.Sent {
					t.Errorf("%s: dispatch %s: %+v %v", name, p.Key, res, err)
				}
			}
			var to []string
			for _, m := range w.mailer.sent[sentBefore:] {
				to = append(to, m.To.Address)
			}
			if !slices.Contains(to, teamAddress) || !slices.Contains(to, "maria@example.com") {
				t.Errorf("%s: sent to %v, want the team alert and the acknowledgement", name, to)
			}
		}
	}
}

func checkJSON(t *testing.T, name string, resp events.APIGatewayV2HTTPResponse, codes ...int) {
	t.Helper()
	if !slices.Contains(codes, resp.StatusCode) {
		t.Errorf("%s: status %d, want one of %v: %s", name, resp.StatusCode, codes, resp.Body)
	}
	if !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") || !json.Valid([]byte(resp.Body)) {
		t.Errorf("%s: not a JSON answer: %v %q", name, resp.Headers, resp.Body)
	}
}

func checkHTML(t *testing.T, name string, resp events.APIGatewayV2HTTPResponse, codes ...int) {
	t.Helper()
	if !slices.Contains(codes, resp.StatusCode) {
		t.Errorf("%s: status %d, want one of %v", name, resp.StatusCode, codes)
	}
	if !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") || !strings.Contains(resp.Body, "</html>") {
		t.Errorf("%s: not a page: %v", name, resp.Headers)
	}
}

func TestRunWritesEvents(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bodies"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, bodies := diskEvents(t)
	for name, b := range bodies {
		if err := os.WriteFile(filepath.Join(dir, "bodies", name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == "AFTERCARE_WEBHOOK_SECRET" {
			return stdwebhooks.DevSecret + ",whsec_old"
		}
		return ""
	}
	if code := run([]string{"-dir", dir}, env, &out, &errOut, t0); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want, err := Generate(bodies, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("%s not written as generated (%v)", name, err)
		}
	}
	if strings.Contains(out.String()+errOut.String(), "whsec_") {
		t.Error("the secret was printed")
	}
	if code := run([]string{"-dir", t.TempDir()}, env, io.Discard, io.Discard, t0); code != 1 {
		t.Errorf("no bodies: exit %d, want 1", code)
	}
}
