package ses_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	smithy "github.com/aws/smithy-go"

	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/ses"
)

// These tests run the real SDK client against an httptest server that
// answers like SES's REST-JSON endpoint, so serialisation, signing, error
// decoding and the retryer are all the SDK's own.

// reply is one canned SES answer.
type reply struct {
	status  int
	errType string // X-Amzn-ErrorType; empty for success
	message string
}

var ok = reply{status: http.StatusOK}

// fakeSES records SendEmail requests and answers them from a script; the
// last reply repeats.
type fakeSES struct {
	t       *testing.T
	mu      sync.Mutex
	replies []reply
	bodies  [][]byte
	headers []http.Header
	srv     *httptest.Server
}

func newFakeSES(t *testing.T, replies ...reply) *fakeSES {
	t.Helper()
	f := &fakeSES{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSES) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.bodies)
	f.bodies = append(f.bodies, body)
	f.headers = append(f.headers, r.Header.Clone())
	rep := f.replies[min(n, len(f.replies)-1)]
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("req-%d", n))
	if rep.errType == "" && rep.status == http.StatusOK {
		fmt.Fprintf(w, `{"MessageId":"0100018f-test-%d"}`, n)
		return
	}
	if rep.errType != "" {
		// The shape SES sends: the type in a header (with its namespace
		// suffix) and {"message": ...} in the body.
		w.Header().Set("X-Amzn-ErrorType", rep.errType+":http://internal.amazon.com/coral/com.amazonaws.sesv2/")
	}
	w.WriteHeader(rep.status)
	json.NewEncoder(w).Encode(map[string]string{"message": rep.message})
}

func (f *fakeSES) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func (f *fakeSES) body(i int) map[string]any {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var v map[string]any
	if err := json.Unmarshal(f.bodies[i], &v); err != nil {
		f.t.Fatalf("request %d is not JSON: %v\n%s", i, err, f.bodies[i])
	}
	return v
}

