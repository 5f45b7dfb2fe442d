package domain

import (
	"regexp"
	"testing"
)

// TestNameShapes holds the byte-class matchers to the regular expressions
// they replace, over every short string of the interesting bytes and the
// lengths around each limit.
func TestNameShapes(t *testing.T) {
	cases := []struct {
		name  string
		shape nameShape
		re    *regexp.Regexp
	}{
		{"step id", stepIDShape, regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,15}$`)},
		{"reason", reasonShape, regexp.MustCompile(`^[a-z_]{1,20}$`)},
		{"prefix", prefixShape, regexp.MustCompile(`^[A-Z][A-Z0-9]{0,11}$`)},
		{"pool code", poolCodeShape, regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)},
	}
	alphabet := []string{"a", "z", "A", "Z", "0", "9", "-", "_", ".", " ", "é", "\x00"}
	for _, c := range cases {
		check := func(s string) {
			if got, want := c.shape.match(s), c.re.MatchString(s); got != want {
				t.Errorf("%s: match(%q) = %v, the pattern says %v", c.name, s, got, want)
			}
		}
		check("")
		var grow func(prefix string, depth int)
		grow = func(prefix string, depth int) {
			check(prefix)
			if depth == 0 {
				return
			}
			for _, a := range alphabet {
				grow(prefix+a, depth-1)
			}
		}
		grow("", 3)
		for _, base := range []string{"a", "A", "0", "_", "-"} {
			for n := 1; n <= 70; n++ {
				s := ""
				for range n {
					s += base
				}
				check(s)
				check("a" + s)
				check("A" + s)
			}
		}
	}
}

func TestCycleOf(t *testing.T) {
	for key, want := range map[string]int{
		"csat-2": 2, "csat-2-r": 2, "alert-7": 7, "thanks-12": 12, "msg-0": 0,
		"csat": -1, "csat-": -1, "csat-r": -1, "csat-2r": -1, "csat-x-r": -1, "-3": 3, "": -1,
		"csat-99999999999999999999": -1,
	} {
		if got := cycleOf(key); got != want {
			t.Errorf("cycleOf(%q) = %d, want %d", key, got, want)
		}
	}
}
