package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
)

// batchGetMax is BatchGetItem's limit of keys per request.
const batchGetMax = 100

// List returns up to limit incidents, most recently updated first. It
// queries the listing index for keys and fetches the items in batches; it
// serves the dev console and reports, never a request path. A limit of zero
// or less returns none.
func (s *Store) List(ctx context.Context, limit int) ([]domain.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dynamo: list: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	ids, err := s.newestIDs(ctx, limit)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]domain.Incident, len(ids))
	for chunk := range slices.Chunk(ids, batchGetMax) {
		if err := s.batchGet(ctx, chunk, byID); err != nil {
			return nil, err
		}
	}
	out := make([]domain.Incident, 0, len(ids))
	for _, id := range ids {
		if inc, ok := byID[id]; ok { // gone if TTL deleted it meanwhile
			out = append(out, inc)
		}
	}
	// The index is eventually consistent: an incident written since the
	// query may have moved, so order by what was actually loaded.
	slices.SortStableFunc(out, func(a, b domain.Incident) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out, nil
}

// newestIDs reads up to limit incident ids from the listing index, newest
// first.
func (s *Store) newestIDs(ctx context.Context, limit int) ([]string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.cfg.Table),
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    aws.String("#b = :b"),
		ExpressionAttributeNames:  map[string]string{"#b": GSI1PartitionKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": str(ListBucket)},
		ScanIndexForward:          aws.Bool(false),
	}
	var ids []string
	for len(ids) < limit {
		in.Limit = aws.Int32(int32(min(limit-len(ids), 1000)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamo: list: query %s: %w", GSI1, err)
		}
		for _, item := range out.Items {
			pk, ok := item[PartitionKey].(*types.AttributeValueMemberS)
			if !ok || !strings.HasPrefix(pk.Value, IncidentKeyPrefix) {
				continue // another record type sharing the bucket
			}
			ids = append(ids, strings.TrimPrefix(pk.Value, IncidentKeyPrefix))
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return ids, nil
}

// batchGet loads the incidents ids into byID, retrying the keys DynamoDB
// leaves unprocessed when it is throttling.
func (s *Store) batchGet(ctx context.Context, ids []string, byID map[string]domain.Incident) error {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	req := map[string]types.KeysAndAttributes{s.cfg.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for try := 1; len(req) > 0; try++ {
		out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return fmt.Errorf("dynamo: list: batch get: %w", err)
		}
		for _, item := range out.Responses[s.cfg.Table] {
			pk, _ := item[PartitionKey].(*types.AttributeValueMemberS)
			if pk == nil {
				return fmt.Errorf("dynamo: list: an item without %s", PartitionKey)
			}
			id := strings.TrimPrefix(pk.Value, IncidentKeyPrefix)
			inc, err := decodeItem(id, item)
			if err != nil {
				return fmt.Errorf("dynamo: list: %w", err)
			}
			byID[id] = inc
		}
		req = out.UnprocessedKeys
		if len(req) > 0 {
			if try >= s.cfg.MaxTries {
				return fmt.Errorf("dynamo: list: %d keys still unprocessed after %d tries", len(req[s.cfg.Table].Keys), try)
			}
			if err := backoff(ctx, try); err != nil {
				return fmt.Errorf("dynamo: list: %w", err)
			}
		}
	}
	return nil
}
