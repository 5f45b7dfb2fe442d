package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Get returns the incident or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (domain.Incident, error) {
	if err := ctx.Err(); err != nil {
		return domain.Incident{}, fmt.Errorf("bolt store: get %q: %w", id, err)
	}
	var inc domain.Incident
	err := s.db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(incidentsBucket).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("bolt store: get %q: %w", id, store.ErrNotFound)
		}
		return decode(id, raw, &inc)
	})
	if err != nil {
		return domain.Incident{}, err
	}
	return inc, nil
}

// Update loads, changes and stores one incident inside a bbolt write
// transaction, which it shares with concurrent callers (a group commit: one
// fsync for all of them). It returns only once the write is on disk. fn may
// run more than once, as the port allows: a batch is retried when another
// caller's write in it fails. If fn fails, leaves the id wrong or ctx ends
// meanwhile, nothing of this call is written.
func (s *Store) Update(ctx context.Context, id string, fn func(*domain.Incident) error) (domain.Incident, error) {
	return update(ctx, s, s.incidentRecord(), id, fn)
}

// incidentRecord describes incidents to update: their two indexes, and
// the inline aggregates (CountWith) applied in the same transaction.
func (s *Store) incidentRecord() record[domain.Incident] {
	r := record[domain.Incident]{
		what: "incident", bucket: incidentsBucket, decode: decode, encode: domain.Encode,
		key: func(inc *domain.Incident) string { return inc.ID }, version: func(inc *domain.Incident) *int64 { return &inc.Version },
		indexes: incidentIndexes,
	}
	if s.count != nil {
		r.changed = func(tx *bbolt.Tx, before, after *domain.Incident) error {
			return s.countChange(tx, *before, *after)
		}
	}
	return r
}

// incidentIndexes are the secondary indexes of an incident, moved with
// each of its writes.
var incidentIndexes = []index[domain.Incident]{
	// The listing index, keyed by the time of the last change.
	{bucket: updatedBucket, key: func(inc *domain.Incident) []byte { return updatedKey(inc.UpdatedAt, inc.ID) }},
	// The attention queue: only incidents waiting for the team.
	{bucket: attentionBucket, key: attentionKey},
}

// record is what update needs to know of one stored type.
type record[T any] struct {
	what    string // in messages
	bucket  []byte
	decode  func(key string, raw []byte, v *T) error
	encode  func(T) ([]byte, error)
	key     func(*T) string
	version func(*T) *int64
	// indexes are the record's entries in index buckets, moved along
	// with each write.
	indexes []index[T]
	// changed, when set, runs in the write's transaction once the record
	// is stored, with the record as loaded (the zero T if new) and as
	// written; its error fails the write.
	changed func(tx *bbolt.Tx, before, after *T) error
}

// index is a secondary index: a bucket of keys with empty values.
type index[T any] struct {
	bucket []byte
	// key is the record's entry; nil for none (a sparse index).
	key func(*T) []byte
}

