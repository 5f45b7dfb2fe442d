package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/store"
)

// The team's items (see layout for their keys):
//
//	ephemeral  pk "eph#<key>", sk "EPHEMERAL"; until (N) the expiry in
//	           epoch nanoseconds, which every read and condition checks
//	           (TTL deletes days late); expires_at (N) the TTL, in seconds;
//	           val (B) the value, or n (N) a rate-limit window's count
//	counters   pk "agg#<bucket>", sk "AGG"; one N attribute per counter,
//	           named "c:<counter>" so no counter can collide with a key
//	marker     pk "aggchg#<change id>", sk "AGGCHG"; expires_at (N) seven
//	           days on (ChangeMemory)
const (
	untilAttribute  = "until"
	valueAttribute  = "val"
	countAttribute  = "n"
	counterPrefix   = "c:"
	appliedAtMarker = "applied_at"
)

// ChangeMemory is how long a change's marker keeps AddCounts from
// applying it again: far longer than any redelivery (a stream keeps
// records for 24 hours), short enough that markers do not pile up.
const ChangeMemory = 7 * 24 * time.Hour

func ephemeralKey(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{PartitionKey: str(EphemeralKeyPrefix + key), SortKey: str(EphemeralSortKey)}
}

func countsKey(bucket string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{PartitionKey: str(CountsKeyPrefix + bucket), SortKey: str(CountsSortKey)}
}

// nanos is t in epoch nanoseconds, clamped to int64 (the zero Time is
// long before the range).
func nanos(t time.Time) int64 {
	switch {
	case t.Year() < 1678:
		return math.MinInt64
	case t.Year() > 2261:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// ttlSeconds is the TTL attribute for an expiry: rounded up, so DynamoDB
// never deletes a record before it expired.
func ttlSeconds(t time.Time) types.AttributeValue {
	return number(max(t.Unix()+1, 0))
}

// live is the condition that an ephemeral record exists and is unexpired
// at :now; notLive its negation.
const (
	live    = "attribute_exists(#k) AND #u > :now"
	notLive = "attribute_not_exists(#k) OR #u <= :now"
)

func ephemeralNames() map[string]string {
	return map[string]string{"#k": PartitionKey, "#u": untilAttribute}
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// PutEphemeral stores value under key until expires, on the condition that
// no unexpired record holds key (store.ErrExists otherwise), judged by
// Config.Now.
func (s *Store) PutEphemeral(ctx context.Context, key string, value []byte, expires time.Time) error {
	if key == "" {
		return errors.New("dynamo: put ephemeral: empty key")
	}
	item := ephemeralKey(key)
	item[untilAttribute] = number(nanos(expires))
	item[TTLAttribute] = ttlSeconds(expires)
	item[valueAttribute] = &types.AttributeValueMemberB{Value: value}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.cfg.Table),
		Item:                      item,
		ConditionExpression:       aws.String(notLive),
		ExpressionAttributeNames:  ephemeralNames(),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": number(nanos(s.cfg.Now()))},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("dynamo: put ephemeral %s: %w", key, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("dynamo: put ephemeral %s: %w", key, err)
	}
	return nil
}

// GetEphemeral returns the value under key, or store.ErrNotFound when
// there is none or it expired at now (whether or not TTL deleted it yet).
func (s *Store) GetEphemeral(ctx context.Context, key string, now time.Time) ([]byte, error) {
	item, err := s.getConsistent(ctx, "get ephemeral "+key, ephemeralKey(key))
	if err != nil {
		return nil, err
	}
	v, ok := liveValue(item, now)
	if !ok {
		return nil, fmt.Errorf("dynamo: get ephemeral %s: %w", key, store.ErrNotFound)
	}
	return v, nil
}

// liveValue is an ephemeral item's value, false when there is no item or
// it expired at now.
func liveValue(item map[string]types.AttributeValue, now time.Time) ([]byte, bool) {
	until, err := intAttr(item, untilAttribute)
	if item == nil || err != nil || until <= nanos(now) {
		return nil, false
	}
	if v, ok := item[valueAttribute].(*types.AttributeValueMemberB); ok {
		return v.Value, true
	}
	if n, ok := item[countAttribute].(*types.AttributeValueMemberN); ok {
		return []byte(n.Value), true
	}
	return []byte{}, true
}

// TakeEphemeral deletes the record under key on the condition that it
// exists and is unexpired at now, returning the deleted value: DynamoDB
// applies conditional deletes of one item one at a time, so of racing
// takers exactly one succeeds and the others get store.ErrNotFound.
func (s *Store) TakeEphemeral(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if s.client.DeleteItem == nil {
		return nil, fmt.Errorf("dynamo: take ephemeral %s: this store's client cannot delete", key)
	}
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.cfg.Table),
		Key:                       ephemeralKey(key),
		ConditionExpression:       aws.String(live),
		ExpressionAttributeNames:  ephemeralNames(),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": number(nanos(now))},
		ReturnValues:              types.ReturnValueAllOld,
	})
	if isConditionFailed(err) {
		return nil, fmt.Errorf("dynamo: take ephemeral %s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("dynamo: take ephemeral %s: %w", key, err)
	}
	v, ok := liveValue(out.Attributes, now)
	if !ok {
		return nil, fmt.Errorf("dynamo: take ephemeral %s: the deleted item has no expiry", key)
	}
	return v, nil
}

