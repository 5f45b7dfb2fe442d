package stdwebhooks

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Verify reuses HMAC states across calls and goroutines: every delivery
// must still be checked against its own id, timestamp and body, under each
// of more keys than Verify keeps room for on the stack.
func TestVerifyReusesStatesSafely(t *testing.T) {
	v, err := NewVerifier(vectorSecret, otherSecret, thirdSecret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(vectorTimestamp, 0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				secret := []string{vectorSecret, otherSecret, thirdSecret}[(g+i)%3]
				id := "msg_" + strconv.Itoa(g) + "_" + strconv.Itoa(i)
				body := []byte(strings.Repeat("x", i*37))
				sig, err := Sign(secret, id, now, body)
				if err != nil {
					t.Error(err)
					return
				}
				h := http.Header{}
				h.Set(HeaderID, id)
				h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
				h.Set(HeaderSignature, sig)
				if err := v.Verify(h, body, now); err != nil {
					t.Errorf("Verify(%s) = %v", id, err)
				}
				// The same signature under another id must fail.
				h.Set(HeaderID, id+"x")
				if err := v.Verify(h, body, now); err == nil {
					t.Errorf("Verify accepted %s's signature for another id", id)
				}
			}
		})
	}
	wg.Wait()
}

// An entry too long for the stack buffer is decoded all the same: it
// counts as a malformed v1 signature when it is not base64, and as a
// non-matching one when it is.
func TestVerifyLongSignatureEntries(t *testing.T) {
	v, err := NewVerifier(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(vectorTimestamp, 0)
	for sig, want := range map[string]string{
		"v1," + strings.Repeat("A", 88):                         "none of 1 v1 signatures match",
		"v1," + strings.Repeat("!", 88):                         "1 of 1 v1 signatures are not valid base64",
		"v1," + strings.Repeat("A", 88) + " " + vectorSignature: "",
	} {
		h := http.Header{}
		h.Set(HeaderID, vectorID)
		h.Set(HeaderTimestamp, strconv.Itoa(vectorTimestamp))
		h.Set(HeaderSignature, sig)
		err := v.Verify(h, []byte(vectorPayload), now)
		switch {
		case want == "" && err != nil:
			t.Errorf("Verify(%.20q…) = %v", sig, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("Verify(%.20q…) = %v, want %q", sig, err, want)
		}
	}
}

func TestDeliveryIDIsHeaderGet(t *testing.T) {
	h := http.Header{}
	if got := DeliveryID(h); got != "" {
		t.Errorf("DeliveryID(empty) = %q", got)
	}
	h.Add("WEBHOOK-ID", "msg_1")
	h.Add("webhook-id", "msg_2")
	if got, want := DeliveryID(h), h.Get(HeaderID); got != want || got != "msg_1" {
		t.Errorf("DeliveryID = %q, Header.Get = %q; want msg_1", got, want)
	}
}
