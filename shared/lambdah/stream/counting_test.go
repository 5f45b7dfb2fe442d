package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/infra/emulators"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }

// countByProvider is a counting function for the test: incidents and
// answers per provider, taking back what the incident counted before.
func countByProvider(before, after domain.Incident) []store.CountDelta {
	var out []store.CountDelta
	for _, d := range []struct {
		inc  domain.Incident
		sign int64
	}{{before, -1}, {after, 1}} {
		if d.inc.ID != "" {
			out = append(out, store.CountDelta{Bucket: "provider|" + d.inc.Provider, Counts: store.Counts{
				"incidents": d.sign, "answers": d.sign * int64(len(d.inc.Answers)),
			}})
		}
	}
	return out
}

// versioned is a stream record as the dynamo store writes it: the
// version attribute beside the document, replan only on writes that add a
// wake-up call.
func versioned(name, seq string, before, after *domain.Incident, replan bool) events.DynamoDBEventRecord {
	id := ""
	for _, inc := range []*domain.Incident{before, after} {
		if inc != nil {
			id = inc.ID
		}
	}
	keys := map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("INC#" + id), "sk": events.NewStringAttribute("INCIDENT")}
	img := func(inc *domain.Incident, replan bool) map[string]events.DynamoDBAttributeValue {
		if inc == nil {
			return nil
		}
		doc, _ := json.Marshal(inc)
		m := map[string]events.DynamoDBAttributeValue{
			"pk": keys["pk"], "sk": keys["sk"], "doc": events.NewStringAttribute(string(doc)),
			"version": events.NewNumberAttribute(strconv.FormatInt(inc.Version, 10)),
		}
		if replan {
			m["replan"] = events.NewBooleanAttribute(true)
		}
		return m
	}
	return events.DynamoDBEventRecord{
		EventName: name, EventID: "ev" + seq,
		Change: events.DynamoDBStreamRecord{Keys: keys, SequenceNumber: seq, StreamViewType: "NEW_AND_OLD_IMAGES", OldImage: img(before, false), NewImage: img(after, replan)},
	}
}

var tables atomic.Int64

// counters returns a dynamo store on a fresh table of DynamoDB Local,
// composed as the planner composes it: TransactWriteItems alone.
func counters(t *testing.T) (store.Counters, *dynamo.Store) {
	t.Helper()
	c := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(emulators.DynamoDB(t)),
	})
	name := fmt.Sprintf("stream-%d-%d", time.Now().UnixNano(), tables.Add(1))
	if err := dynamo.CreateTable(t.Context(), c, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamo.NewWithConfig(dynamo.API{TransactWriteItems: c.TransactWriteItems}, dynamo.Config{Table: name}), dynamo.New(c, name)
}

// A batch delivered twice, or replayed after a failure, counts once: each
// write counts under the incident and its version. Every incident write is
// counted, removals included; only writes with replan are reconciled.
func TestStreamCountsOnce(t *testing.T) {
	writer, reader := counters(t)
	answers := map[string]domain.Answer{"csat": {Survey: domain.SurveyCSAT, Score: 2}}
	a1 := &domain.Incident{ID: "inc_a", Provider: "calcom", Version: 1}
	a2 := &domain.Incident{ID: "inc_a", Provider: "calcom", Version: 2, Answers: answers}
	b4 := &domain.Incident{ID: "inc_b", Provider: "zendesk", Version: 4}
	b5 := &domain.Incident{ID: "inc_b", Provider: "zendesk", Version: 5, Answers: answers}
	c9 := &domain.Incident{ID: "inc_c", Provider: "calcom", Version: 9, Answers: answers}
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		versioned("INSERT", "100", nil, a1, true),
		versioned("MODIFY", "101", a1, a2, false), // records an answer: counted, not reconciled
		versioned("MODIFY", "102", b4, b5, true),
		versioned("REMOVE", "103", c9, nil, false), // TTL expiry: its counts taken back
		record("INSERT", "104", "agg#x", "AGG", nil, nil),
	}}
	r := &fakeReconciler{fail: map[string]bool{"inc_b": true}}
	h := CountingHandler(r.reconcile, Counting{Count: countByProvider, Counters: writer}, nil)
	want := map[string]store.Counts{
		"provider|calcom":  {"incidents": 0, "answers": 0}, // +1 inc_a, -1 inc_c; +1 -1 answers
		"provider|zendesk": {"answers": 1},                 // -1 and +1 incidents in one change: no counter
	}
	for delivery := range 3 {
		resp, err := h(t.Context(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "102" {
			t.Fatalf("delivery %d: failures %+v, want inc_b's 102", delivery, resp.BatchItemFailures)
		}
		got, err := reader.ReadCounts(t.Context(), []string{"provider|calcom", "provider|zendesk"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("delivery %d: counts (-want +got):\n%s", delivery, diff)
		}
	}
	reconciled := map[call]int{}
	for _, c := range r.calls {
		reconciled[c]++
	}
	if diff := cmp.Diff(map[call]int{{"inc_a", 0, 1}: 3, {"inc_b", 4, 5}: 3}, reconciled); diff != "" {
		t.Errorf("reconciled (-want +got):\n%s", diff)
	}
}

// Change ids name the incident and the version a write stored, or the
// version a removal removed; the version attribute wins over the
// document's copy, which is the fallback.
func TestChangeID(t *testing.T) {
	v3 := &domain.Incident{ID: "inc_x", Version: 3}
	v4 := &domain.Incident{ID: "inc_x", Version: 4}
	rec := versioned("MODIFY", "1", v3, v4, false)
	rec.Change.NewImage["version"] = events.NewNumberAttribute("40")
	for _, tc := range []struct {
		rec  events.DynamoDBEventRecord
		want string
	}{
		{versioned("INSERT", "1", nil, v3, false), "inc_x#3"},
		{rec, "inc_x#40"},
		{versioned("REMOVE", "1", v4, nil, false), "inc_x#4-removed"},
		{record("MODIFY", "1", "INC#inc_x", "INCIDENT", v3, v4), "inc_x#4"}, // no attribute: the document's
	} {
		before, _ := image(tc.rec.Change.OldImage)
		after, _ := image(tc.rec.Change.NewImage)
		got, err := changeID("inc_x", tc.rec, before, after)
		if err != nil || got != tc.want {
			t.Errorf("%s: changeID = %q, %v; want %q", tc.rec.EventName, got, err, tc.want)
		}
	}
	if _, err := changeID("inc_x", record("MODIFY", "1", "INC#inc_x", "INCIDENT", nil, &domain.Incident{ID: "inc_x"}), domain.Incident{}, domain.Incident{ID: "inc_x"}); err == nil {
		t.Error("changeID without any version succeeded")
	}
}
