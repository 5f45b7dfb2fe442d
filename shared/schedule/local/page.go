package local

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Cursor is a place in the order of ListAfter: just after the schedule
// Name, which fires at At. The zero Cursor is the start, before the
// schedule that fires first.
type Cursor struct {
	At   time.Time
	Name string
}

// IsZero reports whether c is the start.
func (c Cursor) IsZero() bool { return c.At.IsZero() && c.Name == "" }

// String is the cursor as an opaque, URL-safe token ("" for the start),
// which ParseCursor reads back.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(dueKey(c.At, c.Name))
}

// ParseCursor reads a token made by Cursor.String, or an RFC 3339 time,
// which means "firing at or after that time". "" is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Cursor{At: t}, nil
	}
	k, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(k) < timeKeyLen {
		return Cursor{}, errors.New("not a cursor or an RFC 3339 time")
	}
	return Cursor{At: keyTime(k), Name: string(k[timeKeyLen:])}, nil
}

// ListAfter returns up to limit pending schedules that come after the
// cursor, in the order they fire (FiresAt: At, or NextTry after a failure;
// ties by name), and the cursor of the next page, zero when there is none.
// It walks the "due" index from the cursor, so its cost depends on limit,
// not on how many schedules are pending. A limit of zero or less returns
// none.
func (s *Scheduler) ListAfter(after Cursor, limit int) ([]Entry, Cursor, error) {
	if limit <= 0 {
		return nil, Cursor{}, nil
	}
	var (
		out  []Entry
		next Cursor
	)
	err := s.db.View(func(tx *bbolt.Tx) error {
		data := tx.Bucket(schedulesBucket)
		c := tx.Bucket(dueBucket).Cursor()
		var k []byte
		if after.IsZero() {
			k, _ = c.First()
		} else {
			start := dueKey(after.At, after.Name)
			if k, _ = c.Seek(start); k != nil && after.Name != "" && string(k) == string(start) {
				k, _ = c.Next()
			}
		}
		var lastKey []byte
		for ; k != nil; k, _ = c.Next() {
			if len(out) == limit {
				next = Cursor{At: keyTime(lastKey), Name: string(lastKey[timeKeyLen:])}
				return nil
			}
			if len(k) < timeKeyLen {
				return fmt.Errorf("malformed index key %x", k)
			}
			name := k[timeKeyLen:]
			raw := data.Get(name)
			if raw == nil {
				return fmt.Errorf("index names schedule %q, which is missing", name)
			}
			var e Entry
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("schedule %q is corrupt: %w", name, err)
			}
			out = append(out, e)
			lastKey = k
		}
		return nil
	})
	if err != nil {
		return nil, Cursor{}, fmt.Errorf("local scheduler: list: %w", err)
	}
	return out, next, nil
}

// Count is how many schedules are pending, without reading them.
func (s *Scheduler) Count() int { return int(s.pending.Load()) }