// DeleteEphemeral removes key; a missing key is not an error.
func (s *Store) DeleteEphemeral(ctx context.Context, key string) error {
	if s.client.DeleteItem == nil {
		return fmt.Errorf("dynamo: delete ephemeral %s: this store's client cannot delete", key)
	}
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.cfg.Table), Key: ephemeralKey(key)}); err != nil {
		return fmt.Errorf("dynamo: delete ephemeral %s: %w", key, err)
	}
	return nil
}

// CountEphemeral adds one to the window at key with an UpdateItem ADD on
// the condition that the window is unexpired at now, and returns the new
// count. When it is missing or expired, a conditional put starts a new
// window at 1 until expires; if another caller started one meanwhile, it
// counts in that one.
func (s *Store) CountEphemeral(ctx context.Context, key string, expires, now time.Time) (int, error) {
	if key == "" {
		return 0, errors.New("dynamo: count ephemeral: empty key")
	}
	if s.client.UpdateItem == nil {
		return 0, fmt.Errorf("dynamo: count ephemeral %s: this store's client cannot update", key)
	}
	nowV := map[string]types.AttributeValue{":now": number(nanos(now))}
	for try := 1; ; try++ {
		out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(s.cfg.Table),
			Key:                      ephemeralKey(key),
			UpdateExpression:         aws.String("ADD #n :one"),
			ConditionExpression:      aws.String(live),
			ExpressionAttributeNames: map[string]string{"#k": PartitionKey, "#u": untilAttribute, "#n": countAttribute},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": nowV[":now"], ":one": number(1),
			},
			ReturnValues: types.ReturnValueUpdatedNew,
		})
		if err == nil {
			n, err := intAttr(out.Attributes, countAttribute)
			if err != nil {
				return 0, fmt.Errorf("dynamo: count ephemeral %s: %w", key, err)
			}
			return int(n), nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("dynamo: count ephemeral %s: %w", key, err)
		}
		item := ephemeralKey(key)
		item[untilAttribute] = number(nanos(expires))
		item[TTLAttribute] = ttlSeconds(expires)
		item[countAttribute] = number(1)
		_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 aws.String(s.cfg.Table),
			Item:                      item,
			ConditionExpression:       aws.String(notLive),
			ExpressionAttributeNames:  ephemeralNames(),
			ExpressionAttributeValues: nowV,
		})
		if err == nil {
			return 1, nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("dynamo: count ephemeral %s: start a window: %w", key, err)
		}
		if try >= s.cfg.MaxTries {
			return 0, fmt.Errorf("dynamo: count ephemeral %s: lost %d races: %w", key, try, store.ErrConflict)
		}
		// Another caller started the window: count in it.
	}
}

