// Package layout names the incidents table's attributes and key values as
// shared/store/dynamo writes them. It is apart so that the stream's reader
// (the planner) can decode items without linking the DynamoDB client.
package layout

// The table's definition. template.yaml declares the same table for AWS;
// these names are exported so that a test of the template can check that it
// agrees with what this adapter reads and writes.
const (
	// PartitionKey and SortKey are the table's key attributes (both S).
	PartitionKey = "pk"
	SortKey      = "sk"
	// GSI1 is the listing index: GSI1PartitionKey (S) hash,
	// GSI1SortKey (S) range, projection KEYS_ONLY. Its partition keys are
	// sharded by month and incident (see ListShards); none is constant.
	GSI1             = "gsi1"
	GSI1PartitionKey = "gsi1pk"
	GSI1SortKey      = "gsi1sk"
	// GSI2 is the attention queue: GSI2PartitionKey (S) hash, GSI2SortKey
	// (S) range, projection KEYS_ONLY. It is sparse: an incident's item
	// carries the two attributes only while the incident waits for the
	// team (domain.Incident.NeedsTeam), so the index holds the queue and
	// nothing else.
	GSI2             = "gsi2"
	GSI2PartitionKey = "gsi2pk"
	GSI2SortKey      = "gsi2sk"
	// TTLAttribute holds the expiry in epoch seconds; the table's TTL must
	// be enabled on it.
	TTLAttribute = "expires_at"
	// VersionAttribute is the optimistic-concurrency counter (N).
	VersionAttribute = "version"
	// UpdatedAtAttribute is the incident's UpdatedAt (S, see TimeFormat).
	UpdatedAtAttribute = "updated_at"
	// DocAttribute holds the incident as JSON (S).
	DocAttribute = "doc"
	// ReplanAttribute is true on a write that adds a wake-up call to the
	// incident's plan (domain.Incident.Replan): the planner function's
	// event source filters the stream on it, so it runs only when it has
	// something to create.
	ReplanAttribute = "replan"
)

// Key values of incident items.
const (
	// IncidentKeyPrefix prefixes an incident id in PartitionKey.
	IncidentKeyPrefix = "INC#"
	// IncidentSortKey is the SortKey of an incident's item.
	IncidentSortKey = "INCIDENT"
	// ListKeyPrefix starts an incident's GSI1PartitionKey,
	// "L#<yyyy-mm>#<shard>": the UTC month of the item's last write and
	// the incident's shard, 0 to ListShards-1 (see listKeys in item.go).
	ListKeyPrefix = "L#"
)

// AttentionPartition is every queued incident's GSI2PartitionKey; its
// GSI2SortKey is "<Attention.Since, UTC, fixed width>#<incident id>", so
// one Query reads the queue oldest first. One partition is enough: an
// incident enters or leaves the queue when a customer answers badly or
// the team handles it, orders of magnitude below a partition's 1,000
// writes a second, and other writes leave the index keys as they were
// (no index write at all).
const AttentionPartition = "ATT"

// Key values of the team's items, which share the table and carry no
// index attributes. Their partition keys start with a lower-case prefix
// that IAM conditions (dynamodb:LeadingKeys) grant by: the planner may
// write only "agg#*" and "aggchg#*" items, and the team's pages read and
// write "eph#*".
const (
	// EphemeralKeyPrefix prefixes an ephemeral record's key (a session,
	// a sign-in token, a rate-limit window): pk "eph#<key>", sk
	// EphemeralSortKey.
	EphemeralKeyPrefix = "eph#"
	EphemeralSortKey   = "EPHEMERAL"
	// CountsKeyPrefix prefixes a report bucket's counters: pk
	// "agg#<bucket>", sk CountsSortKey, one N attribute per counter.
	CountsKeyPrefix = "agg#"
	CountsSortKey   = "AGG"
	// ChangeKeyPrefix prefixes the marker of a change AddCounts applied:
	// pk "aggchg#<change id>", sk ChangeSortKey, expiring with the TTL.
	ChangeKeyPrefix = "aggchg#"
	ChangeSortKey   = "AGGCHG"
)

// Key values of contact items (domain.Contact), which share the table:
// pk "CON#<contact key>", sk "CONTACT", with version, doc and expires_at as
// an incident has them and no listing-index attributes (contacts are never
// listed, and the planner's stream filter passes none of their writes,
// which carry no replan).
const (
	// ContactKeyPrefix prefixes a contact key in PartitionKey.
	ContactKeyPrefix = "CON#"
	// ContactSortKey is the SortKey of a contact's item.
	ContactSortKey = "CONTACT"
)
