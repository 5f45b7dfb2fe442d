package inbound

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aftercare/aftercare/shared/app"
)

// fakeS3 answers GetObject as S3's REST protocol does (path-style
// addressing), from objects keyed "bucket/key", and records each request.
type fakeS3 struct {
	t       *testing.T
	objects map[string][]byte
	fail    map[string]int // status to answer for a key
	// noLength leaves Content-Length out (a chunked answer), so that only
	// reading the body can tell its size.
	noLength bool

	mu       sync.Mutex
	requests []s3Request
}

type s3Request struct {
	Method, Path, Query string
	Signed              bool
	Service             string // the service in the SigV4 credential scope
}

var credentialScope = strings.NewReplacer(",", " ", "/", " ")

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	service := ""
	if _, cred, ok := strings.Cut(auth, "Credential="); ok {
		// AKID/date/region/service/aws4_request
		if parts := strings.Fields(credentialScope.Replace(cred)); len(parts) >= 4 {
			service = parts[3]
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, s3Request{
		Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Signed: strings.HasPrefix(auth, "AWS4-HMAC-SHA256 "), Service: service,
	})
	f.mu.Unlock()
	key := strings.TrimPrefix(r.URL.Path, "/")
	if code := f.fail[key]; code != 0 {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(code)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>simulated</Message></Error>`)
		return
	}
	body, ok := f.objects[key]
	if !ok {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>%s</Key></Error>`, key)
		return
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(body))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"0123456789abcdef"`)
	w.Header().Set("x-amz-checksum-crc32", base64.StdEncoding.EncodeToString(sum[:]))
	if !f.noLength {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	_, _ = w.Write(body)
	if f.noLength {
		w.(http.Flusher).Flush()
	}
}

// client is the real SDK client pointed at f.
func (f *fakeS3) client(t *testing.T) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return s3.New(s3.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

type replyCall struct {
	raw []byte
	ref string
}

type fakeReplier struct {
	mu    sync.Mutex
	calls []replyCall
	res   app.ReplyResult
	err   map[string]error // by ref
}

func (f *fakeReplier) Reply(_ context.Context, raw []byte, ref string, envelope ...string) (app.ReplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, replyCall{raw: raw, ref: ref})
	if err := f.err[ref]; err != nil {
		return app.ReplyResult{}, err
	}
	return f.res, nil
}

// s3Record is one S3 notification record as S3 writes it; the key is
// URL-encoded, as in real notifications.
func s3Record(event, bucket, encodedKey string, size int64) events.S3EventRecord {
	var rec events.S3EventRecord
	b := fmt.Sprintf(`{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1","eventName":%q,
		"s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":%d}}}`,
		event, bucket, bucket, encodedKey, size)
	if err := json.Unmarshal([]byte(b), &rec); err != nil {
		panic(err)
	}
	return rec
}

const replyMessage = "From: maria@example.com\r\nTo: care+thanks-1-x@reply.example.com\r\nSubject: Re: Sunset sailing\r\n\r\nGracias!\r\n"

func TestRepliesHandlerReadsTheObject(t *testing.T) {
	s3f := &fakeS3{t: t, objects: map[string][]byte{"inbound-bucket/inbound/msg 1": []byte(replyMessage)}}
	r := &fakeReplier{res: app.ReplyResult{Outcome: app.ReplyRecorded, IncidentID: "inc_a", Step: "thanks-1"}}
	h := RepliesHandler(s3f.client(t).GetObject, r.Reply, nil)
	resp, err := h(context.Background(), events.S3Event{Records: []events.S3EventRecord{
		s3Record("ObjectCreated:Put", "inbound-bucket", "inbound/msg+1", int64(len(replyMessage))),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s3f.requests) != 1 {
		t.Fatalf("%d S3 requests, want one GetObject", len(s3f.requests))
	}
	req := s3f.requests[0]
	if req.Method != http.MethodGet || req.Path != "/inbound-bucket/inbound/msg%201" || !strings.Contains(req.Query, "x-id=GetObject") {
		t.Errorf("request %s %s?%s, want GET /inbound-bucket/inbound/msg%%201 (the decoded key)", req.Method, req.Path, req.Query)
	}
	if !req.Signed || req.Service != "s3" {
		t.Errorf("request signed %v for service %q", req.Signed, req.Service)
	}
	if len(r.calls) != 1 || !bytes.Equal(r.calls[0].raw, []byte(replyMessage)) || r.calls[0].ref != "s3://inbound-bucket/inbound/msg 1" {
		t.Fatalf("reply calls %+v", r.calls)
	}
	want := RecordResult{Ref: "s3://inbound-bucket/inbound/msg 1", ReplyResult: r.res}
	if len(resp.Results) != 1 || resp.Results[0] != want {
		t.Errorf("response %+v, want %+v", resp.Results, want)
	}
}

func TestRepliesHandlerDropsAndSkips(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxInbound+1)
	virus := []byte("X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: FAIL\r\n" + replyMessage)
	forgedVerdict := []byte("X-SES-Virus-Verdict: PASS\r\n" + strings.Replace(replyMessage, "Subject:", "X-SES-Virus-Verdict: FAIL\r\nSubject:", 1))
	for _, tc := range []struct {
		name     string
		rec      events.S3EventRecord
		object   []byte
		noLength bool
		fetched  bool
		replied  bool
		outcome  string
		reason   string
		skipped  string
	}{
		{name: "too large by the event", rec: s3Record("ObjectCreated:Put", "b", "inbound/big", int64(len(big))), object: big,
			outcome: app.ReplyDropped, reason: DropTooLarge},
		{name: "too large by the length", rec: s3Record("ObjectCreated:Put", "b", "inbound/big", 0), object: big, fetched: true,
			outcome: app.ReplyDropped, reason: DropTooLarge},
		{name: "too large by the body", rec: s3Record("ObjectCreated:Put", "b", "inbound/big", 0), object: big, noLength: true, fetched: true,
			outcome: app.ReplyDropped, reason: DropTooLarge},
		{name: "gone", rec: s3Record("ObjectCreated:Put", "b", "inbound/gone", 10), fetched: true,
			outcome: app.ReplyDropped, reason: DropGone},
		{name: "virus", rec: s3Record("ObjectCreated:Put", "b", "inbound/virus", int64(len(virus))), object: virus, fetched: true,
			outcome: app.ReplyDropped, reason: DropVirus},
		{name: "a sender's own verdict below SES's", rec: s3Record("ObjectCreated:Put", "b", "inbound/ok", 0), object: forgedVerdict, fetched: true, replied: true,
			outcome: app.ReplyAnswered},
		{name: "SES setup notification", rec: s3Record("ObjectCreated:Put", "b", "inbound/AMAZON_SES_SETUP_NOTIFICATION", 10),
			skipped: "SES setup notification"},
		{name: "removal", rec: s3Record("ObjectRemoved:Delete", "b", "inbound/x", 0), skipped: "not a new object: ObjectRemoved:Delete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s3f := &fakeS3{t: t, objects: map[string][]byte{}, noLength: tc.noLength}
			if tc.object != nil {
				s3f.objects["b/"+tc.rec.S3.Object.URLDecodedKey] = tc.object
			}
			r := &fakeReplier{res: app.ReplyResult{Outcome: app.ReplyAnswered}}
			resp, err := RepliesHandler(s3f.client(t).GetObject, r.Reply, nil)(context.Background(), events.S3Event{Records: []events.S3EventRecord{tc.rec}})
			if err != nil {
				t.Fatalf("a dropped or skipped message is not an error (a retry would not change it): %v", err)
			}
			if got := len(s3f.requests) > 0; got != tc.fetched {
				t.Errorf("fetched %v, want %v", got, tc.fetched)
			}
			if got := len(r.calls) > 0; got != tc.replied {
				t.Errorf("replied %v, want %v", got, tc.replied)
			}
			res := resp.Results[0]
			if res.Outcome != tc.outcome || res.Reason != tc.reason || res.Skipped != tc.skipped {
				t.Errorf("result %+v, want outcome %q reason %q skipped %q", res, tc.outcome, tc.reason, tc.skipped)
			}
		})
	}
}

// What a retry can fix comes back as the error, so that Lambda retries the
// asynchronous event; the other records of the event are still processed.
func TestRepliesHandlerRetryableErrors(t *testing.T) {
	s3f := &fakeS3{t: t,
		objects: map[string][]byte{"b/inbound/ok": []byte(replyMessage), "b/inbound/store": []byte(replyMessage)},
		fail:    map[string]int{"b/inbound/s3down": http.StatusServiceUnavailable},
	}
	storeDown := errors.New("dynamodb: throttled")
	r := &fakeReplier{res: app.ReplyResult{Outcome: app.ReplyRecorded}, err: map[string]error{"s3://b/inbound/store": storeDown}}
	h := lambda.NewHandler(RepliesHandler(s3f.client(t).GetObject, r.Reply, nil))
	payload, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{
		s3Record("ObjectCreated:Put", "b", "inbound/s3down", 10),
		s3Record("ObjectCreated:Put", "b", "inbound/store", 10),
		s3Record("ObjectCreated:Put", "b", "inbound/ok", 10),
	}})
	_, err := h.Invoke(context.Background(), payload)
	if err == nil {
		t.Fatal("no error: Lambda would not retry")
	}
	for _, want := range []string{"s3:GetObject s3://b/inbound/s3down", "reply s3://b/inbound/store", "throttled"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(r.calls) != 2 || r.calls[1].ref != "s3://b/inbound/ok" {
		t.Errorf("reply calls %d, want the store failure and the good one", len(r.calls))
	}
}

// The answer goes back through aws-lambda-go's encoding, for sam local
// invoke: results per record, without addresses or text.
func TestRepliesHandlerResponseJSON(t *testing.T) {
	s3f := &fakeS3{t: t, objects: map[string][]byte{"b/inbound/m": []byte(replyMessage)}}
	r := &fakeReplier{res: app.ReplyResult{Outcome: app.ReplyDropped, Reason: "forged reply address"}}
	payload, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{s3Record("ObjectCreated:Put", "b", "inbound/m", 10)}})
	out, err := lambda.NewHandler(RepliesHandler(s3f.client(t).GetObject, r.Reply, nil)).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"results":[{"ref":"s3://b/inbound/m","outcome":"dropped","reason":"forged reply address"}]}`; string(out) != want {
		t.Errorf("response %s, want %s", out, want)
	}
	if empty, _ := RepliesHandler(s3f.client(t).GetObject, r.Reply, nil)(context.Background(), events.S3Event{}); empty.Results == nil {
		t.Error("an event without records answers an empty list, not null")
	}
}
