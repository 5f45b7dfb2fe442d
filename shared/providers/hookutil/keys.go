package hookutil

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// SplitSecrets splits a comma-separated list of secrets, trimming spaces and
// dropping blanks, so that "new, old" and a value pasted with a trailing
// newline both work. Two secrets are active at once while a sender rotates.
func SplitSecrets(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// ErrNoSecret is returned when a provider is built without a usable secret:
// an endpoint without one must not exist rather than accept anything.
var ErrNoSecret = errors.New("no secret configured")

// Keys verifies HMAC-SHA256 signatures made with any of its secrets. The
// secret's bytes are the key, as every provider here documents it (none of
// them base64-decodes its secret first).
type Keys struct {
	keys [][]byte
}

// NewKeys returns Keys for the given secrets; it refuses an empty list or a
// blank secret.
func NewKeys(secrets ...string) (Keys, error) {
	if len(secrets) == 0 {
		return Keys{}, ErrNoSecret
	}
	k := Keys{keys: make([][]byte, 0, len(secrets))}
	for i, s := range secrets {
		if strings.TrimSpace(s) == "" {
			return Keys{}, fmt.Errorf("secret %d is blank: %w", i+1, ErrNoSecret)
		}
		k.keys = append(k.keys, []byte(s))
	}
	return k, nil
}

// Len is the number of active secrets.
func (k Keys) Len() int { return len(k.keys) }

// Sum returns HMAC-SHA256(key, the message parts concatenated).
func Sum(key []byte, message ...[]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, m := range message {
		h.Write(m)
	}
	return h.Sum(nil)
}

// Match reports whether sig is the HMAC-SHA256 of the message under any of
// the secrets. Every secret is tried and each comparison is constant-time,
// so the answer's timing does not reveal how much of a forgery was right.
func (k Keys) Match(sig []byte, message ...[]byte) bool {
	ok := false
	for _, key := range k.keys {
		if hmac.Equal(Sum(key, message...), sig) {
			ok = true
		}
	}
	return ok
}

// MinTokenLen is the shortest bearer token accepted: a token is sent as it
// is, so it must be too long to guess.
const MinTokenLen = 16

// Tokens checks a bearer token against the active ones. It compares SHA-256
// digests in constant time, so neither the content nor the length of a
// configured token leaks through timing.
type Tokens struct {
	sums [][sha256.Size]byte
}

// NewTokens returns Tokens for the given values, refusing an empty list and
// tokens shorter than MinTokenLen.
func NewTokens(tokens ...string) (Tokens, error) {
	if len(tokens) == 0 {
		return Tokens{}, ErrNoSecret
	}
	t := Tokens{sums: make([][sha256.Size]byte, 0, len(tokens))}
	for i, v := range tokens {
		if len(strings.TrimSpace(v)) < MinTokenLen {
			return Tokens{}, fmt.Errorf("token %d is shorter than %d characters; use a random one, e.g. `openssl rand -hex 24`", i+1, MinTokenLen)
		}
		t.sums = append(t.sums, sha256.Sum256([]byte(v)))
	}
	return t, nil
}

// Len is the number of active tokens.
func (t Tokens) Len() int { return len(t.sums) }

// Match reports whether got is one of the tokens.
func (t Tokens) Match(got string) bool {
	sum := sha256.Sum256([]byte(got))
	ok := 0
	for _, want := range t.sums {
		ok |= subtle.ConstantTimeCompare(sum[:], want[:])
	}
	return ok == 1 && got != ""
}
