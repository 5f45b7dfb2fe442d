package domain

import (
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the zone cache. There are about 600 IANA names and a
// deployment sees a handful, so maxZones is never reached by real
// customers; misses (names time.LoadLocation refuses) get their own,
// smaller, room so that a sender posting made-up zones can neither grow
// the cache without bound nor crowd the real zones out. Names longer than
// maxZoneName (the longest IANA name has 32 bytes) are never cached.
const (
	maxZones    = 512
	maxMisses   = 64
	maxZoneName = 64
)

// zoneEntry is one cached time.LoadLocation answer.
type zoneEntry struct {
	loc *time.Location
	err error
}

var zoneCache struct {
	m             sync.Map // name → *zoneEntry
	zones, misses atomic.Int64
}

// LoadZone is time.LoadLocation with a bounded, concurrency-safe cache:
// loading a zone opens and parses its zone file, which would otherwise be
// done at least twice per webhook (validation, then planning). A
// *time.Location is safe for concurrent use, so one is shared by all.
func LoadZone(name string) (*time.Location, error) {
	if v, ok := zoneCache.m.Load(name); ok {
		z := v.(*zoneEntry)
		return z.loc, z.err
	}
	loc, err := time.LoadLocation(name)
	if len(name) <= maxZoneName {
		count, limit := &zoneCache.zones, int64(maxZones)
		if err != nil {
			count, limit = &zoneCache.misses, maxMisses
		}
		// Two goroutines storing the same name both count it: the count
		// may exceed the entries, never the other way round.
		if count.Load() < limit && count.Add(1) <= limit {
			zoneCache.m.LoadOrStore(name, &zoneEntry{loc: loc, err: err})
		}
	}
	return loc, err
}
