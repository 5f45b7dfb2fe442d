package stream

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftercare/aftercare/shared/domain"
)

// record is a stream record shaped as DynamoDB sends it for a
// NEW_AND_OLD_IMAGES stream: the keys and the item's doc before and after.
func record(name, seq, pk, sk string, before, after *domain.Incident) events.DynamoDBEventRecord {
	keys := map[string]events.DynamoDBAttributeValue{}
	if pk != "" {
		keys["pk"] = events.NewStringAttribute(pk)
	}
	if sk != "" {
		keys["sk"] = events.NewStringAttribute(sk)
	}
	img := func(inc *domain.Incident) map[string]events.DynamoDBAttributeValue {
		if inc == nil {
			return nil
		}
		doc, _ := json.Marshal(inc)
		return map[string]events.DynamoDBAttributeValue{"pk": keys["pk"], "sk": keys["sk"], "doc": events.NewStringAttribute(string(doc)), "replan": events.NewBooleanAttribute(true)}
	}
	return events.DynamoDBEventRecord{
		EventName: name, EventID: "ev" + seq,
		Change: events.DynamoDBStreamRecord{Keys: keys, SequenceNumber: seq, StreamViewType: "NEW_AND_OLD_IMAGES", OldImage: img(before), NewImage: img(after)},
	}
}

func inc(id string, version int64) *domain.Incident {
	return &domain.Incident{ID: id, Version: version}
}

type call struct {
	id                  string
	beforeVer, afterVer int64
}

type fakeReconciler struct {
	mu    sync.Mutex
	calls []call
	fail  map[string]bool
}

func (f *fakeReconciler) reconcile(_ context.Context, before, after domain.Incident) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{after.ID, before.Version, after.Version})
	if f.fail[after.ID] {
		return errors.New("throttled")
	}
	return nil
}

func TestStreamHandler(t *testing.T) {
	r := &fakeReconciler{fail: map[string]bool{"inc_b": true}}
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record("INSERT", "100", "INC#inc_a", "INCIDENT", nil, inc("inc_a", 1)),
		record("MODIFY", "101", "INC#inc_b", "INCIDENT", inc("inc_b", 4), inc("inc_b", 5)),
		record("MODIFY", "102", "INC#inc_a", "INCIDENT", inc("inc_a", 1), inc("inc_a", 2)),
		record("MODIFY", "103", "INC#inc_b", "INCIDENT", inc("inc_b", 5), inc("inc_b", 6)),
		record("REMOVE", "104", "INC#inc_c", "INCIDENT", inc("inc_c", 9), nil), // TTL expiry
		record("INSERT", "105", "SUP#x@example", "CONTACT", nil, nil),          // not an incident
		record("INSERT", "106", "INC#", "INCIDENT", nil, nil),                  // no id
		record("INSERT", "107", "", "", nil, nil),                              // no keys
	}}
	resp, err := StreamHandler(r.reconcile, nil)(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	// inc_a: both writes, in order, from their images; inc_b: stops at its
	// first failure, which is what the batch reports.
	var a, b []call
	for _, c := range r.calls {
		switch c.id {
		case "inc_a":
			a = append(a, c)
		case "inc_b":
			b = append(b, c)
		default:
			t.Errorf("reconciled %q", c.id)
		}
	}
	if len(a) != 2 || a[0] != (call{"inc_a", 0, 1}) || a[1] != (call{"inc_a", 1, 2}) {
		t.Errorf("inc_a calls = %+v", a)
	}
	if len(b) != 1 || b[0] != (call{"inc_b", 4, 5}) {
		t.Errorf("inc_b calls = %+v", b)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "101" {
		t.Fatalf("failures = %+v", resp.BatchItemFailures)
	}
	out, _ := json.Marshal(resp)
	if string(out) != `{"batchItemFailures":[{"itemIdentifier":"101"}]}` {
		t.Errorf("response JSON = %s", out)
	}
}

func TestStreamHandlerAllGood(t *testing.T) {
	r := &fakeReconciler{}
	resp, err := StreamHandler(r.reconcile, nil)(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record("MODIFY", "1", "INC#inc_a", "INCIDENT", inc("inc_a", 1), inc("inc_a", 2)),
	}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	// An empty list, not null: Lambda reads null as "retry everything".
	if out, _ := json.Marshal(resp); string(out) != `{"batchItemFailures":[]}` {
		t.Errorf("response JSON = %s", out)
	}
	// A KEYS_ONLY record cannot be reconciled without a read: it fails,
	// naming the view type the template must set.
	bad := record("MODIFY", "2", "INC#inc_a", "INCIDENT", nil, nil)
	resp, _ = StreamHandler(r.reconcile, nil)(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{bad}})
	if len(resp.BatchItemFailures) != 1 {
		t.Errorf("keys-only record: %+v", resp)
	}
}
