package lambdah

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/mail/render/remote"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

func apiEvent(method, path string, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, Headers: headers, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "abc123.execute-api.eu-west-1.amazonaws.com", Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "203.0.113.9"},
		},
	}
}

// The signature header carries a comma ("v1,<base64>"); it must reach the
// handler whole, or no webhook would ever verify on AWS.
func TestHTTPKeepsCommaHeadersWhole(t *testing.T) {
	now := time.Now()
	body := `{"hello":"world"}`
	sig, err := stdwebhooks.Sign(stdwebhooks.DevSecret, "msg_1", now, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{
		"content-type":      "application/json",
		"webhook-id":        "msg_1",
		"webhook-timestamp": strconv.FormatInt(now.Unix(), 10),
		// API Gateway joins a repeated header with commas.
		"webhook-signature": "v1,AAAA " + sig,
		"x-multi":           "a,b",
	}
	v, err := stdwebhooks.NewVerifier(stdwebhooks.DevSecret)
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := v.Verify(r.Header, b, now); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Got", strings.Join(r.Header.Values("X-Multi"), "|"))
		w.WriteHeader(http.StatusAccepted)
	})
	e := apiEvent(http.MethodPost, "/webhooks/aftercare", headers, body)

	resp, err := HTTP(h)(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if resp.Headers["X-Got"] != "a,b" {
		t.Errorf("X-Multi reached the handler as %q, want one value a,b", resp.Headers["X-Got"])
	}

	// The bare adapter splits the header: this is the bug HTTP works around.
	// If the library ever stops splitting, this fails and the workaround
	// can go.
	bare, err := httpadapter.NewV2(h).ProxyWithContext(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if bare.StatusCode != http.StatusUnauthorized {
		t.Errorf("the bare adapter verified the signature (%d): the header workaround may be obsolete", bare.StatusCode)
	}
}

func TestHTTPBase64BodyAndQuery(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("q")+" "+string(b))
	})
	e := apiEvent(http.MethodPost, "/r/tok", map[string]string{"content-type": "application/x-www-form-urlencoded"}, "Y29tbWVudD1oaQ==")
	e.IsBase64Encoded = true
	e.RawQueryString = "q=1"
	resp, err := HTTP(h)(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != "POST /r/tok 1 comment=hi" {
		t.Errorf("body %q", resp.Body)
	}
}

func TestDispatchHandler(t *testing.T) {
	fire := schedule.Fire{IncidentID: "inc_a", Step: "thanks-1", Schedule: "inc_a.thanks-1.20261121T0900"}

	d := &fakeDispatcher{res: app.DispatchResult{Sent: true, MessageID: "m1"}}
	res, err := DispatchHandler(d.Dispatch, nil)(context.Background(), DispatchInput{Fire: fire})
	if err != nil || !res.Sent || d.got != fire || res.Answer != nil {
		t.Errorf("got %+v, %v; dispatched %+v", res, err, d.got)
	}

	retry := errors.New("SES throttled")
	d = &fakeDispatcher{err: retry}
	if _, err := DispatchHandler(d.Dispatch, nil)(context.Background(), DispatchInput{Fire: fire}); !errors.Is(err, retry) {
		t.Errorf("a retryable failure must come back as the error, got %v", err)
	}

	d = &fakeDispatcher{}
	if _, err := DispatchHandler(d.Dispatch, nil)(context.Background(), DispatchInput{Fire: schedule.Fire{Schedule: "x"}}); !errors.Is(err, ErrBadFire) || d.got != (schedule.Fire{}) {
		t.Errorf("bad input: %v (dispatched %+v)", err, d.got)
	}
}

