package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/notify/notifytest"
	"github.com/aftercare/aftercare/shared/notify/webhook"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

const testSecret = "whsec_dGVzdC1zZWNyZXQtZm9yLW5vdGlmeS13ZWJob29rcyE="

// sample is a negative CSAT answer with everything filled in.
func sample() notify.Alert { return notifytest.Alert() }

// delivery is one request the receiver saw.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver answers requests from a script of handlers, one per request (the
// last one repeats), and records what it received.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	script []http.HandlerFunc
}

func newReceiver(t *testing.T, script ...http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, delivery{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		h := r.script[min(n, len(r.script)-1)]
		h(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, http.StatusText(code))
	}
}

var ok = status(http.StatusOK)

// hangUp closes the connection without answering: a network error.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// stall answers only when the request is abandoned or after a long time.
func stall(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func newWebhook(t *testing.T, url, secret string, opts ...webhook.Option) *webhook.Webhook {
	t.Helper()
	opts = append([]webhook.Option{webhook.WithRetry(3, time.Millisecond)}, opts...)
	w, err := webhook.New(url, secret, nil, opts...)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return w
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	return m
}

func TestWebhookBodyShape(t *testing.T) {
	recv := newReceiver(t, ok)
	if err := newWebhook(t, recv.URL, testSecret).Notify(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	want := decode(t, []byte(`{
	  "type": "aftercare.alert.negative_answer",
	  "timestamp": "2026-11-21T09:14:03Z",
	  "data": {
	    "kind": "negative_answer",
	    "incident": {
	      "id": "inc_abc123", "provider": "aftercare", "ref": "BK-1042", "kind": "booking",
	      "title": "Sunset sailing", "status": "completed",
	      "timeline_url": "https://aftercare.example.com/incidents/inc_abc123"
	    },
	    "step": "thanks",
	    "customer": {"name": "María Pérez"},
	    "answer": {"survey": "csat", "score": 2, "min": 1, "max": 5, "comment": "The boat was late."}
	  },
	  "text": ":warning: *Negative answer* from María Pérez — CSAT 2/5 · booking BK-1042 “Sunset sailing” · <https://aftercare.example.com/incidents/inc_abc123|Open timeline>\n> The boat was late."
	}`))
	if diff := cmp.Diff(want, decode(t, got[0].body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	h := got[0].header
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if bytes.Contains(got[0].body, []byte("maria@example.com")) {
		t.Error("the customer's address was sent without WithCustomerEmail")
	}
}

func TestWebhookBodyVariants(t *testing.T) {
	reply := sample()
	reply.Kind, reply.Survey, reply.Score, reply.Comment = notify.KindReply, "", 0, ""
	reply.Reply = "Thanks,\nbut the refund never arrived."
	reply.CustomerName, reply.TimelineURL, reply.Title = "", "", ""

	nps0 := sample()
	nps0.Kind, nps0.Survey, nps0.Score, nps0.Comment = notify.KindNegativeAnswer, domain.SurveyNPS, 0, ""

	custom := sample()
	custom.Kind = "escalated_twice"

	tests := []struct {
		name     string
		alert    notify.Alert
		wantType string
		check    func(t *testing.T, m map[string]any)
	}{
		{"reply without answer", reply, "aftercare.alert.reply", func(t *testing.T, m map[string]any) {
			data := m["data"].(map[string]any)
			if _, has := data["answer"]; has {
				t.Error("answer present without a survey")
			}
			if data["reply"] != reply.Reply {
				t.Errorf("reply = %q", data["reply"])
			}
			if _, has := data["customer"].(map[string]any)["name"]; has {
				t.Error("empty name not omitted")
			}
			wantText := ":speech_balloon: *Customer replied* from a customer · booking BK-1042\n> Thanks, but the refund never arrived."
			if m["text"] != wantText {
				t.Errorf("text = %q\nwant   %q", m["text"], wantText)
			}
		}},
		{"NPS score zero is kept", nps0, "aftercare.alert.negative_answer", func(t *testing.T, m map[string]any) {
			ans := m["data"].(map[string]any)["answer"].(map[string]any)
			if ans["score"] != 0.0 || ans["min"] != 0.0 || ans["max"] != 10.0 {
				t.Errorf("answer = %v", ans)
			}
			if !strings.Contains(m["text"].(string), "NPS 0/10") {
				t.Errorf("text = %q", m["text"])
			}
		}},
		{"unknown kind passes through", custom, "aftercare.alert.escalated_twice", func(t *testing.T, m map[string]any) {
			if !strings.HasPrefix(m["text"].(string), ":bell: *Alert: escalated_twice*") {
				t.Errorf("text = %q", m["text"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := newReceiver(t, ok)
			if err := newWebhook(t, recv.URL, "").Notify(context.Background(), tt.alert); err != nil {
				t.Fatal(err)
			}
			m := decode(t, recv.deliveries()[0].body)
			if m["type"] != tt.wantType {
				t.Errorf("type = %q, want %q", m["type"], tt.wantType)
			}
			tt.check(t, m)
		})
	}
}

func TestWebhookCustomerEmailOptIn(t *testing.T) {
	recv := newReceiver(t, ok)
	if err := newWebhook(t, recv.URL, "", webhook.WithCustomerEmail()).Notify(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	m := decode(t, recv.deliveries()[0].body)
	if got := m["data"].(map[string]any)["customer"].(map[string]any)["email"]; got != "maria@example.com" {
		t.Errorf("data.customer.email = %v, want the address", got)
	}
	if strings.Contains(m["text"].(string), "@") {
		t.Errorf("the Slack text shows the address: %q", m["text"])
	}
}

func TestWebhookSignatureVerifies(t *testing.T) {
	recv := newReceiver(t, ok)
	if err := newWebhook(t, recv.URL, testSecret).Notify(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	d := recv.deliveries()[0]
	v, err := stdwebhooks.NewVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(d.header, d.body, time.Now()); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	tampered := bytes.Replace(d.body, []byte(`"score":2`), []byte(`"score":5`), 1)
	if bytes.Equal(tampered, d.body) {
		t.Fatal("test did not tamper with the body")
	}
	if err := v.Verify(d.header, tampered, time.Now()); !errors.Is(err, stdwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("Verify(tampered) = %v, want ErrNoMatchingSignature", err)
	}
	other, _ := stdwebhooks.NewVerifier(stdwebhooks.DevSecret)
	if err := other.Verify(d.header, d.body, time.Now()); !errors.Is(err, stdwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("Verify(other secret) = %v, want ErrNoMatchingSignature", err)
	}
}

func TestWebhookUnsignedWithoutSecret(t *testing.T) {
	recv := newReceiver(t, ok)
	w := newWebhook(t, recv.URL, "")
	if w.Signed() {
		t.Error("Signed() = true without a secret")
	}
	if err := w.Notify(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	h := recv.deliveries()[0].header
	if h.Get(stdwebhooks.HeaderSignature) != "" {
		t.Errorf("webhook-signature = %q without a secret", h.Get(stdwebhooks.HeaderSignature))
	}
	if h.Get(stdwebhooks.HeaderID) == "" || h.Get(stdwebhooks.HeaderTimestamp) == "" {
		t.Errorf("id and timestamp must be sent even unsigned: %v", h)
	}
}

func TestWebhookIDIsDeterministic(t *testing.T) {
	recv := newReceiver(t, status(503), status(503), ok)
	w := newWebhook(t, recv.URL, testSecret)
	a := sample()
	if err := w.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	got := recv.deliveries()
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3", len(got))
	}
	id := got[0].header.Get(stdwebhooks.HeaderID)
	if !strings.HasPrefix(id, "msg_") || strings.Contains(id, ".") {
		t.Errorf("id %q: want msg_ prefix and no full stop", id)
	}
	for i, d := range got {
		if d.header.Get(stdwebhooks.HeaderID) != id {
			t.Errorf("attempt %d id = %q, want %q", i+1, d.header.Get(stdwebhooks.HeaderID), id)
		}
		if !bytes.Equal(d.body, got[0].body) {
			t.Errorf("attempt %d body differs from the first", i+1)
		}
	}

	// The same alert raised again later is the same delivery, whatever its
	// presentation; a different answer is a different one.
	idOf := func(a notify.Alert) string {
		t.Helper()
		r := newReceiver(t, ok)
		if err := newWebhook(t, r.URL, "").Notify(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		return r.deliveries()[0].header.Get(stdwebhooks.HeaderID)
	}
	same := a
	same.At, same.TimelineURL, same.Title, same.CustomerName = a.At.Add(time.Hour), "", "Renamed", "M."
	if got := idOf(same); got != id {
		t.Errorf("re-raised alert id = %q, want %q", got, id)
	}
	for name, change := range map[string]func(*notify.Alert){
		"score":    func(a *notify.Alert) { a.Score = 1 },
		"comment":  func(a *notify.Alert) { a.Comment = "Also rude." },
		"step":     func(a *notify.Alert) { a.Step = "loop" },
		"kind":     func(a *notify.Alert) { a.Kind = notify.KindRecovered },
		"incident": func(a *notify.Alert) { a.IncidentID = "inc_other" },
	} {
		b := a
		change(&b)
		if got := idOf(b); got == id {
			t.Errorf("changing the %s kept id %q", name, id)
		}
	}
}

func TestSlackTextEscaping(t *testing.T) {
	tests := []struct {
		name   string
		change func(*notify.Alert)
		want   []string // substrings of text
		banned []string // substrings text must not contain
	}{
		{"script in comment", func(a *notify.Alert) { a.Comment = "<script>alert(1)</script>" },
			[]string{"> &lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>"}},
		{"ampersand in comment", func(a *notify.Alert) { a.Comment = "Tom & Jerry &amp; co" },
			[]string{"> Tom &amp; Jerry &amp;amp; co"}, []string{"Tom & Jerry"}},
		{"channel mention in comment", func(a *notify.Alert) { a.Comment = "<!channel> call me <@U024BE7LH>" },
			[]string{"&lt;!channel&gt; call me &lt;@U024BE7LH&gt;"}, []string{"<!channel>", "<@U"}},
		{"forged link in name", func(a *notify.Alert) { a.CustomerName = "<https://evil.example|Open timeline>" },
			[]string{"from &lt;https://evil.example|Open timeline&gt;"}, []string{"<https://evil"}},
		{"title and ref", func(a *notify.Alert) { a.Title = "A > B"; a.Ref = "R<1>" },
			[]string{"booking R&lt;1&gt; “A &gt; B”"}, nil},
		{"link url", func(a *notify.Alert) { a.TimelineURL = "https://x.example/i?a=1&b=2|x>y" },
			[]string{"<https://x.example/i?a=1&amp;b=2%7Cx%3Ey|Open timeline>"}, []string{"b=2|x"}},
		{"multi-line comment stays on line two", func(a *notify.Alert) { a.Comment = "first\n\n> second\tthird" },
			[]string{"\n> first &gt; second third"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.change(&a)
			recv := newReceiver(t, ok)
			if err := newWebhook(t, recv.URL, "").Notify(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			m := decode(t, recv.deliveries()[0].body)
			text := m["text"].(string)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, b := range tt.banned {
				if strings.Contains(text, b) {
					t.Errorf("text contains %q:\n%s", b, text)
				}
			}
			if n := strings.Count(text, "\n"); n > 1 {
				t.Errorf("text has %d line breaks, want at most 1:\n%s", n, text)
			}
			// data keeps what the customer wrote, unescaped.
			if got := m["data"].(map[string]any)["answer"].(map[string]any)["comment"]; got != a.Comment {
				t.Errorf("data comment = %q, want %q", got, a.Comment)
			}
		})
	}
}

func TestWebhookLongTextIsCut(t *testing.T) {
	a := sample()
	a.Kind, a.Survey, a.Score, a.Comment = notify.KindReply, "", 0, ""
	a.Reply = strings.Repeat("é", 20000) // 40,000 bytes
	recv := newReceiver(t, ok)
	if err := newWebhook(t, recv.URL, "").Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	m := decode(t, recv.deliveries()[0].body)
	reply := m["data"].(map[string]any)["reply"].(string)
	if len(reply) > 16<<10 || !utf8.ValidString(reply) || !strings.HasSuffix(reply, "…") {
		t.Errorf("data.reply: %d bytes, valid UTF-8 %v, want ≤ 16 KiB ending in …", len(reply), utf8.ValidString(reply))
	}
	_, quote, _ := strings.Cut(m["text"].(string), "\n> ")
	if n := utf8.RuneCountInString(quote); n != 280 {
		t.Errorf("quoted reply is %d characters, want 280", n)
	}
}

func TestWebhookRetries(t *testing.T) {
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://moved.example/new/secret-path", http.StatusFound)
	}
	tests := []struct {
		name      string
		script    []http.HandlerFunc
		wantCalls int
		wantErr   bool
		permanent bool
		errHas    string
	}{
		{"503 then success", []http.HandlerFunc{status(503), ok}, 2, false, false, ""},
		{"429 then success", []http.HandlerFunc{status(429), ok}, 2, false, false, ""},
		{"408 then 204", []http.HandlerFunc{status(408), status(204)}, 2, false, false, ""},
		{"network error then success", []http.HandlerFunc{hangUp, ok}, 2, false, false, ""},
		{"gives up after 3", []http.HandlerFunc{status(500)}, 3, true, false, "giving up"},
		{"network errors give up after 3", []http.HandlerFunc{hangUp}, 3, true, false, "giving up"},
		{"400 is permanent", []http.HandlerFunc{status(400)}, 1, true, true, "400 Bad Request"},
		{"410 is permanent", []http.HandlerFunc{status(410)}, 1, true, true, "410"},
		{"404 after a 502 is permanent", []http.HandlerFunc{status(502), status(404)}, 2, true, true, "404"},
		{"redirect is permanent", []http.HandlerFunc{redirect}, 1, true, true, "https://moved.example/…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := newReceiver(t, tt.script...)
			err := newWebhook(t, recv.URL, testSecret).Notify(context.Background(), sample())
			if calls := len(recv.deliveries()); calls != tt.wantCalls {
				t.Errorf("%d requests, want %d", calls, tt.wantCalls)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if got := errors.Is(err, notify.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %q, want it to mention %q", err, tt.errHas)
			}
			if strings.Contains(err.Error(), "secret-path") {
				t.Errorf("err leaks the URL path: %v", err)
			}
		})
	}
}

func TestWebhookStatusError(t *testing.T) {
	recv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, "invalid_payload\nfor maria@example.com")
	})
	err := newWebhook(t, recv.URL, "").Notify(context.Background(), sample())
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.StatusCode != 422 {
		t.Fatalf("err = %v, want a StatusError 422", err)
	}
	if se.Body != "invalid_payload for <redacted>" {
		t.Errorf("Body = %q: want one line, the address redacted", se.Body)
	}
}

func TestWebhookErrorsHideURLPath(t *testing.T) {
	recv := newReceiver(t, hangUp)
	w := newWebhook(t, recv.URL+"/services/T000/B000/secret-token?k=also-secret", "")
	err := w.Notify(context.Background(), sample())
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range []string{"secret-token", "also-secret"} {
		if strings.Contains(err.Error(), s) || strings.Contains(w.String(), s) {
			t.Errorf("%q leaks into %q / %q", s, err, w)
		}
	}
}

func TestWebhookRetryAfter(t *testing.T) {
	retryIn := func(v string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", v)
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}
	t.Run("honoured", func(t *testing.T) {
		recv := newReceiver(t, retryIn("1"), ok)
		start := time.Now()
		if err := newWebhook(t, recv.URL, "").Notify(context.Background(), sample()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("retried after %s, want the 1 s Retry-After", d)
		}
	})
	t.Run("too long gives up now", func(t *testing.T) {
		recv := newReceiver(t, retryIn("120"), ok)
		err := newWebhook(t, recv.URL, "").Notify(context.Background(), sample())
		if err == nil || errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "retry after 2m0s") {
			t.Fatalf("err = %v, want a passing failure naming the Retry-After", err)
		}
		if n := len(recv.deliveries()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

func TestWebhookTimeoutHonoured(t *testing.T) {
	recv := newReceiver(t, stall)
	w := newWebhook(t, recv.URL, "", webhook.WithRetry(2, time.Millisecond), webhook.WithTimeout(100*time.Millisecond))
	start := time.Now()
	err := w.Notify(context.Background(), sample())
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if errors.Is(err, notify.ErrPermanent) {
		t.Error("a timeout must not be permanent")
	}
	if n := len(recv.deliveries()); n != 2 {
		t.Errorf("%d requests, want 2 (a timeout is retried)", n)
	}
	if elapsed > 2*time.Second {
		t.Errorf("took %s, want about 200ms", elapsed)
	}
}

func TestWebhookContextCancel(t *testing.T) {
	t.Run("during a request", func(t *testing.T) {
		recv := newReceiver(t, stall)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := newWebhook(t, recv.URL, "").Notify(ctx, sample())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %s", d)
		}
		if n := len(recv.deliveries()); n != 1 {
			t.Errorf("%d requests, want 1: no retry once the caller gave up", n)
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		recv := newReceiver(t, status(503), ok)
		w := newWebhook(t, recv.URL, "", webhook.WithRetry(3, 10*time.Second))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := w.Notify(ctx, sample())
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("err = %v, want context.Canceled and the last status", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %s", d)
		}
	})
	t.Run("deadline before the next attempt", func(t *testing.T) {
		recv := newReceiver(t, status(503), ok)
		w := newWebhook(t, recv.URL, "", webhook.WithRetry(3, 10*time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := w.Notify(ctx, sample())
		if err == nil || !strings.Contains(err.Error(), "context ends before the next attempt") {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("waited %s instead of giving up at once", d)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		recv := newReceiver(t, ok)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := newWebhook(t, recv.URL, "").Notify(ctx, sample()); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestWebhookRefusesInvalidAlert(t *testing.T) {
	recv := newReceiver(t, ok)
	a := sample()
	a.Score = 9 // CSAT is 1–5
	err := newWebhook(t, recv.URL, "").Notify(context.Background(), a)
	if !errors.Is(err, notify.ErrPermanent) || !errors.Is(err, domain.ErrBadScore) {
		t.Fatalf("err = %v, want permanent and ErrBadScore", err)
	}
	if n := len(recv.deliveries()); n != 0 {
		t.Errorf("%d requests for an invalid alert", n)
	}
}

func TestNewWebhook(t *testing.T) {
	tests := []struct {
		name, url, secret string
		opts              []webhook.Option
		errHas            string // "" = valid
	}{
		{"https with secret", "https://hooks.example.com/aftercare", testSecret, nil, ""},
		{"http without secret", "http://127.0.0.1:9000/hook", "", nil, ""},
		{"upper-case scheme", "HTTPS://hooks.example.com/x", "", nil, ""},
		{"ftp", "ftp://files.example.com/x", "", nil, "scheme"},
		{"file", "file:///etc/passwd", "", nil, "scheme"},
		{"no scheme", "hooks.slack.com/services/T/B/secret-token", "", nil, "scheme"},
		{"empty", "", "", nil, "scheme"},
		{"no host", "https:///path", "", nil, "no host"},
		{"unparsable keeps path out", "https://h.example/secret-token%zz", "", nil, "not a URL"},
		{"secret without prefix", "https://h.example/", "c2VjcmV0", nil, "whsec_"},
		{"secret too short", "https://h.example/", "whsec_c2hvcnQ=", nil, "bytes"},
		{"zero attempts", "https://h.example/", "", []webhook.Option{webhook.WithRetry(0, time.Second)}, "attempts"},
		{"zero timeout", "https://h.example/", "", []webhook.Option{webhook.WithTimeout(0)}, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := webhook.New(tt.url, tt.secret, nil, tt.opts...)
			if tt.errHas == "" {
				if err != nil || w == nil {
					t.Fatalf("NewWebhook = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.errHas)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("err leaks the URL path: %v", err)
			}
		})
	}
}

func TestWebhookUsesGivenClient(t *testing.T) {
	recv := newReceiver(t, ok)
	var used bool
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		used = true
		return http.DefaultTransport.RoundTrip(r)
	})}
	w, err := webhook.New(recv.URL, "", client)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(context.Background(), sample()); err != nil || !used {
		t.Fatalf("Notify = %v, client used %v", err, used)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A certificate the client does not trust is refused at once: retrying
// cannot make it trusted, and a wrong certificate may be an attacker.
func TestWebhookUntrustedCertificateIsPermanent(t *testing.T) {
	srv := httptest.NewUnstartedServer(ok)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	err := newWebhook(t, srv.URL, "").Notify(context.Background(), sample())
	if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "attempt 1 of 3") {
		t.Fatalf("err = %v, want permanent on the first attempt", err)
	}
	// With the test server's own client (which trusts it), it is delivered.
	w, err := webhook.New(srv.URL, "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(context.Background(), sample()); err != nil {
		t.Fatalf("trusted: %v", err)
	}
}