func newClient(endpoint string) *sesv2.Client {
	return sesv2.New(sesv2.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

// fast keeps retries real but the waits short.
func fast(cfg ses.Config) ses.Config {
	cfg.MaxBackoff = time.Millisecond
	return cfg
}

// greek is a satisfaction check as dispatch composes it.
func greek() mail.Message {
	return mail.Message{
		From:      netmail.Address{Name: "Ξενοδοχείο Αύρα", Address: "hello@aftercare.example"},
		To:        netmail.Address{Name: "Μαρία Παπαδοπούλου", Address: "maria@guest.example"},
		ReplyTo:   "Reception <reception@aftercare.example>",
		Subject:   "Πώς ήταν η διαμονή σας;",
		HTML:      "<p>Ευχαριστούμε, Μαρία!</p>",
		Text:      "Ευχαριστούμε, Μαρία!",
		MessageID: "<csat.inc123@aftercare.example>",
		Date:      time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC),
		Headers: map[string]string{
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"List-Unsubscribe":      "<https://aftercare.example/u/tok123>",
		},
		Tags: map[string]string{"step": "csat:reminder", "incident": "inc123"},
	}
}

func TestSendRequestShape(t *testing.T) {
	f := newFakeSES(t, ok)
	s := ses.New(newClient(f.srv.URL), fast(ses.Config{ConfigurationSet: "aftercare-events"}))

	id, err := s.Send(context.Background(), greek())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if id != "0100018f-test-0" {
		t.Errorf("id = %q, want SES's MessageId", id)
	}
	if got := f.headers[0].Get("Authorization"); !strings.HasPrefix(got, "AWS4-HMAC-SHA256") {
		t.Errorf("request not SigV4-signed: Authorization %q", got)
	}

	want := map[string]any{
		"ConfigurationSetName": "aftercare-events",
		"FromEmailAddress":     "=?utf-8?q?=CE=9E=CE=B5=CE=BD=CE=BF=CE=B4=CE=BF=CF=87=CE=B5=CE=AF=CE=BF_?= =?utf-8?q?=CE=91=CF=8D=CF=81=CE=B1?= <hello@aftercare.example>",
		"Destination": map[string]any{
			"ToAddresses": []any{"=?utf-8?q?=CE=9C=CE=B1=CF=81=CE=AF=CE=B1_=CE=A0=CE=B1=CF=80=CE=B1=CE=B4?= =?utf-8?q?=CE=BF=CF=80=CE=BF=CF=8D=CE=BB=CE=BF=CF=85?= <maria@guest.example>"},
		},
		"ReplyToAddresses": []any{`"Reception" <reception@aftercare.example>`},
		"Content": map[string]any{"Simple": map[string]any{
			"Subject": map[string]any{"Charset": "UTF-8", "Data": "Πώς ήταν η διαμονή σας;"},
			"Body": map[string]any{
				"Html": map[string]any{"Charset": "UTF-8", "Data": "<p>Ευχαριστούμε, Μαρία!</p>"},
				"Text": map[string]any{"Charset": "UTF-8", "Data": "Ευχαριστούμε, Μαρία!"},
			},
			"Headers": []any{
				map[string]any{"Name": "List-Unsubscribe", "Value": "<https://aftercare.example/u/tok123>"},
				map[string]any{"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
				map[string]any{"Name": "X-Aftercare-Message-ID", "Value": "<csat.inc123@aftercare.example>"},
			},
		}},
		"EmailTags": []any{
			map[string]any{"Name": "incident", "Value": "inc123"},
			map[string]any{"Name": "step", "Value": "csat_reminder"},
		},
	}
	got := f.body(0)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("request body\n got %s\nwant %s", g, w)
	}

	// The encoded names must decode back to what the caller gave.
	for field, wantAddr := range map[string]netmail.Address{
		got["FromEmailAddress"].(string):                                       greek().From,
		got["Destination"].(map[string]any)["ToAddresses"].([]any)[0].(string): greek().To,
	} {
		a, err := netmail.ParseAddress(field)
		if err != nil || *a != wantAddr {
			t.Errorf("%q decodes to %v, %v; want %v", field, a, err, wantAddr)
		}
	}
}

func TestSendWithoutConfigurationSetOrReplyTo(t *testing.T) {
	f := newFakeSES(t, ok)
	s := ses.New(newClient(f.srv.URL), fast(ses.Config{}))
	m := mail.Message{
		From:    netmail.Address{Address: "hello@aftercare.example"},
		To:      netmail.Address{Address: "guest@bücher.example"},
		Subject: "Thanks",
		Text:    "Thanks!",
	}
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := map[string]any{
		"FromEmailAddress": "hello@aftercare.example",
		// SES does not speak SMTPUTF8: the domain goes out as punycode.
		"Destination": map[string]any{"ToAddresses": []any{"guest@xn--bcher-kva.example"}},
		"Content": map[string]any{"Simple": map[string]any{
			"Subject": map[string]any{"Charset": "UTF-8", "Data": "Thanks"},
			"Body":    map[string]any{"Text": map[string]any{"Charset": "UTF-8", "Data": "Thanks!"}},
		}},
	}
	if got := f.body(0); !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("request body\n got %s", g)
	}
}

