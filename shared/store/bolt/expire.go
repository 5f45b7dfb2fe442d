package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/domain"
)

// expireBatch bounds one expiry transaction, so that a first sweep over a
// large store does not hold the writer for long.
const expireBatch = 500

// Expire is the local counterpart of DynamoDB's TTL: it deletes the
// incidents last changed before cutoff, and the people's records last
// seen before it (their last incident is gone too), except those that
// unsubscribed or were suppressed: that entry is kept for good, as on
// DynamoDB, so they are never mailed again. It returns what it deleted.
// The clock is the incident's UpdatedAt, the time of its last change (on
// DynamoDB, the later of it and the time of writing). It also forgets the
// AddCounts change ids older than ChangeMemory (by the machine's clock,
// which stamped them); ExpireEphemera sweeps the ephemera.
func (s *Store) Expire(ctx context.Context, cutoff time.Time) (incidents, contacts int, err error) {
	limit := updatedKey(cutoff, "")
	for {
		if err := ctx.Err(); err != nil {
			return incidents, contacts, fmt.Errorf("bolt store: expire: %w", err)
		}
		n := 0
		err := s.group.Update(func(tx *bbolt.Tx) error {
			n = 0
			data, index := tx.Bucket(incidentsBucket), tx.Bucket(updatedBucket)
			var keys [][]byte
			c := index.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k[:timeKeyLen], limit) < 0 && len(keys) < expireBatch; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				id := k[timeKeyLen:]
				var inc domain.Incident
				if raw := data.Get(id); raw != nil && decode(string(id), raw, &inc) == nil && inc.ID == string(id) {
					// With its attention entry, and its counts taken
					// back if the store counts inline, as TTL's removal
					// reaches the stream's counting on AWS.
					if err := s.remove(tx, inc); err != nil {
						return fmt.Errorf("bolt store: expire: %w", err)
					}
					continue
				}
				if err := index.Delete(k); err != nil {
					return fmt.Errorf("bolt store: expire: %w", err)
				}
				if err := data.Delete(id); err != nil {
					return fmt.Errorf("bolt store: expire: %w", err)
				}
			}
			n = len(keys)
			return nil
		})
		if err != nil {
			return incidents, contacts, err
		}
		incidents += n
		if n < expireBatch {
			break
		}
	}
	if err := s.expireChanges(ctx, time.Now().Add(-ChangeMemory)); err != nil {
		return incidents, contacts, err
	}
	err = s.group.Update(func(tx *bbolt.Tx) error {
		var err error
		contacts, err = deleteWhere(tx.Bucket(contactsBucket), func(k, v []byte) bool {
			var c domain.Contact
			return decodeContact(string(k), v, &c) == nil && c.Consent.State == "" && c.LastSeen.Before(cutoff)
		})
		if err != nil {
			return fmt.Errorf("bolt store: expire contact: %w", err)
		}
		return nil
	})
	return incidents, contacts, err
}

// deleteWhere deletes the keys of b whose entries gone says are to go (it
// collects them first: bbolt forbids deleting while iterating) and
// returns how many it deleted.
func deleteWhere(b *bbolt.Bucket, gone func(k, v []byte) bool) (int, error) {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if gone(k, v) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
