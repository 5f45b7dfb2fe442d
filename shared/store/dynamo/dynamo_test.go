package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 7, time.UTC)

func put(t *testing.T, s store.Store, id, detail string) domain.Incident {
	t.Helper()
	inc, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
		inc.ID = id
		inc.UpdatedAt = t0
		inc.Record(t0, "test", "", detail)
		return nil
	})
	if err != nil {
		t.Fatalf("update %s (%s): %v", id, detail, err)
	}
	return inc
}

// TestConflict makes another writer win the race inside fn, as a second
// Lambda writing the same incident would.
func TestConflict(t *testing.T) {
	c := client(t)
	table := newTable(t, c)
	other := dynamo.New(c, table)

	t.Run("retried", func(t *testing.T) {
		s := dynamo.NewWithConfig(dynamo.ClientAPI(c), dynamo.Config{Table: table, MaxTries: 3})
		put(t, s, "inc_retried", "created")
		calls := 0
		got, err := s.Update(t.Context(), "inc_retried", func(inc *domain.Incident) error {
			if calls++; calls == 1 {
				put(t, other, "inc_retried", "interloper")
			}
			inc.Record(t0, "test", "", "mine")
			return nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if calls != 2 || got.Version != 3 {
			t.Errorf("fn ran %d times, Version %d; want 2 and 3", calls, got.Version)
		}
		if details := timeline(got); details != "created interloper mine" {
			t.Errorf("timeline %q: a write was lost", details)
		}
	})

	t.Run("exhausted", func(t *testing.T) {
		s := dynamo.NewWithConfig(dynamo.ClientAPI(c), dynamo.Config{Table: table, MaxTries: 3})
		put(t, s, "inc_exhausted", "created")
		calls := 0
		_, err := s.Update(t.Context(), "inc_exhausted", func(inc *domain.Incident) error {
			calls++
			put(t, other, "inc_exhausted", fmt.Sprint("interloper ", calls))
			inc.Record(t0, "test", "", "mine")
			return nil
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Update error = %v, want ErrConflict", err)
		}
		if calls != 3 {
			t.Errorf("fn ran %d times, want MaxTries = 3", calls)
		}
		stored, err := s.Get(t.Context(), "inc_exhausted")
		if err != nil {
			t.Fatal(err)
		}
		if details := timeline(stored); details != "created interloper 1 interloper 2 interloper 3" || stored.Version != 4 {
			t.Errorf("stored v%d %q, want v4 with the interloper's writes only", stored.Version, details)
		}
	})

	t.Run("create race", func(t *testing.T) {
		s := dynamo.NewWithConfig(dynamo.ClientAPI(c), dynamo.Config{Table: table, MaxTries: 2})
		calls := 0
		got, err := s.Update(t.Context(), "inc_race", func(inc *domain.Incident) error {
			if calls++; calls == 1 {
				put(t, other, "inc_race", "interloper")
			}
			inc.ID = "inc_race"
			inc.Record(t0, "test", "", "mine")
			return nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if details := timeline(got); details != "interloper mine" || got.Version != 2 {
			t.Errorf("got v%d %q, want v2 \"interloper mine\": the create overwrote a concurrent create", got.Version, details)
		}
	})
}

func timeline(inc domain.Incident) string {
	var d []string
	for _, e := range inc.Timeline {
		d = append(d, e.Detail)
	}
	return strings.Join(d, " ")
}

// TestItemLayout pins the attributes the package doc promises, which the
// SAM template, IAM conditions and operators' queries rely on.
func TestItemLayout(t *testing.T) {
	c := client(t)
	table := newTable(t, c)
	now := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	s := dynamo.NewWithConfig(dynamo.ClientAPI(c), dynamo.Config{Table: table, Retention: 24 * time.Hour, Now: func() time.Time { return now }})

	write := func(id string, updated time.Time) (domain.Incident, map[string]types.AttributeValue) {
		inc, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			inc.ID, inc.Provider, inc.Kind, inc.Status = id, "calcom", domain.KindBooking, domain.StatusBooked
			inc.UpdatedAt = updated
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "INC#" + id},
				dynamo.SortKey:      &types.AttributeValueMemberS{Value: "INCIDENT"},
			},
		})
		if err != nil || out.Item == nil {
			t.Fatalf("raw GetItem INC#%s: %v, item %v", id, err, out.Item)
		}
		return inc, out.Item
	}

	inc, item := write("inc_layout", t0)
	want := map[string]string{
		dynamo.VersionAttribute:   "1",
		dynamo.UpdatedAtAttribute: "2030-01-02T03:04:05.000000007Z",
		// The listing is sharded by the month of the write and a hash of
		// the id, sorted to the hour (see table.go).
		dynamo.GSI1PartitionKey: "L#" + time.Now().UTC().Format("2006-01") + "#6",
		dynamo.GSI1SortKey:      "2030-01-02T03#inc_layout",
		dynamo.TTLAttribute:     fmt.Sprint(t0.Add(24 * time.Hour).Unix()),
		"provider":              "calcom",
		"kind":                  "booking",
		"status":                "booked",
	}
	for name, v := range want {
		if got := scalar(item[name]); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if _, ok := item[dynamo.TTLAttribute].(*types.AttributeValueMemberN); !ok {
		t.Errorf("%s is %T, want a number (TTL ignores anything else)", dynamo.TTLAttribute, item[dynamo.TTLAttribute])
	}
	var doc domain.Incident
	if err := json.Unmarshal([]byte(scalar(item[dynamo.DocAttribute])), &doc); err != nil || doc.ID != inc.ID || doc.Version != 1 {
		t.Errorf("doc = %+v, %v; want the incident as JSON", doc, err)
	}

	// An incident whose last change is older than the write is kept for
	// the retention from now, not deleted at once.
	_, item = write("inc_old", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if got, want := scalar(item[dynamo.TTLAttribute]), fmt.Sprint(now.Add(24*time.Hour).Unix()); got != want {
		t.Errorf("old incident %s = %s, want now + retention = %s", dynamo.TTLAttribute, got, want)
	}
}

func scalar(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return fmt.Sprintf("<%T>", v)
}

// TestTableDefinition checks what CreateTable made against the exported
// facts that template.yaml must match.
func TestTableDefinition(t *testing.T) {
	c := client(t)
	table := newTable(t, c)
	out, err := c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	if got := keys(d.KeySchema); got != "pk HASH, sk RANGE" {
		t.Errorf("key schema %s", got)
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode %+v, want PAY_PER_REQUEST", d.BillingModeSummary)
	}
	if len(d.GlobalSecondaryIndexes) != 2 {
		t.Fatalf("%d GSIs, want 2", len(d.GlobalSecondaryIndexes))
	}
	want := map[string]string{dynamo.GSI1: "gsi1pk HASH, gsi1sk RANGE", dynamo.GSI2: "gsi2pk HASH, gsi2sk RANGE"}
	for _, g := range d.GlobalSecondaryIndexes {
		if keys(g.KeySchema) != want[aws.ToString(g.IndexName)] || g.Projection.ProjectionType != types.ProjectionTypeKeysOnly {
			t.Errorf("GSI %s (%s) projection %s", aws.ToString(g.IndexName), keys(g.KeySchema), g.Projection.ProjectionType)
		}
	}
	ttl, err := c.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; aws.ToString(d.AttributeName) != dynamo.TTLAttribute || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL %s %s, want %s ENABLED", aws.ToString(d.AttributeName), d.TimeToLiveStatus, dynamo.TTLAttribute)
	}
}

func keys(ks []types.KeySchemaElement) string {
	var s []string
	for _, k := range ks {
		s = append(s, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(s, ", ")
}

// throttled makes BatchGetItem leave keys unprocessed, as DynamoDB does
// under throttling, so List's retry of them runs.
type throttled struct {
	*dynamodb.Client
	calls atomic.Int32
}

func (c *throttled) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.calls.Add(1)
	for table, ka := range in.RequestItems {
		if len(ka.Keys) < 2 {
			break
		}
		half := len(ka.Keys) / 2
		first := ka
		first.Keys = ka.Keys[:half]
		out, err := c.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: first}}, optFns...)
		if err != nil {
			return nil, err
		}
		rest := ka
		rest.Keys = ka.Keys[half:]
		out.UnprocessedKeys = map[string]types.KeysAndAttributes{table: rest}
		return out, nil
	}
	return c.Client.BatchGetItem(ctx, in, optFns...)
}