// update loads, changes and stores one record inside a bbolt write
// transaction shared with concurrent callers (group commit); see Update.
func update[T any](ctx context.Context, s *Store, r record[T], key string, fn func(*T) error) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("bolt store: update %s %q: %w", r.what, key, err)
	}
	if key == "" {
		return zero, fmt.Errorf("bolt store: update %s: empty key", r.what)
	}
	var (
		loaded, next T
		// fnErr is fn's error; refused is any other reason this call
		// writes nothing. Neither fails the shared transaction: this
		// call just leaves it untouched, and the others commit.
		fnErr, refused error
	)
	err := s.group.Update(func(tx *bbolt.Tx) error {
		loaded, next, fnErr, refused = zero, zero, nil, nil
		data := tx.Bucket(r.bucket)
		raw := data.Get([]byte(key))
		oldIndex := make([][]byte, len(r.indexes))
		if raw != nil {
			if refused = r.decode(key, raw, &next); refused != nil {
				return nil
			}
			for i, ix := range r.indexes {
				oldIndex[i] = ix.key(&next)
			}
		}
		version := *r.version(&next)
		if fnErr = fn(&next); fnErr != nil {
			if raw != nil && errors.Is(fnErr, store.ErrUnchanged) {
				// fn may have changed its copy (maps and slices
				// included): return the record as loaded, decoded afresh.
				refused = r.decode(key, raw, &loaded)
			}
			return nil
		}
		if got := r.key(&next); got != key {
			refused = fmt.Errorf("bolt store: update %s %q: fn left the key %q (set it to %q to create)", r.what, key, got, key)
			return nil
		}
		if err := ctx.Err(); err != nil {
			refused = fmt.Errorf("bolt store: update %s %q: %w", r.what, key, err)
			return nil
		}
		*r.version(&next) = version + 1
		buf, err := r.encode(next)
		if err != nil {
			refused = fmt.Errorf("bolt store: encode %s %q: %w", r.what, key, err)
			return nil
		}
		// From here on a failure has written part of this call: it must
		// fail the transaction (the others are then retried without it).
		for i, ix := range r.indexes {
			if err := moveIndex(tx.Bucket(ix.bucket), oldIndex[i], ix.key(&next)); err != nil {
				return fmt.Errorf("bolt store: index %s %q: %w", r.what, key, err)
			}
		}
		if err := data.Put([]byte(key), buf); err != nil {
			return fmt.Errorf("bolt store: put %s %q: %w", r.what, key, err)
		}
		if r.changed != nil {
			var before T
			if raw != nil {
				if err := r.decode(key, raw, &before); err != nil {
					return err
				}
			}
			if err := r.changed(tx, &before, &next); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return zero, err
	case refused != nil:
		return zero, refused
	case fnErr != nil && errors.Is(fnErr, store.ErrUnchanged):
		return loaded, nil
	case fnErr != nil:
		return zero, fnErr // unchanged, as the port promises
	}
	return next, nil
}

// List returns up to limit incidents, most recently updated first (by the
// incident's UpdatedAt, the domain's clock, not the time of writing). A
// limit of zero or less returns none.
func (s *Store) List(ctx context.Context, limit int) ([]domain.Incident, error) {
	out, _, err := s.ListBefore(ctx, Cursor{}, limit)
	return out, err
}

// decode reads a stored incident, naming it on failure so an operator can
// find (and delete) the bad record.
func decode(id string, raw []byte, inc *domain.Incident) error {
	if err := json.Unmarshal(raw, inc); err != nil {
		return fmt.Errorf("bolt store: incident %q is corrupt: %w", id, err)
	}
	return nil
}

// UpdateFrom is Update: a bbolt transaction reads the current incident
// anyway, at no cost worth saving.
func (s *Store) UpdateFrom(ctx context.Context, from domain.Incident, fn func(*domain.Incident) error) (domain.Incident, error) {
	return s.Update(ctx, from.ID, fn)
}

// StoredSize is how many bytes the incident takes as stored, for the
// contract suite's size budget and for operators.
func (s *Store) StoredSize(ctx context.Context, id string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("bolt store: size %q: %w", id, err)
	}
	n := 0
	err := s.db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(incidentsBucket).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("bolt store: size %q: %w", id, store.ErrNotFound)
		}
		n = len(raw)
		return nil
	})
	return n, err
}

// Delete removes an incident with its index entries (listing, attention)
// and, when the store counts inline (CountWith), takes back its counts, in
// one transaction; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt store: delete %q: %w", id, err)
	}
	return s.group.Update(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(incidentsBucket).Get([]byte(id))
		if raw == nil {
			return nil
		}
		var inc domain.Incident
		if err := decode(id, raw, &inc); err != nil || inc.ID != id {
			// Erasing must work on a corrupt record too; its index
			// entries cannot be found without it, and stay (List and
			// NeedingAttention report them).
			if err := tx.Bucket(incidentsBucket).Delete([]byte(id)); err != nil {
				return fmt.Errorf("bolt store: delete %q: %w", id, err)
			}
			return nil
		}
		return s.remove(tx, inc)
	})
}

// remove deletes a stored incident with its index entries, and takes its
// counts back if the store counts inline, all in tx.
func (s *Store) remove(tx *bbolt.Tx, inc domain.Incident) error {
	for _, ix := range incidentIndexes {
		if err := moveIndex(tx.Bucket(ix.bucket), ix.key(&inc), nil); err != nil {
			return fmt.Errorf("bolt store: unindex %q: %w", inc.ID, err)
		}
	}
	if err := tx.Bucket(incidentsBucket).Delete([]byte(inc.ID)); err != nil {
		return fmt.Errorf("bolt store: delete %q: %w", inc.ID, err)
	}
	if s.count != nil {
		return s.countChange(tx, inc, domain.Incident{})
	}
	return nil
}

// moveIndex replaces an index entry: from old (nil for none) to next (nil
// for none), leaving it alone if they are equal.
func moveIndex(b *bbolt.Bucket, old, next []byte) error {
	if bytes.Equal(old, next) {
		return nil
	}
	if old != nil {
		if err := b.Delete(old); err != nil {
			return err
		}
	}
	if next != nil {
		return b.Put(next, nil)
	}
	return nil
}
