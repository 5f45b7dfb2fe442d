package infra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/middleware"

	"github.com/aftercare/aftercare/infra/emulators"
	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/calendar/ical"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/lambdah"
	"github.com/aftercare/aftercare/shared/lambdah/feedback"
	"github.com/aftercare/aftercare/shared/lambdah/pages"
	"github.com/aftercare/aftercare/shared/lambdah/stream"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/render/remote"
	"github.com/aftercare/aftercare/shared/mail/ses"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/sesevents"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }

// streamEvent is the stream record of one write, as a NEW_AND_OLD_IMAGES
// stream delivers it through the planner's filter.
func streamEvent(t *testing.T, before, after domain.Incident) events.DynamoDBEvent {
	t.Helper()
	image := func(inc domain.Incident) map[string]events.DynamoDBAttributeValue {
		if inc.ID == "" {
			return nil
		}
		doc, err := domain.Encode(inc)
		if err != nil {
			t.Fatal(err)
		}
		img := map[string]events.DynamoDBAttributeValue{
			dynamo.PartitionKey: events.NewStringAttribute(dynamo.IncidentKeyPrefix + after.ID),
			dynamo.SortKey:      events.NewStringAttribute(dynamo.IncidentSortKey),
			dynamo.DocAttribute: events.NewStringAttribute(string(doc)),
		}
		if inc.Replan { // as the store writes it: the planner reconciles these
			img[dynamo.ReplanAttribute] = events.NewBooleanAttribute(true)
		}
		return img
	}
	name := "MODIFY"
	if before.ID == "" {
		name = "INSERT"
	}
	return events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		EventName: name, EventID: "e",
		Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{
				dynamo.PartitionKey: events.NewStringAttribute(dynamo.IncidentKeyPrefix + after.ID),
				dynamo.SortKey:      events.NewStringAttribute(dynamo.IncidentSortKey),
			},
			OldImage: image(before), NewImage: image(after), SequenceNumber: "1", StreamViewType: "NEW_AND_OLD_IMAGES",
		},
	}}}
}

// calls counts AWS API calls by service and operation, from SDK
// middleware on the real clients.
type calls struct {
	mu sync.Mutex
	n  map[string]int
	// wcu is the write capacity the counters' transactions consumed.
	wcu float64
}

func (c *calls) units() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wcu
}

func (c *calls) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
}

func (c *calls) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

func (c *calls) middleware(service string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := service + ":" + awsmw.GetOperationName(ctx)
			// A person's record (issue 10) is counted apart from the incident.
			var key map[string]types.AttributeValue
			switch p := in.Parameters.(type) {
			case *dynamodb.PutItemInput:
				key = p.Item
			case *dynamodb.GetItemInput:
				key = p.Key
			}
			if pk, ok := key[dynamo.PartitionKey].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, dynamo.ContactKeyPrefix) {
				op += ":contact"
			}
			c.add(op)
			// The report counters' transactions: their write units, as
			// DynamoDB bills them: two per item written per KB. Each item
			// here (a bucket's counters, the change marker) is under 1 KB
			// (DynamoDB Local does not report transactional capacity).
			tx, isTx := in.Parameters.(*dynamodb.TransactWriteItemsInput)
			out, md, err := next.HandleInitialize(ctx, in)
			if isTx && err == nil {
				c.mu.Lock()
				c.wcu += float64(2 * len(tx.TransactItems))
				c.mu.Unlock()
			}
			return out, md, err
		}), middleware.Before)
	}
}

// streamed stands in for the table's stream: it keeps each write's item
// before and after, as a NEW_AND_OLD_IMAGES record carries them, and the
// planner's event filter (every incident write).
type streamed struct {
	store.Store
	mu      sync.Mutex
	pending [][2]domain.Incident
}

func (s *streamed) Update(ctx context.Context, id string, fn func(*domain.Incident) error) (domain.Incident, error) {
	return s.UpdateFrom(ctx, domain.Incident{ID: id}, fn)
}

