package replies

import "github.com/aftercare/aftercare/shared/replies/tag"

// The reply addresses live in package tag, free of MIME parsing; these
// names keep the replies package whole for its callers.
type Addresses = tag.Addresses

// NewAddresses is tag.NewAddresses.
var NewAddresses = tag.NewAddresses

// MinKeyLen is tag.MinKeyLen.
const MinKeyLen = tag.MinKeyLen

// Errors of Addresses.Match.
var (
	ErrNotOurs = tag.ErrNotOurs
	ErrForged  = tag.ErrForged
)

// Candidates are the addresses a reply may have been sent to, in the order
// Addresses.Match tries them: the envelope recipients, then r's.
func Candidates(r *Reply, envelope ...string) []string {
	out := append([]string(nil), envelope...)
	if r != nil {
		out = append(out, r.Recipients...)
	}
	return out
}
