package replies

import (
	netmail "net/mail"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// sender is the one mailbox of the one From field, or the zero Address.
// Sender and Reply-To are never used: whoever relays or is answered, the
// author is From, and From is what DMARC authenticates. A message with
// two From fields, or a From with several mailboxes (RFC 5322 allows it
// with a Sender), has no single author, so it gets none: a caller that
// compares it with the customer's address then finds no match.
func sender(env *enmime.Envelope) netmail.Address {
	if len(env.GetHeaderValues("From")) != 1 {
		return netmail.Address{}
	}
	list, err := env.AddressList("From")
	if err != nil || len(list) != 1 || list[0] == nil {
		return netmail.Address{}
	}
	a := *list[0]
	a.Address = strings.TrimSpace(a.Address)
	if !strings.Contains(a.Address, "@") {
		return netmail.Address{}
	}
	return a
}

// SameAddress reports whether a and b are the same mailbox, the way we
// compare a reply's sender (Reply.From.Address) with a customer's contact
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
	la, da, ok := splitAddress(a)
	if !ok {
		return false
	}
	lb, db, ok := splitAddress(b)
	return ok && strings.EqualFold(la, lb) && strings.EqualFold(da, db)
}
