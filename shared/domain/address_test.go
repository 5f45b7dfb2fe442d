package domain

import (
	"math/rand/v2"
	"net/mail"
	"testing"
)

// parsedPlain is what Validate accepted before the fast path: the address
// as net/mail reads it, and nothing else.
func parsedPlain(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

func TestPlainAddressIsParseAddress(t *testing.T) {
	for _, s := range []string{
		"maria@example.com", "a.b+tag@sub.example.co.uk", "x@y", "!#$%&'*+-/=?^_`{|}~@example.com",
		"", "@", "a@", "@b", "a@@b", "a@b@c", ".a@b", "a.@b", "a..b@c", "a@.b", "a@b.", "a@b..c",
		"a b@c", " a@b", "a@b ", "\"a b\"@c", "\"\"@c", "a@[1.2.3.4]", "a@[]", "Maria <maria@example.com>",
		"maria@example.com (Maria)", "(x)a@b", "ñ@example.com", "a@exämple.com", "a\x00@b", "a\x7f@b",
		"a@b\xff", "a\\@b", "a,b@c", "a;b@c", "a:b@c", "a(b@c", "a)b@c", "a<b@c", "a>b@c", "a[b@c", "a]b@c",
	} {
		if got, want := plainAddress(s), parsedPlain(s); got != want {
			t.Errorf("plainAddress(%q) = %v, net/mail says %v", s, got, want)
		}
		if simpleAddress(s) && !parsedPlain(s) {
			t.Errorf("fast path accepts %q, net/mail does not", s)
		}
	}
	// Random strings over the characters that matter.
	const alphabet = "ab.@\"[]()<> \\,;:!#~\x00\x7fñ"
	r := rand.New(rand.NewPCG(1, 2))
	runes := []rune(alphabet)
	for range 200000 {
		b := make([]rune, r.IntN(8))
		for i := range b {
			b[i] = runes[r.IntN(len(runes))]
		}
		s := string(b)
		if simpleAddress(s) && !parsedPlain(s) {
			t.Fatalf("fast path accepts %q, net/mail does not", s)
		}
		if got, want := plainAddress(s), parsedPlain(s); got != want {
			t.Fatalf("plainAddress(%q) = %v, net/mail says %v", s, got, want)
		}
	}
}

func FuzzPlainAddress(f *testing.F) {
	f.Add("maria@example.com")
	f.Add("\"a\"@[1.2.3.4]")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := plainAddress(s), parsedPlain(s); got != want {
			t.Fatalf("plainAddress(%q) = %v, net/mail says %v", s, got, want)
		}
	})
}