// TestRemoteRender renders through the dispatch handler as respond does
// on AWS: the request and the answer cross aws-lambda-go's JSON handling
// as Lambda's Invoke carries them, and every template in every language
// comes back byte for byte as the local renderer writes it. A request the
// renderer refuses is a permanent error; a call that fails is
// draft.ErrTemporary, so the step is retried.
func TestRemoteRender(t *testing.T) {
	brand := draft.Brand{Name: "Sea Breeze", Link: "https://seabreeze.example"}
	local := render.New(brand)
	d := &fakeDispatcher{}
	h := lambda.NewHandler(DispatchHandler(d.Dispatch, local.Render))
	calls := 0
	r := remote.New(func(ctx context.Context, event []byte) ([]byte, error) {
		calls++
		return h.Invoke(ctx, event)
	})
	for _, tpl := range render.Templates() {
		if !r.Has(tpl) {
			t.Errorf("remote renderer lacks %s", tpl)
		}
		for _, lang := range i18n.Codes() {
			req := render.Sample(tpl, lang)
			want, err := local.Render(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Render(t.Context(), req)
			if err != nil || got != want {
				t.Fatalf("%s/%s: remote render differs (err %v)\n got %+v\nwant %+v", tpl, lang, err, got, want)
			}
		}
	}
	if d.got != (schedule.Fire{}) || calls == 0 {
		t.Errorf("a render dispatched %+v; %d calls", d.got, calls)
	}
	if r.Has("no_such_template") {
		t.Error("Has(no_such_template)")
	}

	_, err := r.Render(t.Context(), draft.Request{Template: "no_such_template"})
	if err == nil || errors.Is(err, draft.ErrTemporary) || !strings.Contains(err.Error(), "no_such_template") {
		t.Errorf("an unknown template must be a permanent error naming it: %v", err)
	}
	down := remote.New(func(context.Context, []byte) ([]byte, error) { return nil, errors.New("429 TooManyRequestsException") })
	if _, err := down.Render(t.Context(), render.Sample("thank_you", "en")); !errors.Is(err, draft.ErrTemporary) {
		t.Errorf("a failed call must be temporary: %v", err)
	}
	noRenderer := lambda.NewHandler(DispatchHandler(d.Dispatch, nil))
	if _, err := remote.New(noRenderer.Invoke).Render(t.Context(), render.Sample("thank_you", "en")); err == nil || errors.Is(err, draft.ErrTemporary) {
		t.Errorf("a dispatch without renderer: %v", err)
	}
}

type fakeDispatcher struct {
	got schedule.Fire
	res app.DispatchResult
	err error
}

func (f *fakeDispatcher) Dispatch(_ context.Context, fire schedule.Fire) (app.DispatchResult, error) {
	f.got = fire
	return f.res, f.err
}

// The dashboard's cookies cross API Gateway: the request's cookies (which
// payload 2.0 carries apart from the headers) reach the handler, and every
// Set-Cookie comes back in the response's cookies, none folded into
// another.
func TestHTTPCarriesCookies(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got []string
		for _, c := range r.Cookies() {
			got = append(got, c.Name+"="+c.Value)
		}
		w.Header().Set("X-Got", strings.Join(got, "; "))
		http.SetCookie(w, &http.Cookie{Name: "__Host-a", Value: "1", Path: "/", Secure: true, HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "__Host-b", Value: "", Path: "/", Secure: true, MaxAge: -1})
		w.WriteHeader(http.StatusSeeOther)
	})
	ev := apiEvent(http.MethodGet, "/team/queue", map[string]string{"accept": "text/html"}, "")
	ev.Cookies = []string{"__Host-aftercare-session=tok.sig", "__Host-aftercare-csrf=abc"}
	resp, err := HTTP(h)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Headers["X-Got"]; got != "__Host-aftercare-session=tok.sig; __Host-aftercare-csrf=abc" {
		t.Errorf("cookies the handler saw: %q", got)
	}
	if len(resp.Cookies) != 2 || !strings.HasPrefix(resp.Cookies[0], "__Host-a=1") || !strings.Contains(resp.Cookies[1], "Max-Age=0") {
		t.Errorf("response cookies: %q", resp.Cookies)
	}
}
