package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
)

// batchGetMax is BatchGetItem's limit of keys per request.
const batchGetMax = 100

// List returns up to limit incidents, most recently updated first. It
// queries the listing index for keys (see newestIDs) and fetches the items
// in batches; it serves the dev console and reports, never a request path.
// A limit of zero or less returns none.
//
// What it guarantees: the incidents chosen are the newest by the month of
// their last write, then by UpdatedAt to the hour (within an hour, by id,
// descending); those chosen come back ordered by their exact UpdatedAt. As
// the domain stamps UpdatedAt when it writes, that is most recently
// updated first, to the hour; an incident re-imported with an old
// UpdatedAt ranks among the month it was written in. Incidents last
// written before the month that Config.Retention ago falls in are not
// listed, even if TTL has not deleted them yet.
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
	out, err := s.load(ctx, ids) // without those TTL deleted meanwhile
	if err != nil {
		return nil, err
	}
	// The index is eventually consistent: an incident written since the
	// query may have moved, so order by what was actually loaded.
	slices.SortStableFunc(out, func(a, b domain.Incident) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out, nil
}

// listClockSkew is how far ahead of this machine's clock another writer's
// may be: List starts at the month of now plus this, so that near the turn
// of a month it does not miss what a slightly fast clock filed under the
// next one.
const listClockSkew = time.Minute

// newestIDs reads up to limit incident ids from the listing index, newest
// first: month partitions from the current one back to the first that an
// unexpired incident can be in (Config.Retention ago), all ListShards of a
// month queried at once and merged by sort key. Within a month the order
// is by UpdatedAt to the hour, then by id, descending.
func (s *Store) newestIDs(ctx context.Context, limit int) ([]string, error) {
	now := time.Now().UTC()
	first := monthOf(now.Add(listClockSkew))
	last := monthOf(now.Add(-s.cfg.Retention))
	var ids []string
	seen := map[string]bool{} // the index is eventually consistent: an incident being moved may show twice
	for m := first; !m.Before(last) && len(ids) < limit; m = m.AddDate(0, -1, 0) {
		entries, err := s.newestInMonth(ctx, m, "", limit-len(ids))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !seen[e.id] && len(ids) < limit {
				seen[e.id] = true
				ids = append(ids, e.id)
			}
		}
	}
	return ids, nil
}

// monthOf is the first instant of t's UTC month.
func monthOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// listEntry is one key read from the listing index.
type listEntry struct{ sk, id string }

// newestInMonth reads the newest up to limit entries of each shard of
// month m in parallel and returns the newest limit of them all, by sort
// key, newest first. With before set, it reads only the entries whose
// sort key is less (the rest of a page's month).
func (s *Store) newestInMonth(ctx context.Context, m time.Time, before string, limit int) ([]listEntry, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	shards := make([][]listEntry, ListShards)
	errs := make([]error, ListShards)
	var wg sync.WaitGroup
	for n := range ListShards {
		wg.Go(func() {
			shards[n], errs[n] = s.newestInShard(ctx, listPartition(m, n), before, limit)
			if errs[n] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// Report the failure rather than the cancellations it caused.
	if i := slices.IndexFunc(errs, func(err error) bool { return err != nil && !errors.Is(err, context.Canceled) }); i >= 0 {
		return nil, errs[i]
	}
	if i := slices.IndexFunc(errs, func(err error) bool { return err != nil }); i >= 0 {
		return nil, errs[i]
	}
	all := slices.Concat(shards...)
	slices.SortFunc(all, func(a, b listEntry) int { return strings.Compare(b.sk, a.sk) })
	return all[:min(limit, len(all))], nil
}

// newestInShard queries one listing partition, newest first, for up to
// limit incident entries (with before set, those whose sort key is less).
func (s *Store) newestInShard(ctx context.Context, partition, before string, limit int) ([]listEntry, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.cfg.Table),
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    aws.String("#b = :b"),
		ExpressionAttributeNames:  map[string]string{"#b": GSI1PartitionKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": str(partition)},
		ScanIndexForward:          aws.Bool(false),
	}
	if before != "" {
		in.KeyConditionExpression = aws.String("#b = :b AND #s < :s")
		in.ExpressionAttributeNames["#s"] = GSI1SortKey
		in.ExpressionAttributeValues[":s"] = str(before)
	}
	var out []listEntry
	for len(out) < limit {
		in.Limit = aws.Int32(int32(min(limit-len(out), 1000)))
		page, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamo: list: query %s %s: %w", GSI1, partition, err)
		}
		for _, item := range page.Items {
			pk, ok := item[PartitionKey].(*types.AttributeValueMemberS)
			sk, _ := item[GSI1SortKey].(*types.AttributeValueMemberS)
			if !ok || sk == nil || !strings.HasPrefix(pk.Value, IncidentKeyPrefix) {
				continue // another record type sharing the partition
			}
			out = append(out, listEntry{sk: sk.Value, id: strings.TrimPrefix(pk.Value, IncidentKeyPrefix)})
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	return out, nil
}

// batchGet loads the incidents ids into byID, retrying the keys DynamoDB
// leaves unprocessed when it is throttling.
func (s *Store) batchGet(ctx context.Context, ids []string, byID map[string]domain.Incident) error {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	return s.batchGetItems(ctx, "list", keys, true, func(pk string, item map[string]types.AttributeValue) error {
		id := strings.TrimPrefix(pk, IncidentKeyPrefix)
		inc, err := decodeItem(id, item)
		if err != nil {
			return err
		}
		byID[id] = inc
		return nil
	})
}

// batchGetItems reads up to batchGetMax items by key with BatchGetItem,
// retrying the keys DynamoDB leaves unprocessed when it is throttling
// (with backoff, up to MaxTries), and hands each item and its partition
// key to each; what names the read in errors.
func (s *Store) batchGetItems(ctx context.Context, what string, keys []map[string]types.AttributeValue, consistent bool, each func(pk string, item map[string]types.AttributeValue) error) error {
	req := map[string]types.KeysAndAttributes{s.cfg.Table: {Keys: keys, ConsistentRead: aws.Bool(consistent)}}
	for try := 1; len(req) > 0; try++ {
		out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return fmt.Errorf("dynamo: %s: batch get: %w", what, err)
		}
		for _, item := range out.Responses[s.cfg.Table] {
			pk, _ := item[PartitionKey].(*types.AttributeValueMemberS)
			if pk == nil {
				return fmt.Errorf("dynamo: %s: an item without %s", what, PartitionKey)
			}
			if err := each(pk.Value, item); err != nil {
				return fmt.Errorf("dynamo: %s: %w", what, err)
			}
		}
		req = out.UnprocessedKeys
		if len(req) > 0 {
			if try >= s.cfg.MaxTries {
				return fmt.Errorf("dynamo: %s: %d keys still unprocessed after %d tries", what, len(req[s.cfg.Table].Keys), try)
			}
			if err := backoff(ctx, try); err != nil {
				return fmt.Errorf("dynamo: %s: %w", what, err)
			}
		}
	}
	return nil
}