func (s *streamed) UpdateFrom(ctx context.Context, from domain.Incident, fn func(*domain.Incident) error) (domain.Incident, error) {
	var before domain.Incident
	inc, err := s.Store.UpdateFrom(ctx, from, func(cur *domain.Incident) error {
		b, err := domain.Encode(*cur)
		if err != nil {
			return err
		}
		before = domain.Incident{}
		if err := json.Unmarshal(b, &before); err != nil {
			return err
		}
		return fn(cur)
	})
	// The planner's filter passes every incident write: it counts the
	// report aggregates of each and reconciles those flagged Replan.
	if err == nil {
		s.mu.Lock()
		s.pending = append(s.pending, [2]domain.Incident{before, inc})
		s.mu.Unlock()
	}
	return inc, err
}

func (s *streamed) drain() [][2]domain.Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending = nil
	return out
}

// fakeScheduler speaks EventBridge Scheduler's REST protocol: it records
// the schedules created (with the Fire each delivers) and deleted.
type fakeScheduler struct {
	mu      sync.Mutex
	created []schedule.Fire
	deletes int
}

func (f *fakeScheduler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/schedules/")
	switch r.Method {
	case http.MethodPost:
		var in struct {
			Target struct{ Input string }
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		var fire schedule.Fire
		if err := json.Unmarshal([]byte(in.Target.Input), &fire); err != nil || fire.Schedule != name {
			http.Error(w, `{"message":"bad input"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.created = append(f.created, fire)
		f.mu.Unlock()
		_, _ = io.WriteString(w, `{"ScheduleArn":"arn:aws:scheduler:eu-west-1:123456789012:schedule/g/`+name+`"}`)
	case http.MethodDelete:
		f.mu.Lock()
		f.deletes++
		f.mu.Unlock()
		w.Header().Set("x-amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"Message":"Schedule not found"}`)
	default:
		http.Error(w, "unexpected", http.StatusBadRequest)
	}
}

// TestRequestBudget runs one booking through the AWS composition of every
// function, on the real adapters (DynamoDB Local, the SES emulator, the
// Scheduler client against a fake speaking its protocol) with the stream
// simulated from each write's images, and counts the real calls: created
// → completed → the thank-you → the rating page → a 5 → a comment. The
// budget: at most 6 writes and 8 reads, no write for an answer that
// changes nothing, no planner run that has nothing to create. The counts
// are the cost table's (README) basis; `make bench` prints them.
func TestRequestBudget(t *testing.T) {
	ctx := t.Context()
	var n calls
	endpoint := emulators.DynamoDB(t)
	db := dynamodb.New(dynamodb.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		APIOptions:  []func(*middleware.Stack) error{n.middleware("dynamodb")},
	})
	table := fmt.Sprintf("budget-%d", time.Now().UnixNano())
	admin := dynamodb.New(dynamodb.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	if err := dynamo.CreateTable(ctx, admin, table); err != nil {
		t.Fatal(err)
	}
	st := &streamed{Store: dynamo.New(db, table)}
	fs := &fakeScheduler{}
	schedSrv := httptest.NewServer(fs)
	t.Cleanup(schedSrv.Close)
	sched, err := eventbridge.New(scheduler.New(scheduler.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(schedSrv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}), eventbridge.Config{
		GroupName: "g", TargetArn: "arn:aws:lambda:eu-west-1:123456789012:function:d",
		RoleArn: "arn:aws:iam::123456789012:role/r", DeadLetterArn: "arn:aws:sqs:eu-west-1:123456789012:q",
	})
	if err != nil {
		t.Fatal(err)
	}
	mailer := ses.New(sesv2.New(sesv2.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(emulators.SES(t)),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		APIOptions:  []func(*middleware.Stack) error{n.middleware("ses")},
	}), ses.Config{})

	linkKey := strings.Repeat("k", 40)
	env := map[string]string{
		compose.PublicURL: "https://care.example.com", compose.From: "Sea Breeze <care@seabreeze.example>",
		compose.WebhookSecret: stdwebhooks.DevSecret, compose.LinkSecret: linkKey,
		compose.TeamEmail: "desk@seabreeze.example", compose.ContactKey: strings.Repeat("c", 40),
	}
	settings, err := compose.Parse(func(k string) string { return env[k] }, compose.All)
	if err != nil {
		t.Fatal(err)
	}
	ports := compose.Ports{Store: st, Scheduler: sched}
	mailing := ports
	mailing.Mailer, mailing.Renderer, mailing.Calendar = mailer, render.New(settings.Brand), ical.Write
	// The functions' JSON logs, counted: CloudWatch bills their bytes.
	var logBytes countWriter
	log := slog.New(slog.NewJSONHandler(&logBytes, nil))
	ingest, err1 := lambdah.Ingest(settings, ports, log)
	counting := ports
	counting.Counters = st.Store.(store.Counters)
	planner, err2 := stream.Planner(settings, counting, log)
	dispatch, err3 := lambdah.Dispatch(settings, mailing, log)
	invocations := map[string]int{}
	// Respond renders through dispatch, as functions/respond does: each
	// email it sends inline is one synchronous invocation of dispatch,
	// through aws-lambda-go's handler as Lambda would call it.
	dispatchHandler := lambda.NewHandler(dispatch)
	responding := mailing
	responding.Calendar = nil
	responding.Renderer = remote.New(func(ctx context.Context, event []byte) ([]byte, error) {
		invocations["dispatch"]++
		return dispatchHandler.Invoke(ctx, event)
	})
	respond, err4 := pages.Respond(settings, responding, log)
	bounced, err5 := feedback.Feedback(settings, compose.Ports{Store: st}, log)
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			t.Fatal(err)
		}
	}
	plannerRuns := func() {
		for _, w := range st.drain() {
			invocations["planner"]++
			before := len(fs.created)
			if resp, err := planner(ctx, streamEvent(t, w[0], w[1])); err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("planner: %+v %v", resp, err)
			}
			if w[1].Replan && len(fs.created) == before {
				t.Errorf("a planner run created nothing (write of %s, version %d)", w[1].ID, w[1].Version)
			}
		}
	}
	serve := func(fn string, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
		invocations[fn]++
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		plannerRuns()
		return w
	}
	fire := func(step string) schedule.Fire {
		for i := len(fs.created) - 1; i >= 0; i-- {
			if f := fs.created[i]; f.Step == step {
				invocations["dispatch"]++
				invocations["scheduler"]++
				if res, err := dispatch(ctx, lambdah.DispatchInput{Fire: f}); err != nil || !res.Sent {
					t.Fatalf("dispatch %s: %+v %v", step, res, err)
				}
				plannerRuns()
				return f
			}
		}
		t.Fatalf("no schedule for %s among %+v", step, fs.created)
		return schedule.Fire{}
	}

	body, err := os.ReadFile(filepath.Join("..", "events", "bodies", "aftercare-booking-completed.json"))
	if err != nil {
		t.Fatal(err)
	}
	ended := time.Now().Add(-2 * time.Hour).UTC()
	webhook := func(id, ref, typ string, at time.Time) *http.Request {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["type"], m["occurred_at"] = typ, at.Format(time.RFC3339)
		m["booking"].(map[string]any)["ref"] = ref
		// A guest each: one person's second survey within a month is
		// (rightly) not sent.
		m["customer"].(map[string]any)["email"] = strings.ToLower(ref) + "@example.com"
		b, _ := json.Marshal(m)
		sig, _ := stdwebhooks.Sign(stdwebhooks.DevSecret, id, time.Now(), b)
		r := httptest.NewRequest(http.MethodPost, "/webhooks/aftercare", bytes.NewReader(b))
		r.Header.Set("webhook-id", id)
		r.Header.Set("webhook-timestamp", fmt.Sprint(time.Now().Unix()))
		r.Header.Set("webhook-signature", sig)
		return r
	}
	booking := func(ref string) {
		if w := serve("ingest", ingest, webhook("msg_c_"+ref, ref, "booking.created", ended.Add(-48*time.Hour))); w.Code != http.StatusAccepted {
			t.Fatalf("created: %d %s", w.Code, w.Body)
		}
		if w := serve("ingest", ingest, webhook("msg_d_"+ref, ref, "booking.completed", ended)); w.Code != http.StatusAccepted {
			t.Fatalf("completed: %d %s", w.Code, w.Body)
		}
	}
	signer, _ := links.NewSigner([]byte(linkKey))
	rate := func(f schedule.Fire, score int, form url.Values) {
		token := signer.Sign(links.Claims{Incident: f.IncidentID, Step: f.Step, Survey: domain.SurveyCSAT, Score: score, Expires: time.Now().Add(24 * time.Hour)})
		if w := serve("respond", respond, httptest.NewRequest(http.MethodGet, "/r/"+token, nil)); w.Code != http.StatusOK {
			t.Fatalf("rating page: %d", w.Code)
		}
		post := func(form url.Values) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, "/r/"+token, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return serve("respond", respond, r)
		}
		if w := post(url.Values{"confirm": {"1"}}); w.Code != http.StatusOK {
			t.Fatalf("answer: %d %s", w.Code, w.Body)
		}
		if w := post(form); w.Code != http.StatusOK {
			t.Fatalf("comment: %d %s", w.Code, w.Body)
		}
	}

	type counts struct {
		writes, reads, contactWrites, contactReads, emails, lambda, scheduler, apigw, size, logs, counted int
		countUnits                                                                                        float64
	}
	measure := func(flow func() string) counts {
		w0, r0, e0, l0 := n.get("dynamodb:PutItem"), n.get("dynamodb:GetItem"), n.get("ses:SendEmail"), logBytes.n.Load()
		cw0, cr0 := n.get("dynamodb:PutItem:contact"), n.get("dynamodb:GetItem:contact")
		tx0, u0 := n.get("dynamodb:TransactWriteItems"), n.units()
		clear(invocations)
		id := flow()
		size, err := dynamo.New(admin, table).StoredSize(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return counts{
			writes: n.get("dynamodb:PutItem") - w0, reads: n.get("dynamodb:GetItem") - r0, emails: n.get("ses:SendEmail") - e0,
			contactWrites: n.get("dynamodb:PutItem:contact") - cw0, contactReads: n.get("dynamodb:GetItem:contact") - cr0,
			lambda:    invocations["ingest"] + invocations["planner"] + invocations["dispatch"] + invocations["respond"] + invocations["feedback"],
			scheduler: invocations["scheduler"], apigw: invocations["ingest"] + invocations["respond"], size: size,
			logs:    int(logBytes.n.Load() - l0),
			counted: n.get("dynamodb:TransactWriteItems") - tx0, countUnits: n.units() - u0,
		}
	}
	scenarios := []struct {
		name string
		flow func() string
	}{
		{"answered (the issue's flow)", func() string {
			booking("BK-1")
			f := fire("thanks-1")
			rate(f, 5, url.Values{"confirm": {"1"}, "comment": {"Lovely sunset, thank you!"}})
			return f.IncidentID
		}},
		{"unanswered (thank-you and its reminder)", func() string {
			booking("BK-2")
			fire("thanks-1")
			return fire("thanks-1-r").IncidentID
		}},
		{"a 1 with a comment (team email, acknowledgement)", func() string {
			booking("BK-3")
			f := fire("thanks-1")
			rate(f, 1, url.Values{"confirm": {"1"}, "comment": {"The boat was an hour late."}})
			return f.IncidentID
		}},
		{"bounced: thank-you, then SES's permanent bounce (feedback; EventBridge delivers AWS events free)", func() string {
			booking("BK-4")
			f := fire("thanks-1")
			raw, err := sesevents.Sample("bounce-permanent", f.IncidentID, f.Step, "bk-4@example.com", "budget")
			if err != nil {
				t.Fatal(err)
			}
			invocations["feedback"]++
			if res, err := bounced(ctx, raw); err != nil || res.Outcome != app.MailSuppressed {
				t.Fatalf("feedback: %+v %v", res, err)
			}
			plannerRuns()
			return f.IncidentID
		}},
	}
	// Prices (us-east-1, on demand): DynamoDB $0.625 per million write and
	// $0.125 per million read request units (1 KB written, 4 KB read
	// consistently, per unit); SES $0.10 per 1,000 emails; Lambda $0.20
	// per million requests plus 128 MB × ~100 ms at $0.0000133334 per
	// GB-second (arm64); API Gateway HTTP API $1.00 per million; Scheduler
	// $1.00 per million invocations; CloudWatch Logs $0.50 per GB ingested
	// (the functions' JSON logs as counted, plus Lambda's ~300 bytes of
	// START/END/REPORT lines per invocation).
	t.Logf("| per 1,000 incidents | writes (incident + person) | reads (incident + person) | report counts (writes, units) | emails | invocations | DynamoDB | SES | Lambda | API Gateway | Scheduler | Logs | total |")
	t.Logf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for i, sc := range scenarios {
		c := measure(sc.flow)
		wru, rru := (c.size+1023)/1024, (c.size+4095)/4096
		// A person's record is small: one unit a write or read.
		dynamoCost := (float64(c.writes*wru+c.contactWrites)*0.625 + c.countUnits*0.625 + float64(c.reads*rru+c.contactReads)*0.125) / 1000
		sesCost := float64(c.emails) * 0.10
		lambdaCost := float64(c.lambda) * (0.20 + 0.125*0.1*13.3334) / 1000
		apiCost := float64(c.apigw) * 1.00 / 1000
		schedCost := float64(c.scheduler) * 1.00 / 1000
		logCost := float64(c.logs+300*c.lambda) * 1000 / 1e9 * 0.50
		t.Logf("| %s (item %.1f KB, %.1f KB of logs) | %d + %d | %d + %d | %d, %.0f | %d | %d | $%.3f | $%.3f | $%.4f | $%.3f | $%.3f | $%.4f | $%.3f |", sc.name,
			float64(c.size)/1024, float64(c.logs)/1024, c.writes, c.contactWrites, c.reads, c.contactReads, c.counted, c.countUnits, c.emails, c.lambda, dynamoCost, sesCost, lambdaCost, apiCost, schedCost, logCost,
			dynamoCost+sesCost+lambdaCost+apiCost+schedCost+logCost)
		if i == 0 {
			// The incident's budget (issue 9), and the person's record's:
			// created by the first webhook, spent once by the survey.
			if c.writes > 6 || c.reads > 8 || c.contactWrites > 2 || c.contactReads > 2 {
				t.Errorf("%s: %d+%d writes and %d+%d reads; the budget is 6+2 and 8+2", sc.name, c.writes, c.contactWrites, c.reads, c.contactReads)
			}
			if c.emails != 1 {
				t.Errorf("%s: %d emails, want the thank-you alone", sc.name, c.emails)
			}
		}
	}
	// The same answer again changes nothing and writes nothing.
	writes := n.get("dynamodb:PutItem")
	rate(fs.created[0], 5, url.Values{"confirm": {"1"}, "comment": {"Lovely sunset, thank you!"}})
	if n.get("dynamodb:PutItem") != writes {
		t.Errorf("re-posting the same answer wrote the incident %d times", n.get("dynamodb:PutItem")-writes)
	}
	for op := range n.n {
		if !slices.Contains([]string{"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:PutItem:contact", "dynamodb:GetItem:contact", "ses:SendEmail", "dynamodb:TransactWriteItems"}, op) {
			t.Errorf("unexpected call %s", op)
		}
	}
}

// countWriter counts the bytes written to it.
type countWriter struct{ n atomic.Int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}
