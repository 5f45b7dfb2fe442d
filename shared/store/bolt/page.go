package bolt

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/domain"
)

// Cursor is a place in the order of List: just after the incident with ID,
// last updated at UpdatedAt. The zero Cursor is the start, before the most
// recently updated incident.
type Cursor struct {
	UpdatedAt time.Time
	ID        string
}

// IsZero reports whether c is the start.
func (c Cursor) IsZero() bool { return c.UpdatedAt.IsZero() && c.ID == "" }

// String is the cursor as an opaque, URL-safe token ("" for the start),
// which ParseCursor reads back.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(updatedKey(c.UpdatedAt, c.ID))
}

// ParseCursor reads a token made by Cursor.String, or an RFC 3339 time,
// which means "updated before that time". "" is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Cursor{UpdatedAt: t}, nil
	}
	k, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(k) < timeKeyLen {
		return Cursor{}, errors.New("not a cursor or an RFC 3339 time")
	}
	return Cursor{UpdatedAt: keyTime(k), ID: string(k[timeKeyLen:])}, nil
}

// ListBefore returns up to limit incidents that come after before in the
// order of List (most recently updated first), and the cursor of the next
// page, zero when there is none. It reads only the page: its cost depends
// on limit, not on how many incidents the store holds. A limit of zero or
// less returns none.
func (s *Store) ListBefore(ctx context.Context, before Cursor, limit int) ([]domain.Incident, Cursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, Cursor{}, fmt.Errorf("bolt store: list: %w", err)
	}
	if limit <= 0 {
		return nil, Cursor{}, nil
	}
	var (
		out     []domain.Incident
		next    Cursor
		lastKey []byte
	)
	err := s.db.View(func(tx *bbolt.Tx) error {
		data := tx.Bucket(incidentsBucket)
		c := tx.Bucket(updatedBucket).Cursor()
		var k []byte
		if before.IsZero() {
			k, _ = c.Last()
		} else if k, _ = c.Seek(updatedKey(before.UpdatedAt, before.ID)); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil; k, _ = c.Prev() {
			if len(out) == limit {
				next = Cursor{UpdatedAt: keyTime(lastKey), ID: string(lastKey[timeKeyLen:])}
				return nil
			}
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
			lastKey = k
		}
		return nil
	})
	if err != nil {
		return nil, Cursor{}, err
	}
	return out, next, nil
}

// keyTime decodes the time at the start of an index key.
func keyTime(k []byte) time.Time {
	sec := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(k[8:]))).UTC()
}
