package stdwebhooks

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The published test vector of the Standard Webhooks reference libraries:
// https://github.com/standard-webhooks/standard-webhooks, file
// libraries/go/webhook_test.go, TestWebhookSign (the other language
// libraries' tests share the same secret, message id and payload).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// Two further well-formed keys (33 bytes each) for rotation tests.
const (
	otherSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHMh"
	thirdSecret = "whsec_dGhpcmQtc2VjcmV0LW5ldmVyLXVzZWQtdG8tc2lnbiEh"
)

func TestSignMatchesPublishedVector(t *testing.T) {
	got, err := Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSignature {
		t.Fatalf("Sign = %q, want %q", got, vectorSignature)
	}
}

func TestVerifyPublishedVector(t *testing.T) {
	v, err := NewVerifier(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	h := headers(vectorID, strconv.Itoa(vectorTimestamp), vectorSignature)
	now := time.Unix(vectorTimestamp, 0).Add(2 * time.Minute)
	if err := v.Verify(h, []byte(vectorPayload), now); err != nil {
		t.Fatalf("Verify(published vector) = %v", err)
	}
	// One changed byte in the payload must fail: the vector is not accepted
	// by accident.
	if err := v.Verify(h, []byte(`{"test": 2432232315}`), now); !errors.Is(err, ErrNoMatchingSignature) {
		t.Fatalf("Verify(tampered vector) = %v, want ErrNoMatchingSignature", err)
	}
}

func headers(id, ts, sig string) http.Header {
	h := http.Header{}
	if id != "" {
		h.Set(HeaderID, id)
	}
	if ts != "" {
		h.Set(HeaderTimestamp, ts)
	}
	if sig != "" {
		h.Set(HeaderSignature, sig)
	}
	return h
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 11, 20, 17, 31, 0, 0, time.UTC)
	body := []byte(`{"type":"booking.completed"}`)
	const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	sign := func(secret string, ts time.Time, b []byte) string {
		t.Helper()
		s, err := Sign(secret, id, ts, b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	unix := func(ts time.Time) string { return strconv.FormatInt(ts.Unix(), 10) }
	good := sign(vectorSecret, now, body)
	// A syntactically valid v1 signature that matches nothing.
	const forged = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		body    []byte
		want    error // nil means accepted
		inMsg   string
	}{
		{name: "valid", header: headers(id, unix(now), good)},
		{name: "missing id", header: headers("", unix(now), good), want: ErrMissingHeader, inMsg: HeaderID},
		{name: "missing timestamp", header: headers(id, "", good), want: ErrMissingHeader, inMsg: HeaderTimestamp},
		{name: "missing signature", header: headers(id, unix(now), ""), want: ErrMissingHeader, inMsg: HeaderSignature},
		{name: "blank signature", header: headers(id, unix(now), "   "), want: ErrMissingHeader, inMsg: HeaderSignature},
		{name: "timestamp not a number", header: headers(id, "yesterday", good), want: ErrBadTimestamp},
		{name: "timestamp with sign", header: headers(id, "+"+unix(now), good), want: ErrBadTimestamp},
		{name: "timestamp in milliseconds", header: headers(id, strconv.FormatInt(now.UnixMilli(), 10), good), want: ErrStaleTimestamp, inMsg: "future"},
		{name: "timestamp overflows int64", header: headers(id, "99999999999999999999", good), want: ErrBadTimestamp},
		{name: "RFC 3339 timestamp", header: headers(id, now.Format(time.RFC3339), good), want: ErrBadTimestamp},
		{
			name:   "stale by one second past tolerance",
			header: headers(id, unix(now.Add(-Tolerance-time.Second)), sign(vectorSecret, now.Add(-Tolerance-time.Second), body)),
			want:   ErrStaleTimestamp, inMsg: "5m1s in the past",
		},
		{
			name:   "future by one second past tolerance",
			header: headers(id, unix(now.Add(Tolerance+time.Second)), sign(vectorSecret, now.Add(Tolerance+time.Second), body)),
			want:   ErrStaleTimestamp, inMsg: "5m1s in the future",
		},
		{
			name:   "exactly at past tolerance",
			header: headers(id, unix(now.Add(-Tolerance)), sign(vectorSecret, now.Add(-Tolerance), body)),
		},
		{
			name:   "exactly at future tolerance",
			header: headers(id, unix(now.Add(Tolerance)), sign(vectorSecret, now.Add(Tolerance), body)),
		},
		{name: "ancient timestamp", header: headers(id, "0", good), want: ErrStaleTimestamp, inMsg: "in the past"},
		{name: "bad base64", header: headers(id, unix(now), "v1,not*base64!"), want: ErrNoMatchingSignature, inMsg: "not valid base64"},
		{name: "truncated signature", header: headers(id, unix(now), good[:len(good)-4]), want: ErrNoMatchingSignature},
		{name: "no v1 signature", header: headers(id, unix(now), "v1a,"+strings.TrimPrefix(good, "v1,")), want: ErrNoMatchingSignature, inMsg: `no "v1" signature`},
		{name: "no version prefix", header: headers(id, unix(now), strings.TrimPrefix(good, "v1,")), want: ErrNoMatchingSignature},
		{name: "wrong secret", header: headers(id, unix(now), sign(otherSecret, now, body)), want: ErrNoMatchingSignature, inMsg: "none of 1"},
		{name: "tampered body", header: headers(id, unix(now), good), body: []byte(`{"type":"booking.cancelled"}`), want: ErrNoMatchingSignature},
		{name: "other id", header: headers("msg_other", unix(now), good), want: ErrNoMatchingSignature},
		{name: "other timestamp", header: headers(id, unix(now.Add(time.Second)), good), want: ErrNoMatchingSignature},
		{
			name:    "rotation: signed with the second secret",
			secrets: []string{vectorSecret, otherSecret},
			header:  headers(id, unix(now), sign(otherSecret, now, body)),
		},
		{
			name:    "rotation: signed with a retired secret",
			secrets: []string{otherSecret, thirdSecret},
			header:  headers(id, unix(now), good),
			want:    ErrNoMatchingSignature, inMsg: "none of 1",
		},
		{
			name:   "several signatures, one valid",
			header: headers(id, unix(now), strings.Join([]string{forged, "v2," + strings.TrimPrefix(good, "v1,"), "v1a,abc", good, forged}, " ")),
		},
		{
			name:   "several signatures, extra spaces",
			header: headers(id, unix(now), "  "+forged+"   "+good+"  "),
		},
		{
			name:   "several signatures, none valid",
			header: headers(id, unix(now), forged+" "+sign(otherSecret, now, body)+" v1,%%%"),
			want:   ErrNoMatchingSignature, inMsg: "1 of 3 v1 signatures are not valid base64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secrets := tt.secrets
			if secrets == nil {
				secrets = []string{vectorSecret}
			}
			v, err := NewVerifier(secrets...)
			if err != nil {
				t.Fatal(err)
			}
			b := tt.body
			if b == nil {
				b = body
			}
			err = v.Verify(tt.header, b, now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			for _, other := range []error{ErrMissingHeader, ErrBadTimestamp, ErrStaleTimestamp, ErrNoMatchingSignature} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("Verify = %v, which also matches %v; sentinels must be distinct", err, other)
				}
			}
			if !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("Verify = %q, want it to mention %q", err, tt.inMsg)
			}
		})
	}
}

