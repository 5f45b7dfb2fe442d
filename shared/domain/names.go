package domain

// The names a policy may use (step ids, reason codes, offer-code prefixes
// and pool codes) are checked by these byte-class matchers rather than
// regular expressions: each would otherwise be compiled at every cold start
// of every function (a bounded repetition such as {0,63} compiles to that
// many copies), which was most of this package's start-up cost.

// byteClass reports whether a byte belongs to a class of ASCII characters.
type byteClass func(c byte) bool

func lower(c byte) bool { return 'a' <= c && c <= 'z' }
func upper(c byte) bool { return 'A' <= c && c <= 'Z' }
func digit(c byte) bool { return '0' <= c && c <= '9' }

// anyOf is the union of classes.
func anyOf(classes ...byteClass) byteClass {
	return func(c byte) bool {
		for _, in := range classes {
			if in(c) {
				return true
			}
		}
		return false
	}
}

// is matches a single byte.
func is(b byte) byteClass { return func(c byte) bool { return c == b } }

// nameShape is a name of first followed by up to maxRest bytes of rest.
type nameShape struct {
	first, rest byteClass
	maxRest     int
}

func (n nameShape) match(s string) bool {
	if len(s) == 0 || len(s) > 1+n.maxRest || !n.first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !n.rest(s[i]) {
			return false
		}
	}
	return true
}

var (
	// stepIDShape keeps step ids short and safe inside schedule names,
	// which EventBridge Scheduler limits to 64 characters of
	// [0-9a-zA-Z-_.]: 1–16 of a-z, 0-9 and -, not starting with -.
	stepIDShape = nameShape{first: anyOf(lower, digit), rest: anyOf(lower, digit, is('-')), maxRest: 15}
	// reasonShape is a reason code: 1–20 of a-z and _.
	reasonShape = nameShape{first: anyOf(lower, is('_')), rest: anyOf(lower, is('_')), maxRest: 19}
	// prefixShape is an offer-code prefix: 1–12 of A-Z and 0-9,
	// starting with a letter.
	prefixShape = nameShape{first: upper, rest: anyOf(upper, digit), maxRest: 11}
	// poolCodeShape is an operator's own offer code: 1–64 of A-Z, a-z,
	// 0-9, - and _, starting with a letter or digit.
	poolCodeShape = nameShape{first: anyOf(upper, lower, digit), rest: anyOf(upper, lower, digit, is('-'), is('_')), maxRest: 63}
)
