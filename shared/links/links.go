// Package links signs and verifies the tokens inside links Aftercare puts in
// emails (rating links), so that a link cannot be forged, altered or used
// after it expires.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// Claims is what a rating link stands for: this score, for this survey step
// of this incident, until Expires.
type Claims struct {
	Incident string
	Step     string
	Survey   domain.SurveyKind
	Score    int
	Expires  time.Time
}

// Errors from Verify. Both are shown to the customer as a friendly page.
var (
	ErrInvalid = errors.New("invalid link")
	ErrExpired = errors.New("expired link")
)

// MinKeyLen is the shortest accepted signing key, in bytes.
const MinKeyLen = 32

// macLen truncates the HMAC to keep links short; 128 bits is ample.
const macLen = 16

// Strict decoding keeps one spelling per token.
var enc = base64.RawURLEncoding.Strict()

// Signer signs with its first key and verifies with any, so that keys can
// be rotated without breaking links already sent.
type Signer struct {
	keys [][]byte
}

// NewSigner returns a signer for the given keys, newest first.
func NewSigner(keys ...[]byte) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("links: at least one signing key is required")
	}
	for i, k := range keys {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("links: key %d is %d bytes, want at least %d", i, len(k), MinKeyLen)
		}
	}
	return &Signer{keys: keys}, nil
}

// Sign returns a URL-safe token for c.
func (s *Signer) Sign(c Claims) string {
	payload := strings.Join([]string{
		"1", c.Incident, c.Step, string(c.Survey), strconv.Itoa(c.Score),
		strconv.FormatInt(c.Expires.Unix(), 36),
	}, "|")
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(mac(s.keys[0], payload))
}

// Verify checks the token's signature in constant time against every key,
// then its expiry against now.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	p64, m64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return Claims{}, ErrInvalid
	}
	raw, err1 := enc.DecodeString(p64)
	got, err2 := enc.DecodeString(m64)
	if err1 != nil || err2 != nil {
		return Claims{}, ErrInvalid
	}
	payload := string(raw)
	valid := 0
	for _, k := range s.keys {
		valid |= boolInt(hmac.Equal(got, mac(k, payload)))
	}
	if valid == 0 {
		return Claims{}, ErrInvalid
	}
	f := strings.Split(payload, "|")
	if len(f) != 6 || f[0] != "1" {
		return Claims{}, ErrInvalid
	}
	score, err := strconv.Atoi(f[4])
	if err != nil {
		return Claims{}, ErrInvalid
	}
	exp, err := strconv.ParseInt(f[5], 36, 64)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	c := Claims{Incident: f[1], Step: f[2], Survey: domain.SurveyKind(f[3]), Score: score, Expires: time.Unix(exp, 0).UTC()}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

func mac(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return h.Sum(nil)[:macLen]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
