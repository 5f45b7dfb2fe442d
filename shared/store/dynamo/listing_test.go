package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
)

// TestListShardsSpread checks that a day's incidents spread over all
// ListShards partitions of the listing index, each within ±25% of even,
// for ids as the domain makes them and for sequential ones.
func TestListShardsSpread(t *testing.T) {
	const n = 10_000
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	kinds := map[string]func(i int) string{
		"domain": func(i int) string { return domain.IncidentID("calcom", fmt.Sprint("booking/", i)) },
		"serial": func(i int) string { return fmt.Sprintf("inc_%d", i) },
	}
	for name, id := range kinds {
		t.Run(name, func(t *testing.T) {
			per := map[string]int{}
			for i := range n {
				at := day.Add(time.Duration(i) * 24 * time.Hour / n) // over the day
				pk, _ := listKeys(id(i), at, at)
				per[pk]++
			}
			if len(per) != ListShards {
				t.Fatalf("%d partitions, want %d: %v", len(per), ListShards, per)
			}
			even := n / ListShards
			for pk, got := range per {
				if !strings.HasPrefix(pk, "L#2026-12#") {
					t.Errorf("partition %q, want L#2026-12#<shard>", pk)
				}
				if got < even*3/4 || got > even*5/4 {
					t.Errorf("partition %s holds %d of %d, want %d ± 25%%", pk, got, n, even)
				}
			}
		})
	}
}

// TestListKeysMoveHourly checks that the index keys stay put for writes in
// the same month and hour of UpdatedAt, so such writes cost no index write,
// and move otherwise.
func TestListKeysMoveHourly(t *testing.T) {
	const id = "inc_abcdefghijklmnop"
	updated := time.Date(2026, 12, 2, 10, 5, 0, 0, time.UTC)
	written := updated.Add(3 * time.Second)
	pk, sk := listKeys(id, updated, written)
	if want := fmt.Sprintf("L#2026-12#%d", listShard(id)); pk != want {
		t.Errorf("pk %q, want %q", pk, want)
	}
	if want := "2026-12-02T10#" + id; sk != want {
		t.Errorf("sk %q, want %q", sk, want)
	}
	athens := time.FixedZone("EET", 2*3600)
	same := []struct{ updated, written time.Time }{
		{updated.Add(50 * time.Minute), written.Add(50 * time.Minute)},
		{updated.Add(54*time.Minute + 59*time.Second), written.Add(20 * 24 * time.Hour)}, // later in the month
		{updated.In(athens), written.In(athens)},
	}
	for _, w := range same {
		if p, s := listKeys(id, w.updated, w.written); p != pk || s != sk {
			t.Errorf("update at %s written %s moved the keys to %q %q", w.updated, w.written, p, s)
		}
	}
	if _, s := listKeys(id, updated.Add(55*time.Minute), written); s == sk {
		t.Errorf("next hour kept sk %q", s)
	}
	if p, _ := listKeys(id, updated, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); p == pk || p != fmt.Sprintf("L#2027-01#%d", listShard(id)) {
		t.Errorf("next month's write has pk %q", p)
	}

	// The same through the item encoder, which stamps the write time.
	index := func(inc domain.Incident) (string, string) {
		item, err := encodeItem(inc, updated.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return item[GSI1PartitionKey].(*types.AttributeValueMemberS).Value, item[GSI1SortKey].(*types.AttributeValueMemberS).Value
	}
	month := monthOf(time.Now())
	inc := domain.Incident{ID: id, UpdatedAt: updated, Version: 1}
	p1, s1 := index(inc)
	inc.UpdatedAt, inc.Version, inc.Title = updated.Add(40*time.Minute), 2, "changed"
	p2, s2 := index(inc)
	if !monthOf(time.Now()).Equal(month) {
		t.Skip("the month turned during the test")
	}
	if p1 != p2 || s1 != s2 {
		t.Errorf("a write in the same hour moved the index keys from %q %q to %q %q", p1, s1, p2, s2)
	}
}

// fakeIndex serves Query on the listing index and BatchGetItem from items
// in memory, pages of at most pageSize, recording the partitions queried.
type fakeIndex struct {
	API      // nil: other calls panic
	t        *testing.T
	items    []map[string]types.AttributeValue
	pageSize int
	fail     string // a partition whose query fails

	mu      sync.Mutex
	queried []string
}

func (f *fakeIndex) Query(ctx context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if aws.ToString(in.IndexName) != GSI1 || aws.ToBool(in.ScanIndexForward) || in.Limit == nil || *in.Limit < 1 {
		f.t.Errorf("query %s forward %v limit %v: want %s, newest first, with a limit", aws.ToString(in.IndexName), aws.ToBool(in.ScanIndexForward), in.Limit, GSI1)
	}
	part := in.ExpressionAttributeValues[":b"].(*types.AttributeValueMemberS).Value
	f.mu.Lock()
	f.queried = append(f.queried, part)
	f.mu.Unlock()
	if part == f.fail {
		return nil, errors.New("injected failure")
	}
	s := func(item map[string]types.AttributeValue, name string) string {
		v, _ := item[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	var hits []map[string]types.AttributeValue
	for _, item := range f.items {
		if s(item, GSI1PartitionKey) == part {
			hits = append(hits, item)
		}
	}
	slices.SortFunc(hits, func(a, b map[string]types.AttributeValue) int {
		return cmp.Compare(s(b, GSI1SortKey), s(a, GSI1SortKey))
	})
	if v, ok := in.ExpressionAttributeValues[":s"].(*types.AttributeValueMemberS); ok {
		// "gsi1sk < :s": the rest of a page's month.
		hits = slices.DeleteFunc(hits, func(item map[string]types.AttributeValue) bool { return s(item, GSI1SortKey) >= v.Value })
	}
	if in.ExclusiveStartKey != nil {
		after := s(in.ExclusiveStartKey, GSI1SortKey)
		hits = slices.DeleteFunc(hits, func(item map[string]types.AttributeValue) bool { return s(item, GSI1SortKey) >= after })
	}
	out := &dynamodb.QueryOutput{}
	for _, item := range hits[:min(len(hits), int(*in.Limit), f.pageSize)] {
		keys := map[string]types.AttributeValue{}
		for _, k := range []string{PartitionKey, SortKey, GSI1PartitionKey, GSI1SortKey} {
			keys[k] = item[k]
		}
		out.Items = append(out.Items, keys)
	}
	if len(out.Items) < len(hits) {
		out.LastEvaluatedKey = out.Items[len(out.Items)-1]
	}
	return out, nil
}

func (f *fakeIndex) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			for _, item := range f.items {
				if item[PartitionKey].(*types.AttributeValueMemberS).Value == k[PartitionKey].(*types.AttributeValueMemberS).Value {
					out.Responses[table] = append(out.Responses[table], item)
				}
			}
		}
	}
	return out, nil
}

