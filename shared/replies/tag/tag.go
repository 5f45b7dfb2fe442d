// Package tag signs and checks the per-incident reply addresses
// ("care+<step>-<token>@example.com") every follow-up carries as its
// Reply-To, so that a reply finds its incident and a forged one does not.
// It is its own package, free of MIME parsing, because every function that
// sends mail signs addresses and only the replies function reads mail.
package tag

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"

	"github.com/aftercare/aftercare/shared/mail"
)

// Errors from Addresses.Parse and Addresses.Match. Neither error's text
// ever contains the address: errors end up in logs, addresses must not.
var (
	// ErrNotOurs: the address is not a plus address of our base mailbox
	// (another mailbox or domain, or the base address without a tag).
	ErrNotOurs = errors.New("not a reply address of ours")
	// ErrForged: the address is our mailbox with a tag that does not verify
	// under any key — tampered, garbled in transit, or signed with a key we
	// no longer hold.
	ErrForged = errors.New("forged or garbled reply address")
)

// MinKeyLen is the shortest accepted signing key, in bytes (the same rule
// as rating links, so one secret can serve both).
const MinKeyLen = 32

// MaxLocalPart is RFC 5321's limit on the part before the "@". Longer
// local parts are refused or silently cut by some relays, which would
// make replies unroutable, so every address For makes fits within it.
const MaxLocalPart = 64

// MinStepRoom is the step-key length every Addresses can carry: the
// policy's step ids (≤ 16) plus "-<cycle>". NewAddresses refuses a base
// mailbox name that leaves less; a shorter name leaves more (29 for
// "care"), which reminder keys such as "csat-2-r" can use.
const MinStepRoom = 20

const (
	incidentPrefix = "inc_"
	incidentRawLen = 10 // an incident id is "inc_" + base32 of 10 bytes
	// tagMACLen truncates the HMAC to 64 bits so that the address fits in
	// 64 characters with room for the base mailbox's name. A forger learns
	// whether a guess was right only by mailing it to us and watching what
	// happens, one message per guess, so 2⁻⁶⁴ per attempt is ample.
	tagMACLen = 8
	// tokenLen is base32 of incident (10 bytes) + MAC (8 bytes): 144 bits
	// in 29 characters, the last of which carries one unused, zero bit.
	tokenLen = (8*(incidentRawLen+tagMACLen) + 4) / 5
	// tagOverhead is the "+" before the tag and the "-" between step and token.
	tagOverhead = 2
)

// macContext separates these MACs from any other use of the same key (such
// as rating links signed with the same secret): a valid tag here can never
// be replayed as a valid MAC elsewhere, nor the other way round.
const macContext = "aftercare/reply-address/v1\x00"

// lowerBase32 is the token alphabet. Lower case, because mail systems
// treat local parts case-insensitively in practice and some fold them; no
// "=", "/", "+" or "_", which relays and clients rewrite or split on.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

