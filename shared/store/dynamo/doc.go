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
//	gsi1pk (S)      "L#<yyyy-mm of the write>#<shard>", shard = hash(id) mod ListShards (16)
//	gsi1sk (S)      "<UpdatedAt to the hour>#<incident id>"
//	provider, kind, status (S)  copies for operators reading the console
//	doc (S)         the whole incident as JSON (domain.Encode)
//	replan (BOOL)   present on a write that adds a wake-up call to the plan;
//	                the planner's stream filter passes only those writes
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
// List queries the GSI gsi1 month by month from the present back over the
// retention period, all ListShards shards of a month in parallel (newest
// gsi1sk first, never a Scan), merges them and fetches the items with
// BatchGetItem. The index projects keys only: each index write is small,
// and List, which serves only the dev console and operators' reports, pays
// the extra reads. It returns the most recently updated first, to the hour
// within a month's shards.
//
// No partition key is constant: an incident's index entry lives in its
// shard of the month it was written, so index writes spread over
// ListShards partitions, and a write within the same hour as the last
// leaves the index key as it was (no index write at all). One partition
// takes about 1,000 writes a second and an incident moves its index key a
// handful of times, so the index takes about 1,400 incidents a second with
// 16 shards (ListShards × ~100/s); the base table, keyed per incident, is
// bounded only by the table's write quota (40,000 units a second by
// default). Raise ListShards (never lower it) to raise the index's ceiling.
//
// # The team's side
//
// The team's dashboard (store.Team) adds, in the same table:
//
//	gsi2pk, gsi2sk (S)  on an incident only while it waits for the team
//	                    (NeedsTeam): "ATT" and "<Attention.Since>#<id>",
//	                    the sparse KEYS_ONLY index gsi2 that
//	                    NeedingAttention queries oldest first
//	pk "eph#<key>"      ephemeral records (sessions, sign-in tokens,
//	                    rate-limit windows), expiry checked on every read
//	                    and condition, TTL only reclaiming the space
//	pk "agg#<bucket>"   report counters, one N attribute "c:<name>" each
//	pk "aggchg#<id>"    the marker of a change AddCounts applied, put in
//	                    the same transaction as the counters on the
//	                    condition that it is new: a change applied twice
//	                    counts once; TTL deletes it after seven days
//
// Page resumes List's walk of gsi1 from an opaque cursor (the month and
// the last sort key read). The lower-case prefixes of the team's items let
// IAM grant by dynamodb:LeadingKeys: the planner may write only counters
// and markers, and the team pages read and write only ephemeral records
// besides what they read.
//
// # Retention
//
// DynamoDB's TTL deletes an item some time (typically within days) after
// expires_at. The clock is the later of the incident's UpdatedAt and the
// time of writing, so re-importing old incidents does not delete them at
// once, and any write renews an incident's lease. Until DynamoDB deletes an
// expired item, Get still returns it.
package dynamo
