package mail

import (
	"regexp"
	"strings"
	"testing"
)

// TestPlainAttachmentName holds the byte-by-byte check to the pattern it
// replaces, over every short string of the interesting bytes and the
// lengths around each limit.
func TestPlainAttachmentName(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.[A-Za-z0-9]{1,8}$`)
	check := func(s string) {
		if got, want := plainAttachmentName(s), re.MatchString(s); got != want {
			t.Errorf("plainAttachmentName(%q) = %v, the pattern says %v", s, got, want)
		}
	}
	alphabet := []string{"a", "Z", "0", ".", "-", "_", " ", "/", "é"}
	var grow func(prefix string, depth int)
	grow = func(prefix string, depth int) {
		check(prefix)
		if depth > 0 {
			for _, a := range alphabet {
				grow(prefix+a, depth-1)
			}
		}
	}
	grow("", 5)
	for stem := 0; stem <= 66; stem++ {
		for ext := 0; ext <= 10; ext++ {
			check("b" + strings.Repeat("x", stem) + "." + strings.Repeat("i", ext))
			check("b" + strings.Repeat(".", stem) + "." + strings.Repeat("i", ext))
		}
	}
	for _, s := range []string{"booking.ics", "a.b.c.ics", "../etc.ics", "x.ics\n", "-x.ics", "x..ics", "x.ics.", ".ics"} {
		check(s)
	}
}
