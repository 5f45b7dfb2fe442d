package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// The team's side of the store (store.Team):
//
//	"ephemera"       key → expiry (12 time bytes, as updatedKey) + value
//	"counters"       report bucket → its store.Counts as JSON
//	"count_changes"  AddCounts change id → the time it was applied (12 bytes)
//	"attention"      Attention.Since (12 bytes) + incident id → empty, for
//	                 the incidents that inc.NeedsTeam(), moved in the same
//	                 transaction as every incident write
var (
	ephemeraBucket  = []byte("ephemera")
	countersBucket  = []byte("counters")
	changesBucket   = []byte("count_changes")
	attentionBucket = []byte("attention")
)

var _ store.Team = (*Store)(nil)

// ChangeMemory is how long AddCounts remembers a change id, so that a
// redelivery counts once: far longer than any retry (a DynamoDB stream
// keeps records for 24 hours), short enough that the ids do not pile up.
const ChangeMemory = 7 * 24 * time.Hour

// attentionKey is an incident's entry in the attention queue: the time
// attention was raised, then the id; none unless it waits for the team.
func attentionKey(inc *domain.Incident) []byte {
	if !inc.NeedsTeam() {
		return nil
	}
	return updatedKey(inc.Attention.Since, inc.ID)
}

// indexAttention fills a new attention bucket from the incidents of a file
// written before the bucket existed, so that opening an old file queues
// what already waits.
func indexAttention(tx *bbolt.Tx, b *bbolt.Bucket) error {
	return tx.Bucket(incidentsBucket).ForEach(func(k, v []byte) error {
		var inc domain.Incident
		if decode(string(k), v, &inc) != nil || inc.ID != string(k) {
			return nil // reported when read
		}
		if key := attentionKey(&inc); key != nil {
			return b.Put(key, nil)
		}
		return nil
	})
}

// CountWith makes the store keep report aggregates inline: every incident
// write (Update, UpdateFrom, Delete, Expire) adds f(before, after) to the
// counters in its own bbolt transaction, so each change counts exactly
// once with no change ids (the zero Incident stands for none). It is what
// the DynamoDB stream's counting does on AWS. Call it before the store is
// shared; nil turns counting off.
func (s *Store) CountWith(f func(before, after domain.Incident) []store.CountDelta) {
	s.count = f
}

// countChange applies the inline aggregates of one incident write.
func (s *Store) countChange(tx *bbolt.Tx, before, after domain.Incident) error {
	deltas := s.count(before, after)
	if err := addCounts(tx, deltas); err != nil {
		id := after.ID
		if id == "" {
			id = before.ID
		}
		return fmt.Errorf("bolt store: count %q: %w", id, err)
	}
	return nil
}

// PutEphemeral stores value under key until expires, unless an unexpired
// record holds key (store.ErrExists). Expiry is judged by the machine's
// clock, as DynamoDB's condition is.
func (s *Store) PutEphemeral(ctx context.Context, key string, value []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt store: put ephemeral %q: %w", key, err)
	}
	if key == "" {
		return errors.New("bolt store: put ephemeral: empty key")
	}
	now := time.Now()
	var refused error
	err := s.group.Update(func(tx *bbolt.Tx) error {
		refused = nil
		b := tx.Bucket(ephemeraBucket)
		if _, ok := liveEphemeral(b.Get([]byte(key)), now); ok {
			refused = fmt.Errorf("bolt store: put ephemeral %q: %w", key, store.ErrExists)
			return nil
		}
		return b.Put([]byte(key), append(updatedKey(expires, ""), value...))
	})
	if err != nil {
		return fmt.Errorf("bolt store: put ephemeral %q: %w", key, err)
	}
	return refused
}

// liveEphemeral splits a stored ephemeral record, reporting false when
// there is none or it expired at now.
func liveEphemeral(raw []byte, now time.Time) ([]byte, bool) {
	if len(raw) < timeKeyLen || !now.Before(keyTime(raw)) {
		return nil, false
	}
	return raw[timeKeyLen:], true
}