// TestListBatches lists more incidents than one BatchGetItem may fetch,
// with DynamoDB leaving keys unprocessed along the way.
func TestListBatches(t *testing.T) {
	c := client(t)
	table := newTable(t, c)
	tc := &throttled{Client: c}
	api := dynamo.ClientAPI(c)
	api.BatchGetItem = tc.BatchGetItem
	s := dynamo.NewWithConfig(api, dynamo.Config{Table: table})
	const n = 130
	for i := range n {
		id := fmt.Sprintf("inc_%03d", i)
		if _, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			inc.ID, inc.UpdatedAt = id, t0.Add(time.Duration(i)*time.Nanosecond)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.List(t.Context(), 120)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 120 {
		t.Fatalf("List(120) returned %d", len(list))
	}
	for i, inc := range list {
		if want := fmt.Sprintf("inc_%03d", n-1-i); inc.ID != want {
			t.Fatalf("List[%d] = %s, want %s (newest first, nanoseconds apart)", i, inc.ID, want)
		}
	}
	if calls := tc.calls.Load(); calls < 3 {
		t.Errorf("BatchGetItem called %d times, want at least 3 (two chunks, unprocessed keys retried)", calls)
	}
}

func TestTooLarge(t *testing.T) {
	c := client(t)
	s := dynamo.New(c, newTable(t, c))
	_, err := s.Update(t.Context(), "inc_big", func(inc *domain.Incident) error {
		inc.ID, inc.Title = "inc_big", strings.Repeat("x", 400*1024)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "400 KB") {
		t.Fatalf("Update of a 400 KB incident: %v, want the item-limit error", err)
	}
	if _, err := s.Get(t.Context(), "inc_big"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after a rejected write: %v, want ErrNotFound", err)
	}
}

func TestCorruptItem(t *testing.T) {
	c := client(t)
	table := newTable(t, c)
	_, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		dynamo.PartitionKey:     &types.AttributeValueMemberS{Value: "INC#inc_bad"},
		dynamo.SortKey:          &types.AttributeValueMemberS{Value: "INCIDENT"},
		dynamo.VersionAttribute: &types.AttributeValueMemberN{Value: "1"},
		dynamo.DocAttribute:     &types.AttributeValueMemberS{Value: "{not json"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s := dynamo.New(c, table)
	if _, err := s.Get(t.Context(), "inc_bad"); err == nil || !strings.Contains(err.Error(), "inc_bad is corrupt") {
		t.Errorf("Get(corrupt) error = %v, want one naming the incident", err)
	}
	if _, err := s.Update(t.Context(), "inc_bad", func(*domain.Incident) error { return nil }); err == nil {
		t.Error("Update(corrupt) succeeded, want an error")
	}
}
