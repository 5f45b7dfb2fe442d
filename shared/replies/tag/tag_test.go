package tag

import (
	"errors"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

func TestAddressRoundTrip(t *testing.T) {
	a := testAddresses(t)
	tests := []struct{ incident, step string }{
		{domain.IncidentID("aftercare", "BK-1042"), "thanks-1"},
		{domain.IncidentID("calendly", "x"), "csat-12"},
		{"inc_aaaaaaaaaaaaaaaa", "a"},
		{"inc_7777777777777777", "abcdefghijklmnop-999"},          // longest policy step key
		{"inc_7777777777777777", "abcdefghijklmnop-9999-r"},       // a reminder's
		{"inc_7777777777777777", "abcdefghijklmnopqrstuvwxyz012"}, // all "care" leaves room for
	}
	for _, tc := range tests {
		addr, err := a.Address(tc.incident, tc.step)
		if err != nil {
			t.Fatalf("Address(%q, %q): %v", tc.incident, tc.step, err)
		}
		local, _, _ := strings.Cut(addr, "@")
		if len(local) > MaxLocalPart {
			t.Errorf("local part of %q is %d characters, over %d", addr, len(local), MaxLocalPart)
		}
		if addr != strings.ToLower(addr) || strings.ContainsAny(local[len("care+"):], "=/+_.") {
			t.Errorf("%q: want lower case, no characters that relays rewrite", addr)
		}
		for _, variant := range []string{addr, strings.ToUpper(addr), "Sea Breeze <" + addr + ">", "<" + addr + ">", addr + "."} {
			inc, step, err := a.Parse(variant)
			if err != nil || inc != tc.incident || step != tc.step {
				t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q", variant, inc, step, err, tc.incident, tc.step)
			}
		}
	}
}

func TestAddressRotation(t *testing.T) {
	oldOnly, err := NewAddresses("care@seabreeze.example", oldKey)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewAddresses("care@seabreeze.example", testKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	newOnly := testAddresses(t)
	inc := domain.IncidentID("aftercare", "BK-1042")

	sentBefore := oldOnly.For(inc, "thanks-1")
	if _, _, err := rotated.Parse(sentBefore); err != nil {
		t.Errorf("an address signed with the old key no longer verifies during rotation: %v", err)
	}
	sentAfter := rotated.For(inc, "thanks-1")
	if sentAfter != newOnly.For(inc, "thanks-1") {
		t.Errorf("rotated signer does not sign with its first key")
	}
	if _, _, err := newOnly.Parse(sentBefore); !errors.Is(err, ErrForged) {
		t.Errorf("old key dropped: error = %v, want ErrForged", err)
	}
}

func TestAddressRejects(t *testing.T) {
	a := testAddresses(t)
	good := a.For(domain.IncidentID("aftercare", "BK-1042"), "thanks-1")
	local, domainPart, _ := strings.Cut(good, "@")
	tag := strings.TrimPrefix(local, "care+")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name, addr string
		want       error
	}{
		{"other domain", "care+" + tag + "@example.org", ErrNotOurs},
		{"other mailbox", "sales+" + tag + "@" + domainPart, ErrNotOurs},
		{"base address, no tag", "care@" + domainPart, ErrNotOurs},
		{"customer's own plus address", "maria+travel@example.gr", ErrNotOurs},
		{"not an address", "undisclosed-recipients:;", ErrNotOurs},
		{"empty", "", ErrNotOurs},
		{"mac altered", "care+" + flip(tag, len(tag)-1) + "@" + domainPart, ErrForged},
		{"incident altered", "care+" + flip(tag, len("thanks-1-")) + "@" + domainPart, ErrForged},
		{"step altered", "care+thanks-2" + tag[len("thanks-1"):] + "@" + domainPart, ErrForged},
		{"step removed", "care+" + tag[len("thanks-1-"):] + "@" + domainPart, ErrForged},
		{"token truncated", "care+" + tag[:len(tag)-1] + "@" + domainPart, ErrForged},
		{"token with a padding char", "care+" + tag[:len(tag)-1] + "=@" + domainPart, ErrForged},
		{"non-canonical last char", "care+" + nonCanonical(tag) + "@" + domainPart, ErrForged},
		{"bad step characters", "care+thanks_1" + tag[len("thanks-1"):] + "@" + domainPart, ErrForged},
		{"garbage tag", "care+hello@" + domainPart, ErrForged},
		{"very long", "care+" + strings.Repeat("a", 5000) + "@" + domainPart, ErrNotOurs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inc, step, err := a.Parse(tc.addr)
			if !errors.Is(err, tc.want) {
				t.Errorf("Parse = %q, %q, %v; want %v", inc, step, err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "@") || strings.Contains(err.Error(), tag)) {
				t.Errorf("error text %q reveals the address", err)
			}
		})
	}
}

// nonCanonical sets the one unused bit of the token's last character:
// it decodes to the same bytes, so only re-encoding can reject it.
func nonCanonical(tag string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	last := strings.IndexByte(alphabet, tag[len(tag)-1])
	return tag[:len(tag)-1] + string(alphabet[last|1])
}

