package dynamo

import (
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
	item[GSI1PartitionKey] = str(ListBucket)
	item[GSI1SortKey] = str(updated + "#" + inc.ID)
	item[DocAttribute] = str(string(doc))
	// Copies for the console; empty strings are not worth an attribute.
	for name, v := range map[string]string{"provider": inc.Provider, "kind": string(inc.Kind), "status": string(inc.Status)} {
		if v != "" {
			item[name] = str(v)
		}
	}
	return item, nil
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