// intAttr reads an N attribute as int64.
func intAttr(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("no %s number", name)
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

// bucketDelta is one bucket's merged delta.
type bucketDelta struct {
	bucket string
	counts store.Counts
}

// mergeDeltas sums the deltas per bucket, in first-seen order, dropping
// zero counters and buckets left with none; more than
// store.MaxCountDeltas buckets is an error.
func mergeDeltas(deltas []store.CountDelta) ([]bucketDelta, error) {
	var out []bucketDelta
	at := map[string]int{}
	for _, d := range deltas {
		if d.Bucket == "" {
			return nil, errors.New("a delta without a bucket")
		}
		i, ok := at[d.Bucket]
		if !ok {
			i = len(out)
			at[d.Bucket] = i
			out = append(out, bucketDelta{bucket: d.Bucket, counts: store.Counts{}})
		}
		for name, n := range d.Counts {
			out[i].counts[name] += n
		}
	}
	if len(out) > store.MaxCountDeltas {
		return nil, fmt.Errorf("%d buckets in one change, over %d", len(out), store.MaxCountDeltas)
	}
	kept := out[:0]
	for _, b := range out {
		for name, n := range b.counts {
			if n == 0 {
				delete(b.counts, name)
			}
		}
		if len(b.counts) > 0 {
			kept = append(kept, b)
		}
	}
	return kept, nil
}

// AddCounts applies deltas as one TransactWriteItems: a put of the
// change's marker on the condition that it does not exist, and an
// UpdateItem ADD per bucket. If the marker exists the change was applied
// before, and the whole transaction is cancelled: it returns nil. Racing
// duplicates conflict; the loser retries after a backoff and then finds
// the marker. Deltas merge per bucket; zero counters are left out.
func (s *Store) AddCounts(ctx context.Context, change string, deltas []store.CountDelta) error {
	if change == "" {
		return errors.New("dynamo: add counts: empty change id")
	}
	if s.client.TransactWriteItems == nil {
		return fmt.Errorf("dynamo: add counts %s: this store's client cannot write transactions", change)
	}
	merged, err := mergeDeltas(deltas)
	if err != nil {
		return fmt.Errorf("dynamo: add counts %s: %w", change, err)
	}
	if len(merged) == 0 {
		return nil
	}
	table := aws.String(s.cfg.Table)
	now := s.cfg.Now()
	items := make([]types.TransactWriteItem, 0, len(merged)+1)
	items = append(items, types.TransactWriteItem{Put: &types.Put{
		TableName: table,
		Item: map[string]types.AttributeValue{
			PartitionKey:    str(ChangeKeyPrefix + change),
			SortKey:         str(ChangeSortKey),
			TTLAttribute:    number(now.Add(ChangeMemory).Unix()),
			appliedAtMarker: str(now.UTC().Format(TimeFormat)),
		},
		ConditionExpression:      aws.String("attribute_not_exists(#k)"),
		ExpressionAttributeNames: map[string]string{"#k": PartitionKey},
	}})
	for _, b := range merged {
		names := map[string]string{}
		values := map[string]types.AttributeValue{}
		var adds []string
		counters := make([]string, 0, len(b.counts))
		for name := range b.counts {
			counters = append(counters, name)
		}
		slices.Sort(counters)
		for i, name := range counters {
			names[fmt.Sprintf("#c%d", i)] = counterPrefix + name
			values[fmt.Sprintf(":c%d", i)] = number(b.counts[name])
			adds = append(adds, fmt.Sprintf("#c%d :c%d", i, i))
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 table,
			Key:                       countsKey(b.bucket),
			UpdateExpression:          aws.String("ADD " + strings.Join(adds, ", ")),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}})
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: items}
	for try := 1; ; try++ {
		_, err := s.client.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		applied, retry := transactionOutcome(err)
		switch {
		case applied:
			return nil
		case !retry:
			return fmt.Errorf("dynamo: add counts %s: %w", change, err)
		case try >= s.cfg.MaxTries:
			return fmt.Errorf("dynamo: add counts %s: gave up after %d tries: %w", change, try, err)
		}
		if err := backoff(ctx, try); err != nil {
			return fmt.Errorf("dynamo: add counts %s: %w", change, err)
		}
	}
}

// transactionOutcome reads a failed AddCounts transaction: applied when
// the marker's condition failed (the change was applied before), retry
// when it was cancelled by a conflict with another transaction or by
// throttling.
func transactionOutcome(err error) (applied, retry bool) {
	var (
		canceled   *types.TransactionCanceledException
		inProgress *types.TransactionInProgressException
		conflict   *types.TransactionConflictException
	)
	switch {
	case errors.As(err, &inProgress), errors.As(err, &conflict):
		return false, true
	case !errors.As(err, &canceled):
		return false, false
	}
	codes := make([]string, len(canceled.CancellationReasons))
	for i, r := range canceled.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	if len(codes) == 0 {
		// Without the structured reasons, the message lists them:
		// "Transaction cancelled, please refer cancellation reasons for
		// specific reasons [ConditionalCheckFailed, None]".
		msg := canceled.ErrorMessage()
		if i := strings.LastIndex(msg, "["); i >= 0 && strings.HasSuffix(msg, "]") {
			for c := range strings.SplitSeq(msg[i+1:len(msg)-1], ",") {
				codes = append(codes, strings.TrimSpace(c))
			}
		}
	}
	if len(codes) > 0 && codes[0] == "ConditionalCheckFailed" {
		return true, false
	}
	for _, c := range codes {
		switch c {
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
			return false, true
		}
	}
	return false, false
}

// ReadCounts reads the buckets' counters with BatchGetItem, 100 keys a
// request, retrying unprocessed keys. Reads are eventually consistent
// (half the price): the counters trail the stream by seconds anyway.
func (s *Store) ReadCounts(ctx context.Context, buckets []string) (map[string]store.Counts, error) {
	out := map[string]store.Counts{}
	seen := map[string]bool{}
	var unique []string
	for _, b := range buckets {
		if !seen[b] && b != "" {
			seen[b] = true
			unique = append(unique, b)
		}
	}
	for chunk := range slices.Chunk(unique, batchGetMax) {
		keys := make([]map[string]types.AttributeValue, len(chunk))
		for i, b := range chunk {
			keys[i] = countsKey(b)
		}
		err := s.batchGetItems(ctx, "read counts", keys, false, func(pk string, item map[string]types.AttributeValue) error {
			bucket := strings.TrimPrefix(pk, CountsKeyPrefix)
			counts := store.Counts{}
			for name, v := range item {
				counter, ok := strings.CutPrefix(name, counterPrefix)
				if !ok {
					continue
				}
				n, ok := v.(*types.AttributeValueMemberN)
				if !ok {
					return fmt.Errorf("%s: counter %q is not a number", bucket, counter)
				}
				x, err := strconv.ParseInt(n.Value, 10, 64)
				if err != nil {
					return fmt.Errorf("%s: counter %q: %w", bucket, counter, err)
				}
				counts[counter] = x
			}
			out[bucket] = counts
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
