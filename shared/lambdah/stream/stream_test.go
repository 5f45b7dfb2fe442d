package stream

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func record(name, seq, pk, sk string) events.DynamoDBEventRecord {
	keys := map[string]events.DynamoDBAttributeValue{}
	if pk != "" {
		keys["pk"] = events.NewStringAttribute(pk)
	}
	if sk != "" {
		keys["sk"] = events.NewStringAttribute(sk)
	}
	return events.DynamoDBEventRecord{
		EventName: name, EventID: "ev" + seq,
		Change: events.DynamoDBStreamRecord{Keys: keys, SequenceNumber: seq, StreamViewType: "KEYS_ONLY"},
	}
}

func TestStreamHandler(t *testing.T) {
	r := &fakeReconciler{fail: map[string]bool{"inc_b": true}}
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record("INSERT", "100", "INC#inc_a", "INCIDENT"),
		record("MODIFY", "101", "INC#inc_b", "INCIDENT"),
		record("MODIFY", "102", "INC#inc_a", "INCIDENT"),
		record("MODIFY", "103", "INC#inc_b", "INCIDENT"),
		record("REMOVE", "104", "INC#inc_c", "INCIDENT"),    // TTL expiry
		record("INSERT", "105", "SUP#x@example", "CONTACT"), // not an incident
		record("INSERT", "106", "INC#", "INCIDENT"),         // no id
		record("INSERT", "107", "", ""),                     // no keys
	}}
	resp, err := StreamHandler((r).ReconcileID, nil)(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if r.calls["inc_a"] != 1 || r.calls["inc_b"] != 1 || len(r.calls) != 2 {
		t.Errorf("reconciled %v, want inc_a and inc_b once each", r.calls)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "101" {
		t.Errorf("failures %+v, want the first record of inc_b (101)", resp.BatchItemFailures)
	}
	b, _ := json.Marshal(resp)
	if string(b) != `{"batchItemFailures":[{"itemIdentifier":"101"}]}` {
		t.Errorf("response JSON %s", b)
	}
}

// With nothing failed the answer must still be a well-formed empty list:
// Lambda reads a null list as success too, but an empty one is explicit.
func TestStreamHandlerAllGood(t *testing.T) {
	resp, err := StreamHandler((&fakeReconciler{}).ReconcileID, nil)(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record("INSERT", "1", "INC#inc_a", "INCIDENT"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(resp); string(b) != `{"batchItemFailures":[]}` {
		t.Errorf("response %s", b)
	}
}

type fakeReconciler struct {
	mu    sync.Mutex
	calls map[string]int
	fail  map[string]bool
}

func (f *fakeReconciler) ReconcileID(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[id]++
	if f.fail[id] {
		return errors.New("throttled")
	}
	return nil
}