// GetEphemeral returns the value under key, or store.ErrNotFound when
// there is none or it expired at now.
func (s *Store) GetEphemeral(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt store: get ephemeral %q: %w", key, err)
	}
	var out []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		v, ok := liveEphemeral(tx.Bucket(ephemeraBucket).Get([]byte(key)), now)
		if !ok {
			return fmt.Errorf("bolt store: get ephemeral %q: %w", key, store.ErrNotFound)
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// TakeEphemeral returns the value under key and deletes it in one write
// transaction; bbolt serialises those, so of racing takers one wins and
// the others find it gone (store.ErrNotFound, as for a missing or expired
// key).
func (s *Store) TakeEphemeral(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt store: take ephemeral %q: %w", key, err)
	}
	var out []byte
	err := s.group.Update(func(tx *bbolt.Tx) error {
		out = nil
		b := tx.Bucket(ephemeraBucket)
		v, ok := liveEphemeral(b.Get([]byte(key)), now)
		if !ok {
			return nil
		}
		out = bytes.Clone(v)
		return b.Delete([]byte(key))
	})
	if err != nil {
		return nil, fmt.Errorf("bolt store: take ephemeral %q: %w", key, err)
	}
	if out == nil {
		return nil, fmt.Errorf("bolt store: take ephemeral %q: %w", key, store.ErrNotFound)
	}
	return out, nil
}

// DeleteEphemeral removes key; a missing key is not an error.
func (s *Store) DeleteEphemeral(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt store: delete ephemeral %q: %w", key, err)
	}
	err := s.group.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(ephemeraBucket).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("bolt store: delete ephemeral %q: %w", key, err)
	}
	return nil
}

// CountEphemeral adds one to the fixed-window counter at key and returns
// the count; a missing or expired counter starts a new window at 1 that
// lasts until expires.
func (s *Store) CountEphemeral(ctx context.Context, key string, expires, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("bolt store: count ephemeral %q: %w", key, err)
	}
	if key == "" {
		return 0, errors.New("bolt store: count ephemeral: empty key")
	}
	n := 0
	err := s.group.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(ephemeraBucket)
		raw := b.Get([]byte(key))
		n = 1
		window := updatedKey(expires, "")
		if v, ok := liveEphemeral(raw, now); ok {
			var count int
			if err := json.Unmarshal(v, &count); err != nil {
				return fmt.Errorf("counter is corrupt: %w", err)
			}
			n = count + 1
			window = raw[:timeKeyLen]
		}
		return b.Put([]byte(key), fmt.Appendf(bytes.Clone(window), "%d", n))
	})
	if err != nil {
		return 0, fmt.Errorf("bolt store: count ephemeral %q: %w", key, err)
	}
	return n, nil
}

