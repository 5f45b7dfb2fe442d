package dynamo

import (
	"context"
	"encoding/base64"
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
	"github.com/aftercare/aftercare/shared/store"
)

// Page returns up to limit incidents after cursor in the order of the
// listing index, and the cursor of the next page ("" after the last). It
// walks the index as List does (month partitions of the write from the
// present back over the retention, all ListShards shards of a month
// queried at once and merged; never a Scan; past the first month, four
// months at once), resuming in the cursor's
// month just below its sort key, so a page costs about the same wherever
// it starts. It reads one entry more than it returns, so the last page
// says it is the last.
//
// The order is List's: by the month of the last write, then UpdatedAt to
// the hour, then id, newest first. The index is eventually consistent: an
// incident written while someone pages may show on two pages or on none,
// and shows as it was loaded.
func (s *Store) Page(ctx context.Context, cursor store.Cursor, limit int) ([]domain.Incident, store.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("dynamo: page: %w", err)
	}
	now := time.Now().UTC()
	month, before := monthOf(now.Add(listClockSkew)), ""
	if cursor != "" {
		var err error
		if month, before, err = parsePageCursor(cursor); err != nil {
			return nil, "", fmt.Errorf("dynamo: page: cursor %q: %w", cursor, err)
		}
	}
	if limit <= 0 {
		return nil, "", nil
	}
	type entry struct {
		listEntry
		month time.Time
	}
	var entries []entry
	seen := map[string]bool{}
	last := monthOf(now.Add(-s.cfg.Retention))
	// The cursor's month alone first (it fills most pages); then, if the
	// page is still short, earlier months pageMonthsAtOnce at a time, so
	// that a young or quiet table does not walk its retention one month
	// after another.
	for m, n := month, 1; !m.Before(last) && len(entries) <= limit; n = pageMonthsAtOnce {
		var months []time.Time
		for ; len(months) < n && !m.Before(last); m = m.AddDate(0, -1, 0) {
			months = append(months, m)
		}
		got, err := s.newestInMonths(ctx, months, before, limit+1-len(entries))
		if err != nil {
			return nil, "", fmt.Errorf("dynamo: page: %w", err)
		}
		before = ""
		for i, es := range got {
			for _, e := range es {
				if !seen[e.id] && len(entries) <= limit {
					seen[e.id] = true
					entries = append(entries, entry{e, months[i]})
				}
			}
		}
	}
	var next store.Cursor
	if len(entries) > limit {
		entries = entries[:limit]
		e := entries[limit-1]
		next = pageCursor(e.month, e.sk)
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	incs, err := s.load(ctx, ids)
	if err != nil {
		return nil, "", fmt.Errorf("dynamo: page: %w", err)
	}
	return incs, next, nil
}

// pageMonthsAtOnce is how many month partitions Page reads at once past
// the first: 4 × ListShards queries in flight.
const pageMonthsAtOnce = 4

// newestInMonths is newestInMonth of each month at once (before applies
// to the first), each month's entries apart.
func (s *Store) newestInMonths(ctx context.Context, months []time.Time, before string, limit int) ([][]listEntry, error) {
	out := make([][]listEntry, len(months))
	errs := make([]error, len(months))
	var wg sync.WaitGroup
	for i, m := range months {
		b := ""
		if i == 0 {
			b = before
		}
		wg.Go(func() { out[i], errs[i] = s.newestInMonth(ctx, m, b, limit) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// pageCursor is the opaque, URL-safe form of a place in the listing index:
// the month partition and the sort key of the last entry returned.
func pageCursor(month time.Time, sk string) store.Cursor {
	return store.Cursor(base64.RawURLEncoding.EncodeToString([]byte(month.Format(listMonthFormat) + "|" + sk)))
}

// parsePageCursor reads a cursor made by pageCursor.
func parsePageCursor(c store.Cursor) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(string(c))
	if err != nil {
		return time.Time{}, "", errors.New("not a cursor")
	}
	m, sk, ok := strings.Cut(string(raw), "|")
	month, err := time.Parse(listMonthFormat, m)
	if !ok || err != nil || sk == "" {
		return time.Time{}, "", errors.New("not a cursor")
	}
	return month, sk, nil
}

// load fetches the incidents ids with BatchGetItem, in the order given,
// leaving out those gone meanwhile (TTL).
func (s *Store) load(ctx context.Context, ids []string) ([]domain.Incident, error) {
	byID := make(map[string]domain.Incident, len(ids))
	for chunk := range slices.Chunk(ids, batchGetMax) {
		if err := s.batchGet(ctx, chunk, byID); err != nil {
			return nil, err
		}
	}
	out := make([]domain.Incident, 0, len(ids))
	for _, id := range ids {
		if inc, ok := byID[id]; ok {
			out = append(out, inc)
		}
	}
	return out, nil
}

// NeedingAttention queries the sparse attention index (GSI2, one
// partition, sort key Attention.Since then id) oldest first and loads the
// incidents it names. The index trails the table by a moment, so an
// incident handled since it was read is left out (and the next entries
// read instead), and the result is ordered by the attention as loaded.
func (s *Store) NeedingAttention(ctx context.Context, limit int) ([]domain.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dynamo: needing attention: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.cfg.Table),
		IndexName:                 aws.String(GSI2),
		KeyConditionExpression:    aws.String("#a = :a"),
		ExpressionAttributeNames:  map[string]string{"#a": GSI2PartitionKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": str(AttentionPartition)},
		ScanIndexForward:          aws.Bool(true),
	}
	var out []domain.Incident
	seen := map[string]bool{}
	for len(out) < limit {
		in.Limit = aws.Int32(int32(min(limit-len(out), batchGetMax)))
		page, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamo: needing attention: query %s: %w", GSI2, err)
		}
		var ids []string
		for _, item := range page.Items {
			pk, ok := item[PartitionKey].(*types.AttributeValueMemberS)
			if !ok || !strings.HasPrefix(pk.Value, IncidentKeyPrefix) {
				continue
			}
			if id := strings.TrimPrefix(pk.Value, IncidentKeyPrefix); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		incs, err := s.load(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("dynamo: needing attention: %w", err)
		}
		for _, inc := range incs {
			if inc.NeedsTeam() && len(out) < limit {
				out = append(out, inc)
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	slices.SortStableFunc(out, func(a, b domain.Incident) int { return a.Attention.Since.Compare(b.Attention.Since) })
	return out, nil
}
