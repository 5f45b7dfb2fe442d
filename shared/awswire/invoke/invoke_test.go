package invoke

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/aftercare/aftercare/shared/awswire/signed"
)

const arn = "arn:aws:lambda:eu-west-1:123456789012:function:aftercare-prod-dispatch"

// fakeLambda answers Lambda's Invoke API as AWS documents it
// (POST /2015-03-31/functions/{FunctionName}/invocations): it checks the
// signature's scope, the escaped function name and the invocation type,
// and answers as told.
type fakeLambda struct {
	mu       sync.Mutex
	throttle int  // answer this many calls 429 TooManyRequestsException first
	fnError  bool // answer as a function that returned an error
	bodies   []string
}

func (f *fakeLambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	wantPath := "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aaftercare-prod-dispatch/invocations"
	if r.Method != http.MethodPost || r.URL.EscapedPath() != wantPath ||
		r.Header.Get("X-Amz-Invocation-Type") != "RequestResponse" ||
		!strings.Contains(r.Header.Get("Authorization"), "/eu-west-1/lambda/aws4_request") || r.Header.Get("X-Amz-Date") == "" {
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"Message":"not the shape of an Invoke: `+r.Method+" "+r.URL.EscapedPath()+`"}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.bodies = append(f.bodies, string(body))
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`)
		return
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if f.fnError {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_, _ = io.WriteString(w, `{"errorMessage":"boom","errorType":"errorString"}`)
		return
	}
	_, _ = w.Write(append([]byte(`{"echo":`), append(body, '}')...))
}

func config(url string) aws.Config {
	return aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(url),
	}
}

func TestInvoke(t *testing.T) {
	f := &fakeLambda{throttle: 2}
	srv := httptest.NewServer(f)
	defer srv.Close()
	call := New(config(srv.URL), srv.Client(), arn)

	out, err := call(t.Context(), []byte(`{"render":{"Template":"thank_you"}}`))
	if err != nil || string(out) != `{"echo":{"render":{"Template":"thank_you"}}}` {
		t.Fatalf("invoke: %s, %v", out, err)
	}
	if len(f.bodies) != 3 {
		t.Errorf("%d calls; two throttled calls must be retried", len(f.bodies))
	}

	f.throttle = signed.Attempts
	_, err = call(t.Context(), []byte(`{}`))
	var ae *signed.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || !strings.Contains(err.Error(), "TooManyRequestsException") || !strings.Contains(err.Error(), arn) {
		t.Errorf("throttled every time: %v", err)
	}

	f.throttle, f.fnError = 0, true
	if _, err := call(t.Context(), []byte(`{}`)); !errors.Is(err, ErrFunction) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("a function error: %v", err)
	}

	n := len(f.bodies)
	wrong := New(config(srv.URL), srv.Client(), "arn:aws:lambda:eu-west-1:123456789012:function:other")
	if _, err := wrong(t.Context(), []byte(`{}`)); !errors.As(err, &ae) || ae.Status != http.StatusForbidden || ae.Retryable() {
		t.Errorf("a refused call: %v", err)
	}
	if len(f.bodies) != n {
		t.Error("a refused call reached the function")
	}
}