func TestSendHeadersAndTags(t *testing.T) {
	fifteen := map[string]string{}
	for i := range 15 {
		fifteen[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	tests := []struct {
		name        string
		headers     map[string]string
		tags        map[string]string
		messageID   string
		wantHeaders []any // nil: no Headers member
		wantTags    []any // nil: no EmailTags member
	}{
		{
			name:        "non-ASCII value is RFC 2047 encoded",
			headers:     map[string]string{"X-Campaign": "Καλοκαίρι"},
			wantHeaders: []any{pair("X-Campaign", "=?utf-8?q?=CE=9A=CE=B1=CE=BB=CE=BF=CE=BA=CE=B1=CE=AF=CF=81=CE=B9?=")},
		},
		{
			name:        "line breaks cannot inject a header",
			headers:     map[string]string{"X-Note": "a\r\nBcc: victim@example.com"},
			wantHeaders: []any{pair("X-Note", "a  Bcc: victim@example.com")},
		},
		{
			name:        "empty values are dropped",
			headers:     map[string]string{"X-Empty": " ", "X-Kept": "1"},
			wantHeaders: []any{pair("X-Kept", "1")},
		},
		{
			name:        "message id is left out when 15 headers fill the quota",
			headers:     fifteen,
			messageID:   "<k.i@aftercare.example>",
			wantHeaders: headersOf(fifteen),
		},
		{
			name: "tags are sanitised deterministically",
			tags: map[string]string{
				"incident":  "01J0ABC",
				"Καλημέρα":  "ok",
				"long":      strings.Repeat("x", 300),
				"a b":       "first",
				"a_b":       "second",
				"empty":     "",
				"step":      "nps/7d",
				"":          "nameless",
				"locale.el": "el-GR",
			},
			// Sorted by the original names; "a b" sorts before "a_b" and
			// wins their collision.
			wantTags: []any{
				pair("a_b", "first"),
				pair("incident", "01J0ABC"),
				pair("locale_el", "el-GR"),
				pair("long", strings.Repeat("x", 256)),
				pair("step", "nps_7d"),
				pair("________", "ok"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSES(t, ok)
			s := ses.New(newClient(f.srv.URL), fast(ses.Config{}))
			m := greek()
			m.Headers, m.Tags, m.MessageID = tt.headers, tt.tags, tt.messageID
			if _, err := s.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			body := f.body(0)
			simple := body["Content"].(map[string]any)["Simple"].(map[string]any)
			if got := simple["Headers"]; !equalOrAbsent(got, tt.wantHeaders) {
				t.Errorf("Headers\n got %v\nwant %v", got, tt.wantHeaders)
			}
			if got := body["EmailTags"]; !equalOrAbsent(got, tt.wantTags) {
				t.Errorf("EmailTags\n got %v\nwant %v", got, tt.wantTags)
			}
		})
	}
}

func pair(name, value string) map[string]any { return map[string]any{"Name": name, "Value": value} }

func headersOf(h map[string]string) []any {
	var out []any
	for i := range len(h) {
		name := fmt.Sprintf("X-H%02d", i)
		out = append(out, pair(name, h[name]))
	}
	return out
}

func equalOrAbsent(got any, want []any) bool {
	if want == nil {
		return got == nil
	}
	return reflect.DeepEqual(got, any(want))
}

// TestSendRejectsLocally covers messages SES would refuse: they fail as
// permanent before any request, with texts that name no address.
func TestSendRejectsLocally(t *testing.T) {
	sixteen := map[string]string{}
	for i := range 16 {
		sixteen[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	tests := []struct {
		name   string
		modify func(*mail.Message)
		want   string // in the error text
	}{
		{"Message-ID is SES's", func(m *mail.Message) { m.Headers = map[string]string{"Message-ID": "<x@y>"} }, "Message-ID is set by SES"},
		{"reserved names are case-insensitive", func(m *mail.Message) { m.Headers = map[string]string{"reply-to": "a@b.example"} }, "reply-to is set by SES"},
		{"Date is SES's", func(m *mail.Message) { m.Headers = map[string]string{"Date": "Sun, 1 Jun 2025"} }, "Date is set by SES"},
		{"our own header", func(m *mail.Message) { m.Headers = map[string]string{"x-aftercare-message-id": "<x@y>"} }, "cannot be sent as a custom header"},
		{"duplicate names", func(m *mail.Message) {
			m.Headers = map[string]string{"List-Unsubscribe": "<https://a>", "list-unsubscribe": "<https://b>"}
		}, "given twice"},
		{"more than 15 headers", func(m *mail.Message) { m.Headers = sixteen }, "16 custom headers"},
		{"header name with a space", func(m *mail.Message) { m.Headers = map[string]string{"X Bad": "v"} }, "not 1-126 printable ASCII"},
		{"header value too long", func(m *mail.Message) { m.Headers = map[string]string{"X-Long": strings.Repeat("a", 871)} }, "SES allows 870"},
		{"non-ASCII local part", func(m *mail.Message) { m.To.Address = "μαρία@guest.example" }, "SMTPUTF8"},
		{"not an address", func(m *mail.Message) { m.To.Address = "maria.guest.example" }, "to: not an email address"},
		{"unparseable reply-to", func(m *mail.Message) { m.ReplyTo = "reception@aftercare.example <" }, "reply-to: cannot parse"},
		{"empty subject", func(m *mail.Message) { m.Subject = "  " }, "empty subject"},
		{"no body", func(m *mail.Message) { m.HTML, m.Text = "", "" }, "no body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSES(t, ok)
			s := ses.New(newClient(f.srv.URL), fast(ses.Config{}))
			m := greek()
			tt.modify(&m)
			_, err := s.Send(context.Background(), m)
			if !errors.Is(err, mail.ErrPermanent) {
				t.Fatalf("err = %v, want mail.ErrPermanent", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "@guest.example") || strings.Contains(err.Error(), "@aftercare.example") {
				t.Errorf("err = %q names an address", err)
			}
			if n := f.requests(); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestSendErrorMapping(t *testing.T) {
	const attempts = 3
	tests := []struct {
		name      string
		replies   []reply
		wantErr   bool
		permanent bool
		requests  int
		wantCode  string
	}{
		{"MessageRejected is permanent, not retried",
			[]reply{{400, "MessageRejected", "Email address is not verified. The following identities failed the check in region EU-WEST-1: maria@guest.example"}},
			true, true, 1, "MessageRejected"},
		{"unverified MAIL FROM domain",
			[]reply{{400, "MailFromDomainNotVerifiedException", "MAIL FROM domain not verified"}}, true, true, 1, "MailFromDomainNotVerifiedException"},
		{"account suspended",
			[]reply{{400, "AccountSuspendedException", "suspended"}}, true, true, 1, "AccountSuspendedException"},
		{"sending paused",
			[]reply{{400, "SendingPausedException", "paused"}}, true, true, 1, "SendingPausedException"},
		{"bad request",
			[]reply{{400, "BadRequestException", "Illegal header"}}, true, true, 1, "BadRequestException"},
		{"unknown configuration set",
			[]reply{{404, "NotFoundException", "Configuration set does not exist"}}, true, true, 1, "NotFoundException"},
		{"TooManyRequests is retried, then returned as retryable",
			[]reply{{429, "TooManyRequestsException", "Maximum sending rate exceeded."}}, true, false, attempts, "TooManyRequestsException"},
		{"LimitExceeded (quota) is retried, then returned as retryable",
			[]reply{{400, "LimitExceededException", "Daily message quota exceeded."}}, true, false, attempts, "LimitExceededException"},
		{"503 is retried, then returned as retryable",
			[]reply{{503, "", "Service Unavailable"}}, true, false, attempts, ""},
		{"AccessDenied is returned at once and retryable after a deploy",
			[]reply{{403, "AccessDeniedException", "not authorized to perform ses:SendEmail"}}, true, false, 1, "AccessDeniedException"},
		{"a 500 then success needs one retry",
			[]reply{{500, "InternalFailure", "internal"}, ok}, false, false, 2, ""},
		{"throttled then success",
			[]reply{{429, "TooManyRequestsException", "slow down"}, ok}, false, false, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSES(t, tt.replies...)
			s := ses.New(newClient(f.srv.URL), fast(ses.Config{MaxAttempts: attempts}))
			id, err := s.Send(context.Background(), greek())
			if n := f.requests(); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if !tt.wantErr {
				if err != nil || id == "" {
					t.Fatalf("Send = %q, %v; want an id", id, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Send succeeded, want an error")
			}
			if got := errors.Is(err, mail.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (err %v)", got, tt.permanent, err)
			}
			if tt.wantCode != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
					t.Errorf("err = %v, want API error %s", err, tt.wantCode)
				}
			}
			if strings.Contains(err.Error(), "maria@guest.example") {
				t.Errorf("err = %q names the recipient", err)
			}
		})
	}
}

func TestSendErrorKeepsSDKType(t *testing.T) {
	f := newFakeSES(t, reply{400, "MessageRejected", "rejected"})
	s := ses.New(newClient(f.srv.URL), fast(ses.Config{}))
	_, err := s.Send(context.Background(), greek())
	var rejected *types.MessageRejected
	if !errors.As(err, &rejected) {
		t.Fatalf("err = %v, want *types.MessageRejected in the chain", err)
	}
}

func TestSendRetryDefaults(t *testing.T) {
	tests := []struct {
		name string
		cfg  ses.Config
		want int
	}{
		{"zero MaxAttempts means the default", ses.Config{}, ses.DefaultMaxAttempts},
		{"one attempt disables retries", ses.Config{MaxAttempts: 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSES(t, reply{429, "TooManyRequestsException", "slow down"})
			s := ses.New(newClient(f.srv.URL), fast(tt.cfg))
			if _, err := s.Send(context.Background(), greek()); err == nil || errors.Is(err, mail.ErrPermanent) {
				t.Fatalf("err = %v, want a retryable error", err)
			}
			if n := f.requests(); n != tt.want {
				t.Errorf("%d requests, want %d", n, tt.want)
			}
		})
	}
}

func TestSendCanceledContextIsRetryable(t *testing.T) {
	f := newFakeSES(t, ok)
	s := ses.New(newClient(f.srv.URL), fast(ses.Config{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Send(ctx, greek())
	if err == nil || errors.Is(err, mail.ErrPermanent) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled in the chain", err)
	}
}
