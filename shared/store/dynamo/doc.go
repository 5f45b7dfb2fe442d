// Package dynamo is the production incident store: one DynamoDB table,
// written with conditional puts for optimistic concurrency.
//
// # Key design
//
// The table is single-table style, so later record types (suppressed
// contacts, say) can share it without a schema change:
//
//	pk (S)          "INC#<incident id>"
//	sk (S)          "INCIDENT"
//	version (N)     optimistic-concurrency counter, 1 on create
//	updated_at (S)  the incident's UpdatedAt, UTC, fixed width with nanoseconds
//	expires_at (N)  TTL, epoch seconds: max(UpdatedAt, write time) + retention
//	gsi1pk (S)      "INCIDENTS", one constant bucket for listing
//	gsi1sk (S)      "<updated_at>#<incident id>"
//	provider, kind, status (S)  copies for operators reading the console
//	doc (S)         the whole incident as JSON
//
// Incidents are stored as one JSON string rather than as a native DynamoDB
// map (attributevalue). The domain type already defines its JSON form, which
// the bbolt adapter uses too and the store contract proves lossless (time
// zones, nanoseconds, omitted zero times); a second encoding would be a
// second thing to keep in step whenever the domain grows a field, and
// attributevalue does not honour omitzero. Nothing queries or partially
// updates nested fields: Update loads, decides in the domain and rewrites
// the item whole. The few facts an operator filters on in the console are
// copied to top-level attributes.
//
// # Concurrency
//
// Update reads with ConsistentRead, calls fn, and puts the item on the
// condition attribute_not_exists(pk) (create) or version = <the version
// read>. When another writer won, it waits a jittered backoff (up to 10 ms,
// doubling per lost race, capped at 250 ms), reloads and calls fn again, up
// to Config.MaxTries (default 16) times before returning store.ErrConflict.
//
// # Listing
//
// List queries the GSI gsi1 (gsi1pk = "INCIDENTS", newest gsi1sk first) and
// fetches the items with BatchGetItem; there is no Scan. The index projects
// keys only: each write then costs one small index write instead of a
// second copy of an incident that may be tens of kilobytes, and List, which
// serves only the dev console and operators' reports, pays the extra reads.
//
// The constant bucket is a hot partition by design: every incident write
// also writes that one index partition, which DynamoDB serves at about
// 1,000 writes per second before throttling the index (and, through
// back-pressure, the table). Aftercare writes an incident a handful of
// times over its life, so that is tens of millions of incidents a day of
// headroom. Should it ever bind, shard the bucket ("INCIDENTS#0".."#9") and
// merge the shards' newest entries in List.
//
// # Retention
//
// DynamoDB's TTL deletes an item some time (typically within days) after
// expires_at. The clock is the later of the incident's UpdatedAt and the
// time of writing, so re-importing old incidents does not delete them at
// once, and any write renews an incident's lease. Until DynamoDB deletes an
// expired item, Get still returns it.
package dynamo
