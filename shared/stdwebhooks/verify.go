package stdwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verifier checks incoming deliveries against one or more secrets. More than
// one secret is active during a rotation: the receiver accepts the old and
// the new key until every sender has switched.
type Verifier struct {
	keys [][]byte
	// macs holds, per key, HMAC states to reuse: setting one up costs
	// five allocations, more than the rest of a verification.
	macs []*sync.Pool
}

// macState is a reusable HMAC-SHA256 of one key and a buffer for the
// "id.timestamp." prefix of the signed content.
type macState struct {
	h      hash.Hash
	prefix []byte
	sum    [sha256.Size]byte
}

// NewVerifier parses the given secrets ("whsec_<base64>", or the base64
// alone, padded or not). It fails on none, or on any
// that is not a well-formed key, rather than silently ignoring it, because a
// mistyped secret would otherwise surface only as every webhook being
// rejected.
func NewVerifier(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("stdwebhooks: at least one secret is required")
	}
	v := &Verifier{keys: make([][]byte, 0, len(secrets))}
	for i, s := range secrets {
		key, err := decodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("stdwebhooks: secret %d of %d: %w", i+1, len(secrets), err)
		}
		v.keys = append(v.keys, key)
		v.macs = append(v.macs, &sync.Pool{New: func() any {
			return &macState{h: hmac.New(sha256.New, key)}
		}})
	}
	return v, nil
}

// sum is mac(v.keys[i], id, timestamp, body), computed on a pooled state.
func (v *Verifier) sum(i int, id, timestamp string, body []byte) [sha256.Size]byte {
	st := v.macs[i].Get().(*macState)
	st.h.Reset()
	st.prefix = append(append(append(append(st.prefix[:0], id...), '.'), timestamp...), '.')
	st.h.Write(st.prefix)
	st.h.Write(body)
	st.h.Sum(st.sum[:0])
	sum := st.sum
	if cap(st.prefix) <= maxPooledPrefix {
		v.macs[i].Put(st)
	}
	return sum
}

// maxPooledPrefix keeps a delivery with an absurdly long id or timestamp
// from pinning its buffer in the pool.
const maxPooledPrefix = 1 << 10

// Canonical forms of the header names, to index an http.Header without
// canonicalising the name on every request as Header.Get does.
var (
	canonicalID        = http.CanonicalHeaderKey(HeaderID)
	canonicalTimestamp = http.CanonicalHeaderKey(HeaderTimestamp)
	canonicalSignature = http.CanonicalHeaderKey(HeaderSignature)
)

// header is h.Get(key) for a key already in canonical form.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// DeliveryID is the delivery's webhook-id header, h.Get(HeaderID) without
// its allocation.
func DeliveryID(h http.Header) string { return header(h, canonicalID) }

// Verify authenticates a delivery received at time now. It returns nil if
// the timestamp is within Tolerance of now and any v1 signature in the
// webhook-signature header matches any of the verifier's secrets. Otherwise
// the error wraps ErrMissingHeader, ErrBadTimestamp, ErrStaleTimestamp or
// ErrNoMatchingSignature, with detail for the sender. body must be the raw
// bytes as received: re-encoded JSON will not match.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := header(h, canonicalID), header(h, canonicalTimestamp), header(h, canonicalSignature)
	for _, f := range []struct{ name, value string }{
		{HeaderID, id}, {HeaderTimestamp, tsText}, {HeaderSignature, sigs},
	} {
		if strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, f.name)
		}
	}
	if err := checkTimestamp(tsText, now); err != nil {
		return err
	}

	// One MAC per secret, however many signatures the header lists, so a
	// long header cannot multiply the hashing work over a large body.
	var wantArr [2][sha256.Size]byte // room for a rotation without allocating
	want := wantArr[:0]
	if len(v.keys) > len(wantArr) {
		want = make([][sha256.Size]byte, 0, len(v.keys))
	}
	for i := range v.keys {
		want = append(want, v.sum(i, id, tsText, body))
	}
	var v1, malformed int
	// Entries up to 64 bytes (a SHA-256 MAC takes 44) decode on the
	// stack; longer ones, which cannot match, as before, to be counted as
	// malformed or not.
	var srcBuf [64]byte
	var gotBuf [48]byte
	for entry := range strings.FieldsSeq(sigs) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != signatureVersion {
			continue
		}
		v1++
		var got []byte
		var err error
		if len(encoded) <= len(srcBuf) {
			n := copy(srcBuf[:], encoded)
			var k int
			k, err = base64.StdEncoding.Decode(gotBuf[:], srcBuf[:n])
			got = gotBuf[:k]
		} else {
			got, err = base64.StdEncoding.DecodeString(encoded)
		}
		if err != nil {
			malformed++
			continue
		}
		for i := range want {
			if hmac.Equal(got, want[i][:]) {
				return nil
			}
		}
	}
	switch {
	case v1 == 0:
		return fmt.Errorf("%w: %s lists no %q signature", ErrNoMatchingSignature, HeaderSignature, signatureVersion)
	case malformed > 0:
		return fmt.Errorf("%w: %d of %d v1 signatures are not valid base64, none of the rest match the secret (check the secret and that the body is sent byte for byte as signed)",
			ErrNoMatchingSignature, malformed, v1)
	default:
		return fmt.Errorf("%w: none of %d v1 signatures match the secret (check the secret and that the body is sent byte for byte as signed)",
			ErrNoMatchingSignature, v1)
	}
}

// checkTimestamp accepts only plain decimal unix seconds within Tolerance of
// now.
func checkTimestamp(text string, now time.Time) error {
	for _, r := range text {
		if r < '0' || r > '9' {
			return fmt.Errorf("%w: %q is not unix seconds", ErrBadTimestamp, text)
		}
	}
	secs, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds: %w", ErrBadTimestamp, text, err)
	}
	// Compare in whole seconds, never subtracting across the range of
	// int64: an absurd timestamp must not overflow into "within tolerance".
	nowSecs, limit := now.Unix(), int64(Tolerance/time.Second)
	switch {
	case secs < nowSecs-limit:
		return fmt.Errorf("%w: %s is %s in the past; tolerance is %s",
			ErrStaleTimestamp, HeaderTimestamp, describe(nowSecs-secs), Tolerance)
	case secs > nowSecs+limit:
		return fmt.Errorf("%w: %s is %s in the future; tolerance is %s (check the sender's clock)",
			ErrStaleTimestamp, HeaderTimestamp, describe(secs-nowSecs), Tolerance)
	}
	return nil
}

// describe renders a positive number of seconds readably. Absurd values
// (beyond time.Duration, or wrapped negative) get a fixed phrase.
func describe(secs int64) string {
	const maxDurationSecs = int64(1<<63-1) / int64(time.Second)
	if secs < 0 || secs > maxDurationSecs {
		return "over 292 years"
	}
	return (time.Duration(secs) * time.Second).String()
}
