package mail

import (
	netmail "net/mail"
	"strings"
)

// SameAddress reports whether a and b are the same mailbox, the way we
// compare a reply's sender (replies.Reply.From.Address) with a customer's contact
// address: surrounding space is trimmed, a display form ("Name <addr>",
// "<addr>") is reduced to its address, the domain is compared
// case-insensitively (a trailing "." ignored) and so is the local part —
// which RFC 5321 lets a server treat as case-sensitive but no mailbox
// provider does. Nothing else is folded: no Gmail dots, no "+tag"
// removal, no googlemail/gmail, no IDN conversion, so it is simple and
// predictable, and an address that differs in any of those ways is a
// different sender. Empty or address-less input is never the same as
// anything.
func SameAddress(a, b string) bool {
	la, da, ok := SplitAddress(a)
	if !ok {
		return false
	}
	lb, db, ok := SplitAddress(b)
	return ok && strings.EqualFold(la, lb) && strings.EqualFold(da, db)
}

// SplitAddress splits an address, bare ("a@b"), bracketed ("<a@b>") or
// with a display name ("Name <a@b>"), into its local part and domain (a
// trailing "." dropped): leniently, since the addresses it sees are
// written by MTAs that do not always follow RFC 5322 to the letter. ok is
// false for anything without both parts.
func SplitAddress(s string) (local, domain string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 1024 {
		return "", "", false
	}
	if a, err := netmail.ParseAddress(s); err == nil {
		s = a.Address
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	}
	local, domain, ok = cutLastAt(s)
	domain = strings.TrimSuffix(domain, ".") // a fully qualified "example.com."
	return local, domain, ok && local != "" && domain != ""
}

func cutLastAt(s string) (before, after string, found bool) {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
