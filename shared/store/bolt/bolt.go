// Package bolt is the embedded incident store: one bbolt file, so that the
// local runtime runs the whole product on a laptop with nothing but Go.
//
// Layout: bucket "incidents" maps an incident id to its JSON; bucket
// "by_updated" is a secondary index whose keys are the incident's UpdatedAt
// (12 order-preserving bytes) followed by its id, with empty values. List
// walks the index backwards and stops after limit entries instead of
// decoding and sorting every incident; ListBefore continues from a cursor,
// so a page costs the same however many incidents there are. Both buckets
// change in the same write transaction, so the index never disagrees with
// the data. Bucket "contacts" maps a contact key (domain.ContactKey) to
// the contact's JSON; contacts are not listed, so it has no index. The
// team's buckets (ephemera, counters, change ids, the attention queue)
// are described in team.go.
package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/aftercare/aftercare/shared/boltgroup"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

var (
	incidentsBucket = []byte("incidents")
	updatedBucket   = []byte("by_updated")
	contactsBucket  = []byte("contacts")
)

// lockTimeout bounds the wait for bbolt's file lock, so that a second
// process opening the same file fails with a clear message instead of
// hanging forever (bbolt's default). A variable so tests can shorten it.
var lockTimeout = time.Second

// Store is a store.Store on a bbolt file. bbolt serialises write
// transactions, so Update needs no retry loop: the version check is implicit,
// and Version is still maintained for parity with DynamoDB. Concurrent
// Updates share a transaction and its fsync (see group).
type Store struct {
	db    *bbolt.DB
	path  string
	group *boltgroup.Group
	// count, when set, keeps the report aggregates inline (CountWith).
	count func(before, after domain.Incident) []store.CountDelta
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed, with its parent directory) the store at
// path. Only one process may hold it at a time.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("bolt store: create directory for %s: %w", path, err)
	}
	db, err := bbolt.Open(path, 0o600, boltOptions())
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt store: open %s: database is locked by another process: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{incidentsBucket, updatedBucket, contactsBucket, ephemeraBucket, countersBucket, changesBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if tx.Bucket(attentionBucket) == nil {
			b, err := tx.CreateBucket(attentionBucket)
			if err != nil {
				return fmt.Errorf("create bucket %s: %w", attentionBucket, err)
			}
			if err := indexAttention(tx, b); err != nil {
				return fmt.Errorf("index attention: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt store: initialise %s: %w", path, err)
	}
	return &Store{db: db, path: path, group: boltgroup.New(db)}, nil
}

// Close releases the file and its lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt store: close %s: %w", s.path, err)
	}
	return nil
}

// updatedKey is the index key for an incident: UpdatedAt as big-endian
// seconds (sign bit flipped, so times before 1970 and the zero time sort
// first) and nanoseconds, then the id. Byte order equals time order, and
// incidents updated at the same instant stay distinct.
func updatedKey(updated time.Time, id string) []byte {
	k := make([]byte, 0, timeKeyLen+len(id))
	k = binary.BigEndian.AppendUint64(k, uint64(updated.Unix())^(1<<63))
	k = binary.BigEndian.AppendUint32(k, uint32(updated.Nanosecond()))
	return append(k, id...)
}

const timeKeyLen = 12

// boltOptions keep every commit durable (two fdatasyncs: pages, then the
// meta page) while making it cheaper: the freelist is not written on each
// commit but rebuilt from the pages at open (what etcd does), and kept as
// a map, which allocates in constant time however fragmented the file.
func boltOptions() *bbolt.Options {
	return &bbolt.Options{
		Timeout:        lockTimeout,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	}
}
