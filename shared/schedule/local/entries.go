package local

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// getEntry loads a pending schedule inside tx.
func getEntry(tx *bbolt.Tx, name string) (Entry, bool, error) {
	raw := tx.Bucket(schedulesBucket).Get([]byte(name))
	if raw == nil {
		return Entry{}, false, nil
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return Entry{}, false, fmt.Errorf("schedule %q is corrupt: %w", name, err)
	}
	return e, true, nil
}

// putEntry stores a new pending schedule and indexes it by when it fires.
// A changed FiresAt must first be unindexed with deleteEntry.
func putEntry(tx *bbolt.Tx, e Entry) error {
	buf, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode schedule %q: %w", e.Name, err)
	}
	if err := tx.Bucket(schedulesBucket).Put([]byte(e.Name), buf); err != nil {
		return fmt.Errorf("put schedule %q: %w", e.Name, err)
	}
	if err := tx.Bucket(dueBucket).Put(dueKey(e.FiresAt(), e.Name), nil); err != nil {
		return fmt.Errorf("index schedule %q: %w", e.Name, err)
	}
	return nil
}

// deleteEntry removes a pending schedule and its index key.
func deleteEntry(tx *bbolt.Tx, e Entry) error {
	if err := tx.Bucket(dueBucket).Delete(dueKey(e.FiresAt(), e.Name)); err != nil {
		return fmt.Errorf("unindex schedule %q: %w", e.Name, err)
	}
	if err := tx.Bucket(schedulesBucket).Delete([]byte(e.Name)); err != nil {
		return fmt.Errorf("delete schedule %q: %w", e.Name, err)
	}
	return nil
}

// putDead files a schedule that used up its attempts.
func putDead(tx *bbolt.Tx, e Entry) error {
	buf, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode dead letter %q: %w", e.Name, err)
	}
	if err := tx.Bucket(deadBucket).Put([]byte(e.Name), buf); err != nil {
		return fmt.Errorf("put dead letter %q: %w", e.Name, err)
	}
	return nil
}

// dueNames returns the names of the schedules due by until, oldest first
// (ties by name), by walking the index from its start.
func dueNames(tx *bbolt.Tx, until time.Time) []string {
	limit := dueKey(until, "")
	var names []string
	c := tx.Bucket(dueBucket).Cursor()
	for k, _ := c.First(); k != nil && len(k) >= timeKeyLen && string(k[:timeKeyLen]) <= string(limit); k, _ = c.Next() {
		names = append(names, string(k[timeKeyLen:]))
	}
	return names
}

// nextDue returns when the earliest pending schedule fires.
func nextDue(tx *bbolt.Tx) (time.Time, bool) {
	k, _ := tx.Bucket(dueBucket).Cursor().First()
	if len(k) < timeKeyLen {
		return time.Time{}, false
	}
	return keyTime(k), true
}

const timeKeyLen = 12

// dueKey is the index key: the time as big-endian seconds (sign bit
// flipped, so byte order is time order for every time.Time) and
// nanoseconds, then the name.
func dueKey(at time.Time, name string) []byte {
	k := make([]byte, 0, timeKeyLen+len(name))
	k = binary.BigEndian.AppendUint64(k, uint64(at.Unix())^(1<<63))
	k = binary.BigEndian.AppendUint32(k, uint32(at.Nanosecond()))
	return append(k, name...)
}

// keyTime decodes the time in an index key.
func keyTime(k []byte) time.Time {
	sec := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(k[8:]))).UTC()
}