// ExpireEphemera deletes the ephemeral records expired at now (they read
// as missing already; this reclaims their space), as DynamoDB's TTL does
// on AWS. It returns how many it deleted. The local runtime calls it with
// its clock, which may not be the machine's.
func (s *Store) ExpireEphemera(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("bolt store: expire ephemera: %w", err)
	}
	n := 0
	err := s.group.Update(func(tx *bbolt.Tx) error {
		var err error
		n, err = deleteWhere(tx.Bucket(ephemeraBucket), func(_, v []byte) bool {
			_, live := liveEphemeral(v, now)
			return !live
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bolt store: expire ephemera: %w", err)
	}
	return n, nil
}

// expireChanges forgets the change ids applied before cutoff.
func (s *Store) expireChanges(ctx context.Context, cutoff time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt store: expire count changes: %w", err)
	}
	limit := updatedKey(cutoff, "")
	err := s.group.Update(func(tx *bbolt.Tx) error {
		_, err := deleteWhere(tx.Bucket(changesBucket), func(_, v []byte) bool {
			return len(v) < timeKeyLen || bytes.Compare(v[:timeKeyLen], limit) < 0
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("bolt store: expire count changes: %w", err)
	}
	return nil
}

// AddCounts adds deltas to their buckets in one transaction, with the
// change id recorded in the same one, so a change applied twice counts
// once. (A store that counts inline, CountWith, needs no change ids.)
func (s *Store) AddCounts(ctx context.Context, change string, deltas []store.CountDelta) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt store: add counts %q: %w", change, err)
	}
	if change == "" {
		return errors.New("bolt store: add counts: empty change id")
	}
	if err := checkDeltas(deltas); err != nil {
		return fmt.Errorf("bolt store: add counts %q: %w", change, err)
	}
	stamp := updatedKey(time.Now(), "")
	err := s.group.Update(func(tx *bbolt.Tx) error {
		changes := tx.Bucket(changesBucket)
		if changes.Get([]byte(change)) != nil {
			return nil // applied before
		}
		if err := changes.Put([]byte(change), stamp); err != nil {
			return err
		}
		return addCounts(tx, deltas)
	})
	if err != nil {
		return fmt.Errorf("bolt store: add counts %q: %w", change, err)
	}
	return nil
}

// checkDeltas refuses what the DynamoDB adapter could not apply as one
// transaction, so that both adapters take the same changes.
func checkDeltas(deltas []store.CountDelta) error {
	buckets := map[string]bool{}
	for _, d := range deltas {
		if d.Bucket == "" {
			return errors.New("a delta without a bucket")
		}
		buckets[d.Bucket] = true
	}
	if len(buckets) > store.MaxCountDeltas {
		return fmt.Errorf("%d buckets in one change, over %d", len(buckets), store.MaxCountDeltas)
	}
	return nil
}

// addCounts adds deltas to the counters bucket in tx.
func addCounts(tx *bbolt.Tx, deltas []store.CountDelta) error {
	if err := checkDeltas(deltas); err != nil {
		return err
	}
	b := tx.Bucket(countersBucket)
	for _, d := range deltas {
		if !slices.ContainsFunc(slices.Collect(maps.Values(d.Counts)), func(n int64) bool { return n != 0 }) {
			continue // changes nothing, creates no bucket
		}
		counts := store.Counts{}
		if raw := b.Get([]byte(d.Bucket)); raw != nil {
			if err := json.Unmarshal(raw, &counts); err != nil {
				return fmt.Errorf("counters of %q are corrupt: %w", d.Bucket, err)
			}
		}
		for name, n := range d.Counts {
			if n != 0 {
				counts[name] += n
			}
		}
		raw, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(d.Bucket), raw); err != nil {
			return err
		}
	}
	return nil
}

// ReadCounts returns the counters of the buckets asked for; a bucket never
// counted is absent.
func (s *Store) ReadCounts(ctx context.Context, buckets []string) (map[string]store.Counts, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt store: read counts: %w", err)
	}
	out := map[string]store.Counts{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(countersBucket)
		for _, name := range buckets {
			raw := b.Get([]byte(name))
			if raw == nil {
				continue
			}
			var c store.Counts
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("counters of %q are corrupt: %w", name, err)
			}
			out[name] = c
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt store: read counts: %w", err)
	}
	return out, nil
}

// Page returns up to limit incidents last updated before cursor, newest
// first, and the next page's cursor ("" after the last): ListBefore with
// the cursor as its String form.
func (s *Store) Page(ctx context.Context, cursor store.Cursor, limit int) ([]domain.Incident, store.Cursor, error) {
	before, err := ParseCursor(string(cursor))
	if err != nil {
		return nil, "", fmt.Errorf("bolt store: page: cursor %q: %w", cursor, err)
	}
	incs, next, err := s.ListBefore(ctx, before, limit)
	if err != nil {
		return nil, "", err
	}
	return incs, store.Cursor(next.String()), nil
}

// NeedingAttention returns up to limit incidents waiting for the team,
// oldest attention first, from the attention index: its cost is the
// queue's head, not the store's size.
func (s *Store) NeedingAttention(ctx context.Context, limit int) ([]domain.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt store: needing attention: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []domain.Incident
	err := s.db.View(func(tx *bbolt.Tx) error {
		data := tx.Bucket(incidentsBucket)
		c := tx.Bucket(attentionBucket).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) < timeKeyLen {
				return fmt.Errorf("bolt store: needing attention: malformed index key %x", k)
			}
			id := string(k[timeKeyLen:])
			raw := data.Get([]byte(id))
			if raw == nil {
				return fmt.Errorf("bolt store: needing attention: index names incident %q, which is missing", id)
			}
			var inc domain.Incident
			if err := decode(id, raw, &inc); err != nil {
				return err
			}
			out = append(out, inc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
