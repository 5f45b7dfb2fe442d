//go:build !race

package stdwebhooks

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The race detector empties sync.Pools at random, so this runs without it.
func TestVerifyDoesNotAllocate(t *testing.T) {
	v, err := NewVerifier(vectorSecret, otherSecret)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderID, vectorID)
	h.Set(HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(HeaderSignature, "v1a,ignored "+vectorSignature)
	body, now := []byte(vectorPayload), time.Unix(vectorTimestamp, 0)
	if n := testing.AllocsPerRun(100, func() {
		if err := v.Verify(h, body, now); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Verify allocates %v times per call, want 0", n)
	}
}
