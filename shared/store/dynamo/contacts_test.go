package dynamo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

// TestContactItemLayout pins a contact's item: its own key, version, doc
// and TTL, and nothing the listing index or the planner's filter reads.
func TestContactItemLayout(t *testing.T) {
	c := client(t)
	table := newTable(t, c)
	now := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	s := dynamo.NewWithConfig(dynamo.ClientAPI(c), dynamo.Config{Table: table, Retention: 24 * time.Hour, Now: func() time.Time { return now }})

	write := func(key string, lastSeen time.Time) map[string]types.AttributeValue {
		_, err := s.UpdateContact(t.Context(), key, func(ct *domain.Contact) error {
			ct.Key, ct.Email, ct.Name, ct.LastSeen = key, "ana@example.com", "<Ana & Νίκος>", lastSeen
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "CON#" + key},
				dynamo.SortKey:      &types.AttributeValueMemberS{Value: "CONTACT"},
			},
		})
		if err != nil || out.Item == nil {
			t.Fatalf("raw GetItem CON#%s: %v, item %v", key, err, out.Item)
		}
		return out.Item
	}

	item := write("con_layout", t0)
	var names []string
	for name := range item {
		names = append(names, name)
	}
	slices.Sort(names)
	if got, want := strings.Join(names, " "), "doc expires_at pk sk version"; got != want {
		t.Errorf("attributes %s, want %s", got, want)
	}
	if _, ok := item[dynamo.TTLAttribute].(*types.AttributeValueMemberN); !ok {
		t.Errorf("%s is %T, want a number", dynamo.TTLAttribute, item[dynamo.TTLAttribute])
	}
	if got, want := scalar(item[dynamo.TTLAttribute]), fmt.Sprint(t0.Add(24*time.Hour).Unix()); got != want {
		t.Errorf("%s = %s, want LastSeen + retention = %s", dynamo.TTLAttribute, got, want)
	}
	if got := scalar(item[dynamo.VersionAttribute]); got != "1" {
		t.Errorf("version = %s, want 1", got)
	}
	doc := scalar(item[dynamo.DocAttribute])
	var ct domain.Contact
	if err := json.Unmarshal([]byte(doc), &ct); err != nil || ct.Key != "con_layout" || !strings.Contains(doc, "<Ana & Νίκος>") {
		t.Errorf("doc = %s (%v); want the contact as JSON without HTML escaping", doc, err)
	}

	// A contact last seen long ago is kept for the retention from now.
	item = write("con_old", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if got, want := scalar(item[dynamo.TTLAttribute]), fmt.Sprint(now.Add(24*time.Hour).Unix()); got != want {
		t.Errorf("old contact %s = %s, want now + retention = %s", dynamo.TTLAttribute, got, want)
	}

	// A suppression (or an unsubscription) never expires: the person must
	// not be mailed again when their incidents are gone.
	if _, err := s.UpdateContact(t.Context(), "con_old", func(ct *domain.Contact) error {
		ct.Suppress("permanent bounce", now)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "CON#con_old"},
		dynamo.SortKey:      &types.AttributeValueMemberS{Value: "CONTACT"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Item[dynamo.TTLAttribute]; ok {
		t.Errorf("a suppressed contact expires at %s", scalar(out.Item[dynamo.TTLAttribute]))
	}
}

// TestContactConflict makes another writer win inside fn.
func TestContactConflict(t *testing.T) {
	c := client(t)
	table := newTable(t, c)
	other := dynamo.New(c, table)
	s := dynamo.NewWithConfig(dynamo.ClientAPI(c), dynamo.Config{Table: table, MaxTries: 3})
	seen := func(st store.Store, key, inc string) {
		t.Helper()
		if _, err := st.UpdateContact(t.Context(), key, func(ct *domain.Contact) error {
			ct.Key = key
			ct.Incidents = append(ct.Incidents, inc)
			return nil
		}); err != nil {
			t.Fatalf("%s sees %s: %v", key, inc, err)
		}
	}

	t.Run("retried", func(t *testing.T) {
		calls := 0
		got, err := s.UpdateContact(t.Context(), "con_race", func(ct *domain.Contact) error {
			if calls++; calls == 1 {
				seen(other, "con_race", "inc_interloper")
			}
			ct.Key = "con_race"
			ct.Incidents = append(ct.Incidents, "inc_mine")
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateContact: %v", err)
		}
		if calls != 2 || got.Version != 2 || strings.Join(got.Incidents, " ") != "inc_interloper inc_mine" {
			t.Errorf("fn ran %d times, got v%d %v; want 2, v2, both incidents", calls, got.Version, got.Incidents)
		}
	})

	t.Run("exhausted", func(t *testing.T) {
		seen(s, "con_busy", "inc_0")
		calls := 0
		_, err := s.UpdateContact(t.Context(), "con_busy", func(ct *domain.Contact) error {
			calls++
			seen(other, "con_busy", fmt.Sprint("inc_interloper_", calls))
			ct.Incidents = append(ct.Incidents, "inc_mine")
			return nil
		})
		if !errors.Is(err, store.ErrConflict) || calls != 3 {
			t.Fatalf("UpdateContact: %v after %d calls, want ErrConflict after MaxTries = 3", err, calls)
		}
		got, err := s.GetContact(t.Context(), "con_busy")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 4 || slices.Contains(got.Incidents, "inc_mine") {
			t.Errorf("stored v%d %v, want v4 with the interloper's writes only", got.Version, got.Incidents)
		}
	})
}
