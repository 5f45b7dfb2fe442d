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

// GetContact returns the contact or store.ErrNotFound.
func (s *Store) GetContact(ctx context.Context, key string) (domain.Contact, error) {
	if err := ctx.Err(); err != nil {
		return domain.Contact{}, fmt.Errorf("bolt store: get contact %q: %w", key, err)
	}
	var c domain.Contact
	err := s.db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(contactsBucket).Get([]byte(key))
		if raw == nil {
			return fmt.Errorf("bolt store: get contact %q: %w", key, store.ErrNotFound)
		}
		return decodeContact(key, raw, &c)
	})
	if err != nil {
		return domain.Contact{}, err
	}
	return c, nil
}

// UpdateContact is Update for contacts: it loads, changes and stores one
// contact in a write transaction shared with concurrent callers (incident
// writes included), so it group-commits like them. bbolt serialises write
// transactions, so racing callers see each other's writes in turn: fn of
// the second runs on the first's result. fn may run more than once; if it
// fails, leaves the key wrong or ctx ends meanwhile, nothing of this call
// is written.
func (s *Store) UpdateContact(ctx context.Context, key string, fn func(*domain.Contact) error) (domain.Contact, error) {
	if err := ctx.Err(); err != nil {
		return domain.Contact{}, fmt.Errorf("bolt store: update contact %q: %w", key, err)
	}
	if key == "" {
		return domain.Contact{}, errors.New("bolt store: update contact: empty contact key")
	}
	var (
		loaded, next domain.Contact
		// As in Update: fnErr is fn's error, refused any other reason
		// this call writes nothing; neither fails the shared transaction.
		fnErr, refused error
	)
	err := s.group.Update(func(tx *bbolt.Tx) error {
		loaded, next, fnErr, refused = domain.Contact{}, domain.Contact{}, nil, nil
		data := tx.Bucket(contactsBucket)
		raw := data.Get([]byte(key))
		if raw != nil {
			// Decoded twice, so that fn's changes to slices (and to
			// LastSurvey) never leak into the contact as loaded, which
			// ErrUnchanged returns.
			if refused = decodeContact(key, raw, &loaded); refused != nil {
				return nil
			}
			if refused = decodeContact(key, raw, &next); refused != nil {
				return nil
			}
		}
		if fnErr = fn(&next); fnErr != nil {
			return nil
		}
		if next.Key != key {
			refused = fmt.Errorf("bolt store: update contact %q: fn left the contact key %q (set it to %q to create)", key, next.Key, key)
			return nil
		}
		if err := ctx.Err(); err != nil {
			refused = fmt.Errorf("bolt store: update contact %q: %w", key, err)
			return nil
		}
		next.Version = loaded.Version + 1
		buf, err := encodeContact(next)
		if err != nil {
			refused = fmt.Errorf("bolt store: encode contact %q: %w", key, err)
			return nil
		}
		if err := data.Put([]byte(key), buf); err != nil {
			return fmt.Errorf("bolt store: put contact %q: %w", key, err)
		}
		return nil
	})
	switch {
	case err != nil:
		return domain.Contact{}, err
	case refused != nil:
		return domain.Contact{}, refused
	case fnErr != nil && errors.Is(fnErr, store.ErrUnchanged):
		return loaded, nil
	case fnErr != nil:
		return domain.Contact{}, fnErr // unchanged, as the port promises
	}
	return next, nil
}

// encodeContact is the contact's JSON as domain.Encode writes an
// incident's: no HTML escaping, no trailing newline.
func encodeContact(c domain.Contact) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeContact reads a stored contact, naming it on failure.
func decodeContact(key string, raw []byte, c *domain.Contact) error {
	if err := json.Unmarshal(raw, c); err != nil {
		return fmt.Errorf("bolt store: contact %q is corrupt: %w", key, err)
	}
	return nil
}