// add stores an incident as if written at written.
func (f *fakeIndex) add(id string, updated, written time.Time) {
	f.t.Helper()
	item, err := encodeItem(domain.Incident{ID: id, UpdatedAt: updated, Version: 1}, written.Add(DefaultRetention))
	if err != nil {
		f.t.Fatal(err)
	}
	pk, sk := listKeys(id, updated, written)
	item[GSI1PartitionKey], item[GSI1SortKey] = str(pk), str(sk)
	f.items = append(f.items, item)
}

func ids(list []domain.Incident) string {
	var s []string
	for _, inc := range list {
		s = append(s, inc.ID)
	}
	return strings.Join(s, " ")
}

// TestListWalksMonths checks List's walk of the sharded index: newest
// month first, shards merged by hour, paging, the retention bound, and
// that it stops once it has enough.
func TestListWalksMonths(t *testing.T) {
	now := time.Now().UTC()
	f := &fakeIndex{t: t, pageSize: 3}
	// This month: 40 incidents an hour apart (spread over the shards).
	for i := range 40 {
		f.add(fmt.Sprintf("inc_now_%02d", i), now.Add(-time.Duration(i)*time.Hour), now)
	}
	twoAgo := monthOf(now).AddDate(0, -2, 0).Add(24 * time.Hour)
	f.add("inc_two_months", twoAgo, twoAgo)
	f.add("inc_reimported", twoAgo.AddDate(-3, 0, 0), twoAgo) // old UpdatedAt, ranks by its write
	yearAgo := now.AddDate(-1, 0, 0)
	f.add("inc_year", yearAgo, yearAgo)
	expired := now.Add(-DefaultRetention).AddDate(0, -1, 0)
	f.add("inc_expired", expired, expired)
	s := NewWithConfig(API{Query: f.Query, BatchGetItem: f.BatchGetItem}, Config{Table: "t"})

	got, err := s.List(t.Context(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := "inc_now_00 inc_now_01 inc_now_02 inc_now_03 inc_now_04"; ids(got) != want {
		t.Errorf("List(5) = %s, want %s", ids(got), want)
	}
	for _, p := range f.queried {
		if !strings.HasPrefix(p, listPartition(now, 0)[:len("L#yyyy-mm#")]) && !strings.HasPrefix(p, listPartition(now.Add(listClockSkew), 0)[:len("L#yyyy-mm#")]) {
			t.Errorf("List(5) queried %s, beyond the current month", p)
		}
	}

	f.queried = nil
	got, err = s.List(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 43 || ids(got[39:]) != "inc_now_39 inc_two_months inc_year inc_reimported" {
		t.Errorf("List(100) = %d: …%s, want 43 ending inc_now_39 inc_two_months inc_year inc_reimported (by UpdatedAt)", len(got), ids(got[max(0, len(got)-4):]))
	}
	months := map[string]bool{}
	for _, p := range f.queried {
		months[p[:len("L#yyyy-mm")]] = true
	}
	if len(months) < 13 || len(months) > 15 || months[listPartition(expired, 0)[:len("L#yyyy-mm")]] {
		t.Errorf("List(100) walked %d months, want the ~14 of the retention period: %v", len(months), months)
	}
	if len(f.queried) < len(months)*ListShards {
		t.Errorf("%d queries over %d months, want all %d shards of each", len(f.queried), len(months), ListShards)
	}

	f.fail = listPartition(now, 3)
	if _, err := s.List(t.Context(), 5); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Errorf("List with a failing shard: %v, want the failure", err)
	}
}
