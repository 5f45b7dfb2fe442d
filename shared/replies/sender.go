package replies

import (
	netmail "net/mail"
	"strings"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
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

// SameAddress is mail.SameAddress: how a reply's sender is compared with
// the customer's address.
var SameAddress = mail.SameAddress
