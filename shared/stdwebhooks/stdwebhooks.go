// Package stdwebhooks implements the symmetric (HMAC-SHA256, "v1") signature
// scheme of Standard Webhooks (https://www.standardwebhooks.com). Aftercare's
// own webhook format uses it so that senders can reuse an off-the-shelf
// Standard Webhooks library instead of learning a bespoke scheme, and so that
// Aftercare's outbound webhooks can be verified the same way.
//
// A delivery carries three headers: webhook-id (the idempotency key),
// webhook-timestamp (unix seconds of the attempt) and webhook-signature (a
// space-separated list of "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>").
// Signing the id and timestamp along with the body stops an attacker from
// replaying a captured body under a new id or at a later time.
package stdwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names defined by the specification. http.Header canonicalises them,
// so any capitalisation on the wire is accepted.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far webhook-timestamp may lie from the receiver's clock, in
// either direction. Five minutes is the specification's recommendation: long
// enough for clock skew and slow networks, short enough that a captured
// request cannot be replayed later.
const Tolerance = 5 * time.Minute

// DevSecret is the signing secret the local runtime and the post-webhook tool
// fall back to when AFTERCARE_WEBHOOK_SECRET is unset. It is public, so it
// must never protect a deployed endpoint; one constant keeps the two sides of
// a laptop setup in agreement.
const DevSecret = "whsec_ZGV2LW9ubHktc2VjcmV0LWRvLW5vdC11c2UtaW4tcHJvZA=="

// SecretPrefix marks a serialised symmetric key, as the specification asks,
// so that a key pasted into the wrong place is recognised as such.
const SecretPrefix = "whsec_"

// Key sizes the specification allows for symmetric secrets (192 to 512 bits).
const (
	minKeyLen = 24
	maxKeyLen = 64
)

// signatureVersion identifies HMAC-SHA256 signatures in webhook-signature.
// Other identifiers (such as "v1a" for ed25519) are skipped, not rejected, so
// a sender may add schemes without breaking us.
const signatureVersion = "v1"

// Verification failures. Each is wrapped with detail; the web layer shows the
// message to the sender, and errors.Is tells the classes apart.
var (
	// ErrMissingHeader: webhook-id, webhook-timestamp or webhook-signature is
	// absent or empty.
	ErrMissingHeader = errors.New("missing webhook header")
	// ErrBadTimestamp: webhook-timestamp is not an integer count of unix
	// seconds.
	ErrBadTimestamp = errors.New("invalid webhook-timestamp")
	// ErrStaleTimestamp: webhook-timestamp lies more than Tolerance before or
	// after the receiver's clock (a replay, or a skewed clock).
	ErrStaleTimestamp = errors.New("webhook-timestamp outside tolerance")
	// ErrNoMatchingSignature: no v1 signature in webhook-signature matches any
	// configured secret (wrong secret, or the body was altered).
	ErrNoMatchingSignature = errors.New("no matching webhook signature")
)

// decodeSecret turns a secret into key bytes. The specification writes
// secrets as "whsec_<base64>", but the reference libraries also take the
// base64 alone and base64 without its "=" padding, and senders hand out
// secrets in all three shapes; refusing two of them would only make a
// correct secret look wrong.
func decodeSecret(secret string) ([]byte, error) {
	secret = strings.TrimSpace(secret)
	rest, _ := strings.CutPrefix(secret, SecretPrefix)
	key, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil {
		return nil, fmt.Errorf("secret is not standard base64 (optionally after %q): %w", SecretPrefix, err)
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return nil, fmt.Errorf("secret decodes to %d bytes; it must be %d to %d (a %q secret holds %d to %d bytes in base64)",
			len(key), minKeyLen, maxKeyLen, SecretPrefix, minKeyLen, maxKeyLen)
	}
	return key, nil
}

// mac computes the raw HMAC-SHA256 of "id.timestamp.body".
func mac(key []byte, id, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the webhook-signature header value ("v1,<base64>") for a
// delivery with the given id, attempt time and raw body. The id must be
// visible ASCII without full stops (see checkID).
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", fmt.Errorf("stdwebhooks: sign: %w", err)
	}
	if err := checkID(id); err != nil {
		return "", fmt.Errorf("stdwebhooks: sign: %w", err)
	}
	sum := mac(key, id, strconv.FormatInt(ts.Unix(), 10), body)
	return signatureVersion + "," + base64.StdEncoding.EncodeToString(sum), nil
}

// checkID accepts ids made of visible ASCII other than the full stop. The
// signed content joins id, timestamp and body with full stops, so a dotted id
// could be re-split into a different delivery (the specification warns
// against it); whitespace and control characters do not survive an HTTP
// header intact, so the receiver would verify a different id.
func checkID(id string) error {
	if id == "" {
		return errors.New("webhook id is empty")
	}
	for _, r := range id {
		if r <= ' ' || r > '~' || r == '.' {
			return fmt.Errorf("webhook id %q must be visible ASCII without full stops", id)
		}
	}
	return nil
}
