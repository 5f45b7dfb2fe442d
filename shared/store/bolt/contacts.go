package bolt

import (
	"bytes"
	"context"
	"encoding/json"
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
	return update(ctx, s, record[domain.Contact]{
		what: "contact", bucket: contactsBucket, decode: decodeContact, encode: encodeContact,
		key: func(c *domain.Contact) string { return c.Key }, version: func(c *domain.Contact) *int64 { return &c.Version },
	}, key, fn)
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