func TestAddressFor(t *testing.T) {
	a := testAddresses(t)
	for _, tc := range []struct{ name, incident, step string }{
		{"not an incident id", "BK-1042", "thanks-1"},
		{"upper-case id", "inc_AAAAAAAAAAAAAAAA", "thanks-1"},
		{"short id", "inc_aaaa", "thanks-1"},
		{"step too long", "inc_aaaaaaaaaaaaaaaa", "abcdefghijklmnopqrstuvwxyz0123"},
		{"step with upper case", "inc_aaaaaaaaaaaaaaaa", "Thanks-1"},
		{"step with a dot", "inc_aaaaaaaaaaaaaaaa", "thanks.1"},
		{"empty step", "inc_aaaaaaaaaaaaaaaa", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := a.Address(tc.incident, tc.step); err == nil {
				t.Error("Address: want an error")
			}
			if got := a.For(tc.incident, tc.step); got != "care@seabreeze.example" {
				t.Errorf("For = %q, want the base address", got)
			}
		})
	}
}

func TestNewAddresses(t *testing.T) {
	key := testKey
	tests := []struct {
		name, base string
		keys       [][]byte
		ok         bool
	}{
		{"plain", "care@example.com", [][]byte{key}, true},
		{"with a display name", "Sea Breeze <care@example.com>", [][]byte{key}, true},
		{"longest mailbox name", "customer.care@example.com", [][]byte{key}, true},
		{"mailbox name too long", "customer-service@example.com", [][]byte{key}, false},
		{"plus in base", "care+x@example.com", [][]byte{key}, false},
		{"no domain", "care", [][]byte{key}, false},
		{"no key", "care@example.com", nil, false},
		{"short key", "care@example.com", [][]byte{[]byte("short")}, false},
		{"one short key among good", "care@example.com", [][]byte{key, []byte("short")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAddresses(tc.base, tc.keys...)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok = %v", err, tc.ok)
			}
			if err != nil {
				return
			}
			if a.MaxStep() < MinStepRoom {
				t.Errorf("MaxStep = %d, under %d", a.MaxStep(), MinStepRoom)
			}
			addr, err := a.Address("inc_7777777777777777", strings.Repeat("s", a.MaxStep()))
			if err != nil {
				t.Fatal(err)
			}
			if local, _, _ := strings.Cut(addr, "@"); len(local) != MaxLocalPart {
				t.Errorf("longest address %q has a %d-character local part, want %d", addr, len(local), MaxLocalPart)
			}
		})
	}
}

// TestAddressKeysCopied: a caller reusing its key buffer must not change
// what verifies.
func TestAddressKeysCopied(t *testing.T) {
	key := append([]byte(nil), testKey...)
	a, err := NewAddresses("care@seabreeze.example", key)
	if err != nil {
		t.Fatal(err)
	}
	addr := a.For("inc_aaaaaaaaaaaaaaaa", "csat-1")
	for i := range key {
		key[i] = 0
	}
	if _, _, err := a.Parse(addr); err != nil {
		t.Errorf("Parse after the caller zeroed its key: %v", err)
	}
}

func TestMatch(t *testing.T) {
	a := testAddresses(t)
	good := a.For("inc_aaaaaaaaaaaaaaaa", "csat-1")
	other := a.For("inc_bbbbbbbbbbbbbbbb", "csat-1")
	forged := strings.Replace(good, "csat-1", "csat-2", 1)
	tests := []struct {
		name       string
		envelope   []string
		recipients []string
		wantInc    string
		wantErr    error
	}{
		{"in the headers", nil, []string{"someone@example.com", good}, "inc_aaaaaaaaaaaaaaaa", nil},
		{"envelope first", []string{other}, []string{good}, "inc_bbbbbbbbbbbbbbbb", nil},
		{"forged one skipped for a valid one", nil, []string{forged, good}, "inc_aaaaaaaaaaaaaaaa", nil},
		{"only forged", nil, []string{"x@example.com", forged}, "", ErrForged},
		{"none of ours", []string{"inbox@inbound.example"}, []string{"care@seabreeze.example"}, "", ErrNotOurs},
		{"nothing", nil, nil, "", ErrNotOurs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inc, _, err := a.Match(append(tc.envelope, tc.recipients...)...)
			if !errors.Is(err, tc.wantErr) || inc != tc.wantInc {
				t.Errorf("Match = %q, %v; want %q, %v", inc, err, tc.wantInc, tc.wantErr)
			}
		})
	}
	if inc, _, err := a.Match(good); err != nil || inc != "inc_aaaaaaaaaaaaaaaa" {
		t.Errorf("Match(envelope) = %q, %v", inc, err)
	}
}

var (
	testKey = []byte("aftercare-test-reply-key-0123456789abcdef")
	oldKey  = []byte("aftercare-old--reply-key-0123456789abcdef")
)

func testAddresses(t testing.TB) *Addresses {
	t.Helper()
	a, err := NewAddresses("care@seabreeze.example", testKey)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