func TestVerifyHeaderNamesAreCaseInsensitive(t *testing.T) {
	v, err := NewVerifier(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	// Build the header map by hand, as a server does after canonicalising
	// "WEBHOOK-ID" and friends.
	h := http.Header{}
	for k, val := range map[string]string{"WEBHOOK-ID": vectorID, "Webhook-Timestamp": strconv.Itoa(vectorTimestamp), "webhook-SIGNATURE": vectorSignature} {
		h.Add(k, val)
	}
	if err := v.Verify(h, []byte(vectorPayload), time.Unix(vectorTimestamp, 0)); err != nil {
		t.Fatalf("Verify = %v", err)
	}
}

func TestNewVerifierRejectsBadSecrets(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		inMsg   string
	}{
		{name: "none", secrets: nil, inMsg: "at least one secret"},
		{name: "other scheme prefix", secrets: []string{"whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, inMsg: "not standard base64"},
		{name: "empty key", secrets: []string{"whsec_"}, inMsg: "0 bytes"},
		{name: "empty", secrets: []string{""}, inMsg: "0 bytes"},
		{name: "padding inside", secrets: []string{"whsec_c2Vjb25kLXNlY3Jl=dC1mb3Itcm90YXRpb24tdGVzdHMh"}, inMsg: "not standard base64"},
		{name: "not base64", secrets: []string{"whsec_this is not base64!"}, inMsg: "not standard base64"},
		{name: "url-safe base64", secrets: []string{"whsec_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_"}, inMsg: "not standard base64"},
		{name: "too short", secrets: []string{"whsec_c2hvcnQ="}, inMsg: "5 bytes"},
		{name: "too long", secrets: []string{"whsec_" + strings.Repeat("QUFB", 22)}, inMsg: "66 bytes"},
		{name: "second of two bad", secrets: []string{vectorSecret, "s3cr3t"}, inMsg: "secret 2 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.secrets...)
			if err == nil {
				t.Fatalf("NewVerifier = %v, nil; want an error", v)
			}
			if !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("NewVerifier error %q does not mention %q", err, tt.inMsg)
			}
		})
	}
}

