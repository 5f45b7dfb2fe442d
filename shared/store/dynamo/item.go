package dynamo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
)

// maxDoc keeps an incident's JSON, with the item's other attributes, under
// DynamoDB's 400 KB item limit, so the error names the cause instead of
// surfacing as a bare ValidationException.
const maxDoc = 400*1024 - 2*1024

// key is the primary key of an incident's item.
func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		PartitionKey: str(IncidentKeyPrefix + id),
		SortKey:      str(IncidentSortKey),
	}
}

// encodeItem lays an incident out as the package doc describes.
func encodeItem(inc domain.Incident, expires time.Time) (map[string]types.AttributeValue, error) {
	doc, err := domain.Encode(inc)
	if err != nil {
		return nil, fmt.Errorf("dynamo: encode incident %s: %w", inc.ID, err)
	}
	if len(doc) > maxDoc {
		return nil, fmt.Errorf("dynamo: incident %s encodes to %d bytes, over DynamoDB's 400 KB item limit", inc.ID, len(doc))
	}
	updated := inc.UpdatedAt.UTC().Format(TimeFormat)
	item := key(inc.ID)
	item[VersionAttribute] = number(inc.Version)
	item[UpdatedAtAttribute] = str(updated)
	item[TTLAttribute] = number(expires.Unix())
	pk, sk := listKeys(inc.ID, inc.UpdatedAt, time.Now())
	item[GSI1PartitionKey] = str(pk)
	item[GSI1SortKey] = str(sk)
	if inc.NeedsTeam() {
		// The sparse attention index: present only while queued, so a
		// write that handles or clears the attention drops the entry.
		item[GSI2PartitionKey] = str(AttentionPartition)
		item[GSI2SortKey] = str(attentionSortKey(inc))
	}
	item[DocAttribute] = str(string(doc))
	if inc.Replan {
		// The stream planner's event filter passes only writes with it.
		item[ReplanAttribute] = &types.AttributeValueMemberBOOL{Value: true}
	}
	// Copies for the console; empty strings are not worth an attribute.
	for name, v := range map[string]string{"provider": inc.Provider, "kind": string(inc.Kind), "status": string(inc.Status)} {
		if v != "" {
			item[name] = str(v)
		}
	}
	return item, nil
}

// listKeys returns the listing index keys (GSI1PartitionKey, GSI1SortKey)
// of incident id, last updated at updated and written at written:
//
//	gsi1pk  "L#<month of written, yyyy-mm>#<listShard(id)>"
//	gsi1sk  "<hour of updated, yyyy-mm-ddThh>#<id>"
//
// Both UTC. The partition is the month of the write, not of UpdatedAt: a
// re-import or a replay may carry any UpdatedAt, but List walks back from
// the present over the retention period, and every live item was written
// within it. Within a partition incidents sort by UpdatedAt to the hour, so
// a write that leaves the month and UpdatedAt's hour as they were leaves
// the index key alone, and DynamoDB then writes nothing to a KEYS_ONLY
// index; a write that moves either costs two index writes (delete, put),
// both in the incident's shard.
//
// written is the machine clock (time.Now), not Config.Now: the encoder is
// not handed the store's clock, and List reads the same machine clock.
func listKeys(id string, updated, written time.Time) (pk, sk string) {
	return listPartition(written, listShard(id)), updated.UTC().Format(listHourFormat) + "#" + id
}

// attentionSortKey is a queued incident's GSI2SortKey: the time attention
// was raised, fixed width so that string order is time order, then the id.
func attentionSortKey(inc domain.Incident) string {
	return inc.Attention.Since.UTC().Format(TimeFormat) + "#" + inc.ID
}

// listPartition is the GSI1PartitionKey of a shard in the month of t.
func listPartition(t time.Time, shard int) string {
	return ListKeyPrefix + t.UTC().Format(listMonthFormat) + "#" + strconv.Itoa(shard)
}

// listShard spreads incident ids evenly over ListShards by SHA-256, which
// is stable across releases and well mixed whatever the ids look like.
func listShard(id string) int {
	sum := sha256.Sum256([]byte(id))
	return int(binary.BigEndian.Uint64(sum[:8]) % ListShards)
}

// decodeItem reads an incident back. The version attribute, which the
// conditional writes check, is authoritative over the copy inside doc.
func decodeItem(id string, item map[string]types.AttributeValue) (domain.Incident, error) {
	var inc domain.Incident
	doc, ok := item[DocAttribute].(*types.AttributeValueMemberS)
	if !ok {
		return inc, fmt.Errorf("dynamo: incident %s is corrupt: no %s string", id, DocAttribute)
	}
	if err := json.Unmarshal([]byte(doc.Value), &inc); err != nil {
		return inc, fmt.Errorf("dynamo: incident %s is corrupt: %w", id, err)
	}
	if inc.ID != id {
		return domain.Incident{}, fmt.Errorf("dynamo: incident %s is corrupt: its document says id %q", id, inc.ID)
	}
	v, ok := item[VersionAttribute].(*types.AttributeValueMemberN)
	if !ok {
		return domain.Incident{}, fmt.Errorf("dynamo: incident %s is corrupt: no %s number", id, VersionAttribute)
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("dynamo: incident %s is corrupt: %s: %w", id, VersionAttribute, err)
	}
	inc.Version = n
	return inc, nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
