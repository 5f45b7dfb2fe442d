package replies

import (
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// Verdict is what the receiving mail service concluded about a message,
// as it recorded in headers it prepended. On AWS, SES receiving adds
// (see the SES Developer Guide, "Contents of notifications for Amazon SES
// email receiving" and "Examples of notifications …", where the headers
// of a received message are listed):
//
//	X-SES-Spam-Verdict: PASS
//	X-SES-Virus-Verdict: PASS
//	Authentication-Results: amazonses.com;
//	 spf=pass (spfCheck: …) client-ip=…; envelope-from=…; helo=…;
//	 dkim=pass header.i=@example.com;
//	 dmarc=pass header.from=example.com;
//
// The verdict statuses are PASS, FAIL, GRAY or PROCESSING_FAILED (the
// spamVerdict/virusVerdict objects of that page); Authentication-Results
// follows RFC 8601: an authserv-id, then "method=result …" clauses
// separated by ";", with comments in parentheses.
//
// A message without these headers (the local runtime's POST
// /dev/api/inbound, a test) has an empty Verdict.
type Verdict struct {
	// DMARC, SPF and DKIM are the results of those methods in lower case
	// ("pass", "fail", "none", "softfail", "neutral", "temperror",
	// "permerror", …), "" when not reported. Only Authentication-Results
	// whose authserv-id is amazonses.com (any case) are read: the sender
	// can write any other, and any number of these too, below the one SES
	// prepends. So the values are those of the topmost amazonses.com
	// header, SES's own; a "fail" in any later one still wins, because a
	// forged failure only hurts the forger.
	DMARC, SPF, DKIM string
	// Spam and Virus are X-SES-Spam-Verdict and X-SES-Virus-Verdict in
	// upper case ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED"), "" when
	// absent; the topmost value, or "FAIL" if any says so.
	Spam, Virus string
}

// sesAuthServID names SES in the Authentication-Results it adds.
const sesAuthServID = "amazonses.com"

// Untrusted reports whether the receiving service judged the message
// unfit to be taken as the customer's words, and why (a short reason
// without addresses, safe to log): bad when DMARC failed (the From domain
// did not authenticate the message: From is likely forged), or SES's
// spam or virus verdict is FAIL. GRAY, PROCESSING_FAILED, temperror and
// missing headers are not bad: they prove nothing, and the reply address
// and the sender check (SameAddress) still apply.
func (r Reply) Untrusted() (reason string, bad bool) {
	switch {
	case r.Verdict.DMARC == "fail":
		return "DMARC fail: the From domain did not authenticate the message", true
	case r.Verdict.Spam == "FAIL":
		return "SES spam verdict FAIL", true
	case r.Verdict.Virus == "FAIL":
		return "SES virus verdict FAIL", true
	}
	return "", false
}

func verdict(env *enmime.Envelope) Verdict {
	var v Verdict
	first := true
	for _, h := range env.GetHeaderValues("Authentication-Results") {
		id, results := authResults(h)
		if !strings.EqualFold(id, sesAuthServID) {
			continue
		}
		for _, res := range results {
			var dst *string
			switch res.method {
			case "dmarc":
				dst = &v.DMARC
			case "spf":
				dst = &v.SPF
			case "dkim":
				dst = &v.DKIM
			default:
				continue
			}
			if (first && *dst == "") || res.result == "fail" {
				*dst = res.result
			}
		}
		first = false
	}
	v.Spam = sesVerdict(env.GetHeaderValues("X-SES-Spam-Verdict"))
	v.Virus = sesVerdict(env.GetHeaderValues("X-SES-Virus-Verdict"))
	return v
}

// sesVerdict is the topmost value, or FAIL if any value is.
func sesVerdict(values []string) string {
	out := ""
	for i, s := range values {
		s = strings.ToUpper(headerToken(s))
		if i == 0 || s == "FAIL" {
			out = s
		}
	}
	return out
}

type authResult struct{ method, result string }

// authResults splits an Authentication-Results value into its authserv-id
// and its "method=result" clauses, methods and results in lower case.
// Comments are dropped and ";" inside quotes does not split. SES's own
// clauses such as "client-ip=…" come out as methods nobody asks for.
func authResults(v string) (authServID string, results []authResult) {
	segments := splitClauses(v)
	if len(segments) == 0 {
		return "", nil
	}
	if f := strings.Fields(segments[0]); len(f) > 0 {
		authServID = strings.TrimSuffix(f[0], ".")
	}
	for _, seg := range segments[1:] {
		method, rest, ok := strings.Cut(seg, "=")
		method = strings.ToLower(strings.TrimSpace(method))
		if !ok || method == "" || strings.ContainsAny(method, " \t") {
			continue
		}
		method, _, _ = strings.Cut(method, "/") // "dkim/1=pass": a method version
		if f := strings.Fields(rest); len(f) > 0 {
			results = append(results, authResult{method, strings.ToLower(f[0])})
		}
	}
	return authServID, results
}

// splitClauses removes RFC 5322 comments (nested, with "\" escapes) and
// splits at the ";" outside quoted strings.
func splitClauses(v string) []string {
	var out []string
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, c := range v {
		switch {
		case escaped:
			escaped = false
			if depth == 0 {
				b.WriteRune(c)
			}
		case c == '\\' && (quoted || depth > 0):
			escaped = true
		case quoted:
			if c == '"' {
				quoted = false
			}
			b.WriteRune(c)
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		case c == '"':
			quoted = true
			b.WriteRune(c)
		case c == ';':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteRune(c)
		}
	}
	return append(out, b.String())
}
