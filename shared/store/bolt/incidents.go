package bolt

import (
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

// Update loads, changes and stores one incident inside a single bbolt write
// transaction. fn therefore runs exactly once per call; the transaction is
// rolled back if fn fails, leaves the id wrong, or ctx ends meanwhile.
func (s *Store) Update(ctx context.Context, id string, fn func(*domain.Incident) error) (domain.Incident, error) {
	if err := ctx.Err(); err != nil {
		return domain.Incident{}, fmt.Errorf("bolt store: update %q: %w", id, err)
	}
	if id == "" {
		return domain.Incident{}, errors.New("bolt store: update: empty incident id")
	}
	var (
		loaded, next domain.Incident
		fnErr        error
	)
	err := s.db.Update(func(tx *bbolt.Tx) error {
		data, index := tx.Bucket(incidentsBucket), tx.Bucket(updatedBucket)
		raw := data.Get([]byte(id))
		if raw != nil {
			// Decode twice: fn gets its own copy (maps included), so
			// ErrUnchanged can return the incident as loaded.
			if err := decode(id, raw, &loaded); err != nil {
				return err
			}
			if err := decode(id, raw, &next); err != nil {
				return err
			}
		}
		if fnErr = fn(&next); fnErr != nil {
			return fnErr
		}
		if next.ID != id {
			return fmt.Errorf("bolt store: update %q: fn left the incident id %q (set it to %q to create)", id, next.ID, id)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bolt store: update %q: %w", id, err)
		}
		next.Version = loaded.Version + 1
		buf, err := domain.Encode(next)
		if err != nil {
			return fmt.Errorf("bolt store: encode incident %q: %w", id, err)
		}
		if raw != nil {
			if err := index.Delete(updatedKey(loaded.UpdatedAt, id)); err != nil {
				return fmt.Errorf("bolt store: unindex %q: %w", id, err)
			}
		}
		if err := index.Put(updatedKey(next.UpdatedAt, id), nil); err != nil {
			return fmt.Errorf("bolt store: index %q: %w", id, err)
		}
		if err := data.Put([]byte(id), buf); err != nil {
			return fmt.Errorf("bolt store: put %q: %w", id, err)
		}
		return nil
	})
	switch {
	case fnErr != nil && errors.Is(fnErr, store.ErrUnchanged):
		return loaded, nil
	case fnErr != nil:
		return domain.Incident{}, fnErr // unchanged, as the port promises
	case err != nil:
		return domain.Incident{}, err
	}
	return next, nil
}

// List returns up to limit incidents, most recently updated first (by the
// incident's UpdatedAt, the domain's clock, not the time of writing). A
// limit of zero or less returns none.
func (s *Store) List(ctx context.Context, limit int) ([]domain.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt store: list: %w", err)
	}
	var out []domain.Incident
	err := s.db.View(func(tx *bbolt.Tx) error {
		data := tx.Bucket(incidentsBucket)
		c := tx.Bucket(updatedBucket).Cursor()
		for k, _ := c.Last(); k != nil && len(out) < limit; k, _ = c.Prev() {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("bolt store: list: %w", err)
			}
			if len(k) < timeKeyLen {
				return fmt.Errorf("bolt store: list: malformed index key %x", k)
			}
			id := string(k[timeKeyLen:])
			raw := data.Get([]byte(id))
			if raw == nil {
				return fmt.Errorf("bolt store: list: index names incident %q, which is missing", id)
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

// decode reads a stored incident, naming it on failure so an operator can
// find (and delete) the bad record.
func decode(id string, raw []byte, inc *domain.Incident) error {
	if err := json.Unmarshal(raw, inc); err != nil {
		return fmt.Errorf("bolt store: incident %q is corrupt: %w", id, err)
	}
	return nil
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