var (
	// stepKeyRE is what the address can carry verbatim: the policy's step
	// ids ([a-z0-9][a-z0-9-]*) followed by "-<cycle>".
	stepKeyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	// baseLocalRE keeps the base mailbox a plain dot-atom without "+",
	// which would make our own tag ambiguous.
	baseLocalRE = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*/=?^_{|}~-]+)*$`)
)

// Addresses makes and checks per-incident reply addresses.
//
// A follow-up email is sent with Reply-To "care+<step>-<token>@example.com",
// so that when the customer answers we know which incident and step they
// answer without trusting anything else in the message (subjects get
// edited, In-Reply-To gets dropped, the From address may differ from the
// one we wrote to). The token is lower-case base32 of the incident id's 10
// bytes and a truncated HMAC over incident and step: binary, because the
// incident id is already base32 of those bytes; the step stays as text,
// because a step key is lower-case letters, digits and "-" already, and
// any binary packing of it would cost more characters in base32, not
// fewer.
//
// It signs with the first key and verifies with any, so that keys can be
// rotated without orphaning replies to mail already sent. Addresses do not
// expire: customers answer weeks later, and a valid tag only lets someone
// add a reply to an incident whose follow-up they already received.
type Addresses struct {
	local, domain string // the base mailbox as configured, e.g. "care", "example.com"
	maxStep       int    // the longest step key that fits in MaxLocalPart
	keys          [][]byte
}

// NewAddresses returns the reply addresses of the base mailbox (e.g.
// "care@example.com"), signing with keys[0] and accepting any of keys.
// It fails if the base mailbox's name is so long that the longest tag
// would push the local part past MaxLocalPart characters.
func NewAddresses(base string, keys ...[]byte) (*Addresses, error) {
	a, err := netmail.ParseAddress(base)
	if err != nil {
		return nil, fmt.Errorf("replies: base address: %w", err)
	}
	local, domain, ok := cutLast(a.Address, "@")
	if !ok || domain == "" || !baseLocalRE.MatchString(local) {
		return nil, errors.New("replies: base address must be a plain local@domain without \"+\"")
	}
	maxStep := MaxLocalPart - tagOverhead - tokenLen - len(local)
	if maxStep < MinStepRoom {
		return nil, fmt.Errorf("replies: base mailbox name is %d characters, at most %d leave room for the tag",
			len(local), MaxLocalPart-tagOverhead-tokenLen-MinStepRoom)
	}
	if len(keys) == 0 {
		return nil, errors.New("replies: at least one signing key is required")
	}
	own := make([][]byte, len(keys))
	for i, k := range keys {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("replies: key %d is %d bytes, want at least %d", i, len(k), MinKeyLen)
		}
		own[i] = append([]byte(nil), k...)
	}
	return &Addresses{local: local, domain: domain, maxStep: maxStep, keys: own}, nil
}

// Base is the plain mailbox address the reply addresses extend.
func (a *Addresses) Base() string { return a.local + "@" + a.domain }

// MaxStep is the longest step key these addresses carry (at least
// MinStepRoom).
func (a *Addresses) MaxStep() int { return a.maxStep }

// For returns the reply address for a step of an incident. If the pair
// cannot be carried (not an incident id, a step key that is empty, longer
// than MaxStep or has other characters than a-z, 0-9 and "-") it
// returns the base address: the customer's answer still reaches the
// inbox, only unrouted, which is better than no Reply-To at all. Callers
// that must know use Address.
func (a *Addresses) For(incidentID, step string) string {
	addr, err := a.Address(incidentID, step)
	if err != nil {
		return a.Base()
	}
	return addr
}

// Address is For, with an error instead of the fallback to the base address.
func (a *Addresses) Address(incidentID, step string) (string, error) {
	raw, err := incidentBytes(incidentID)
	if err != nil {
		return "", err
	}
	if !a.validStep(step) {
		return "", fmt.Errorf("replies: step key is not 1–%d of [a-z0-9-]", a.maxStep)
	}
	token := lowerBase32.EncodeToString(append(raw, a.mac(a.keys[0], raw, step)...))
	return a.local + "+" + step + "-" + token + "@" + a.domain, nil
}

// Parse returns the incident and step a reply address stands for. addr may
// be a bare address or a header form such as "Care <care+…@example.com>".
// Local part and domain are compared case-insensitively, because relays
// and clients do change their case. It fails with ErrNotOurs for any
// other mailbox and with ErrForged for our mailbox with a tag that does
// not verify. The MAC is compared in constant time against every key.
func (a *Addresses) Parse(addr string) (incidentID, step string, err error) {
	local, domain, ok := mail.SplitAddress(addr)
	if !ok || !strings.EqualFold(domain, a.domain) {
		return "", "", ErrNotOurs
	}
	name, tag, ok := strings.Cut(local, "+")
	if !ok || !strings.EqualFold(name, a.local) {
		return "", "", ErrNotOurs
	}
	tag = strings.ToLower(tag)
	if len(tag) < 1+1+tokenLen || len(tag) > a.maxStep+1+tokenLen || tag[len(tag)-tokenLen-1] != '-' {
		return "", "", fmt.Errorf("%w: tag has the wrong shape", ErrForged)
	}
	step, token := tag[:len(tag)-tokenLen-1], tag[len(tag)-tokenLen:]
	if !a.validStep(step) {
		return "", "", fmt.Errorf("%w: step key has the wrong shape", ErrForged)
	}
	raw, err := lowerBase32.DecodeString(token)
	// Re-encoding rejects a token whose unused last bit is set: one
	// spelling per address, as with rating links.
	if err != nil || len(raw) != incidentRawLen+tagMACLen || lowerBase32.EncodeToString(raw) != token {
		return "", "", fmt.Errorf("%w: token is not canonical base32", ErrForged)
	}
	inc, got := raw[:incidentRawLen], raw[incidentRawLen:]
	valid := 0
	for _, k := range a.keys {
		valid |= boolInt(hmac.Equal(got, a.mac(k, inc, step)))
	}
	if valid == 0 {
		return "", "", fmt.Errorf("%w: signature does not verify", ErrForged)
	}
	return incidentPrefix + lowerBase32.EncodeToString(inc), step, nil
}

// Match finds the reply address of ours among the candidates, in order:
// the envelope recipients (as the receiving service reports them, e.g.
// SES's receipt.recipients; authoritative, so first), then the message's
// recipient headers (replies.Reply.Recipients). The first that verifies
// wins. It fails with
// ErrForged if some candidate was our mailbox but none verified, and with
// ErrNotOurs if none was our mailbox at all.
func (a *Addresses) Match(candidates ...string) (incidentID, step string, err error) {
	forged := 0
	for _, c := range candidates {
		inc, st, err := a.Parse(c)
		if err == nil {
			return inc, st, nil
		}
		if errors.Is(err, ErrForged) {
			forged++
		}
	}
	if forged > 0 {
		return "", "", fmt.Errorf("%w: %d of %d recipients carried a tag that does not verify", ErrForged, forged, len(candidates))
	}
	return "", "", fmt.Errorf("%w: none of %d recipients", ErrNotOurs, len(candidates))
}

func (a *Addresses) mac(key, incident []byte, step string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(macContext))
	h.Write(incident)
	h.Write([]byte(step))
	return h.Sum(nil)[:tagMACLen]
}

// incidentBytes decodes "inc_" + 16 lower-case base32 characters.
func incidentBytes(id string) ([]byte, error) {
	enc, ok := strings.CutPrefix(id, incidentPrefix)
	if ok && len(enc) == 16 {
		if raw, err := lowerBase32.DecodeString(enc); err == nil && len(raw) == incidentRawLen {
			return raw, nil
		}
	}
	return nil, errors.New("replies: not an incident id (inc_ + 16 lower-case base32 characters)")
}

func (a *Addresses) validStep(step string) bool {
	return len(step) <= a.maxStep && stepKeyRE.MatchString(step)
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