func TestNewVerifierAcceptsDevSecretAndSurroundingSpace(t *testing.T) {
	for _, s := range []string{DevSecret, " " + vectorSecret + "\n"} {
		if _, err := NewVerifier(s); err != nil {
			t.Errorf("NewVerifier(%q) = %v", s, err)
		}
	}
}

// TestSecretShapes: the reference libraries take a secret with or without
// "whsec_" and with or without base64 padding; all four shapes of one key
// verify what any of them signed, and a different key does not.
func TestSecretShapes(t *testing.T) {
	// otherSecret's key is 31 bytes: its base64 carries one "=".
	const padded = "c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHMh"
	key, err := base64.StdEncoding.DecodeString(padded)
	if err != nil {
		t.Fatal(err)
	}
	std := base64.StdEncoding.EncodeToString(key[:len(key)-1]) // 30 bytes: "==" padding
	if !strings.HasSuffix(std, "=") {
		t.Fatalf("test key %q needs padding to test its absence", std)
	}
	raw := strings.TrimRight(std, "=")
	shapes := []string{SecretPrefix + std, std, SecretPrefix + raw, raw, " " + raw + "\n"}
	now := time.Unix(vectorTimestamp, 0)
	body := []byte(vectorPayload)
	for _, signer := range shapes {
		sig, err := Sign(signer, vectorID, now, body)
		if err != nil {
			t.Fatalf("Sign with %q: %v", signer, err)
		}
		for _, verifier := range shapes {
			v, err := NewVerifier(verifier)
			if err != nil {
				t.Fatalf("NewVerifier(%q): %v", verifier, err)
			}
			if err := v.Verify(headers(vectorID, strconv.FormatInt(vectorTimestamp, 10), sig), body, now); err != nil {
				t.Errorf("signed with %q, verified with %q: %v", signer, verifier, err)
			}
		}
	}
	v, err := NewVerifier(otherSecret)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := Sign(raw, vectorID, now, body)
	if err := v.Verify(headers(vectorID, strconv.FormatInt(vectorTimestamp, 10), sig), body, now); !errors.Is(err, ErrNoMatchingSignature) {
		t.Errorf("another key verified: %v", err)
	}
}

func TestSignRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, secret, id string
	}{
		{"bad secret", "secret", vectorID},
		{"empty id", vectorSecret, ""},
		{"dotted id", vectorSecret, "msg.1"},
		{"id with space", vectorSecret, "msg 1"},
		{"id with control character", vectorSecret, "\f"},
		{"non-ASCII id", vectorSecret, "mensaje_ñ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if sig, err := Sign(tt.secret, tt.id, time.Unix(vectorTimestamp, 0), nil); err == nil {
				t.Fatalf("Sign = %q, nil; want an error", sig)
			}
		})
	}
}

// FuzzVerify feeds arbitrary headers and bodies to Verify: it must never
// panic, must never accept a forged header, and must accept what Sign makes.
func FuzzVerify(f *testing.F) {
	f.Add(vectorID, strconv.Itoa(vectorTimestamp), vectorSignature, []byte(vectorPayload))
	f.Add("", "", "", []byte{})
	f.Add("msg_1", "-1", "v1, v1,,, ,v1", []byte("{}"))
	f.Add("a.b", "1614265330", "v1,=== v1a,x v2", []byte("\x00\xff"))
	f.Add("msg_1", "99999999999999999999999", "v1,AAAA", []byte(nil))
	v, err := NewVerifier(vectorSecret, otherSecret)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(vectorTimestamp, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := v.Verify(h, body, now)
		if err == nil && !strings.Contains(sig, vectorSignature) {
			// The fuzzer cannot forge HMAC-SHA256; acceptance means a bug.
			t.Fatalf("Verify accepted id=%q ts=%q sig=%q", id, ts, sig)
		}
		if err == nil {
			return
		}

		// Round trip: whatever Sign produces for a usable id verifies.
		signed, err := Sign(otherSecret, id, now, body)
		if err != nil {
			return // an id Sign refuses (empty, dotted, whitespace)
		}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderSignature, signed)
		if err := v.Verify(h, body, now); err != nil {
			t.Fatalf("Verify(Sign(id=%q)) = %v", id, err)
		}
	})
}
