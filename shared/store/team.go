package store

import (
	"context"
	"errors"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// ErrExists is returned by PutEphemeral for a key that is already held and
// not expired.
var ErrExists = errors.New("already exists")

// Ephemera keeps short-lived records with an expiry: the team's single-use
// sign-in tokens, sessions and rate-limit windows. An expired record is
// treated as missing at once, whenever the adapter gets round to deleting
// it (DynamoDB's TTL takes up to days; bbolt sweeps).
type Ephemera interface {
	// PutEphemeral stores value under key until expires; ErrExists if an
	// unexpired record holds key.
	PutEphemeral(ctx context.Context, key string, value []byte, expires time.Time) error
	// GetEphemeral returns the value, or ErrNotFound when missing or
	// expired at now.
	GetEphemeral(ctx context.Context, key string, now time.Time) ([]byte, error)
	// TakeEphemeral returns the value and deletes it in one step, so of
	// two callers racing for a single-use token exactly one gets it; the
	// other, like a missing or expired key, gets ErrNotFound.
	TakeEphemeral(ctx context.Context, key string, now time.Time) ([]byte, error)
	// DeleteEphemeral removes key; a missing key is not an error.
	DeleteEphemeral(ctx context.Context, key string) error
	// CountEphemeral adds one to the counter at key and returns the new
	// count. A counter that is missing or expired at now starts again at 1
	// and lives until expires (a fixed window, for rate limits).
	CountEphemeral(ctx context.Context, key string, expires, now time.Time) (int, error)
}

// Counts are named counters of one report bucket ("csat_n|calcom" → 12).
type Counts map[string]int64

// CountDelta is a change to one bucket's counters (negative to take back
// what an earlier state of an incident counted).
type CountDelta struct {
	Bucket string
	Counts Counts
}

// MaxCountDeltas bounds the buckets one AddCounts may change: DynamoDB
// applies a change as one transaction of at most 100 items, one of which
// is the change's marker. Callers produce a handful per incident change.
const MaxCountDeltas = 99

// Counters keeps the report aggregates. AddCounts applies a change exactly
// once per change id: a stream batch delivered twice, or a retried write,
// counts once.
type Counters interface {
	// AddCounts adds deltas to their buckets, all or nothing, unless
	// change was applied before (then it does nothing and returns nil).
	// Deltas naming the same bucket are summed; a zero delta changes
	// nothing (a counter never changed stays absent, one brought back to
	// zero reads 0); more than MaxCountDeltas
	// buckets is an error. A change id is remembered for at least seven
	// days, longer than any redelivery (a stream keeps records 24 hours).
	AddCounts(ctx context.Context, change string, deltas []CountDelta) error
	// ReadCounts returns the counters of the buckets asked for; a bucket
	// never counted is absent from the map.
	ReadCounts(ctx context.Context, buckets []string) (map[string]Counts, error)
}

// Cursor marks where a page of incidents ended; the zero Cursor starts at
// the newest. It is opaque and URL-safe (base64url in both adapters), so
// it goes into a query string as it is; a malformed one fails Page.
type Cursor string

// Pager pages through incidents by time, newest first, and lists the ones
// needing the team's attention, oldest first, without scanning the table.
type Pager interface {
	// Page returns up to limit incidents last updated before cursor,
	// newest first, and the cursor of the next page ("" after the last).
	Page(ctx context.Context, cursor Cursor, limit int) ([]domain.Incident, Cursor, error)
	// NeedingAttention returns up to limit incidents whose Attention is
	// set and not handled, oldest attention first.
	NeedingAttention(ctx context.Context, limit int) ([]domain.Incident, error)
}

// Team is what the team's dashboard needs of a store besides Store.
type Team interface {
	Store
	Ephemera
	Counters
	Pager
}
