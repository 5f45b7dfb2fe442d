package stream

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

// Reconciler is the use case the planner runs (Service.ReconcileID), a
// function for the reason lambdah.Dispatcher gives.
type Reconciler func(ctx context.Context, id string) error

// streamParallelism bounds how many incidents of one batch reconcile at
// once. Each takes a read and a few Scheduler calls; a handful in flight
// cuts a batch's latency without bursting into Scheduler's throttling.
const streamParallelism = 4

// StreamHandler reconciles the incidents a DynamoDB stream batch touched.
// It is what guarantees that nothing is lost between storing an incident
// and scheduling its follow-ups: if ingest dies in between, or its inline
// reconcile fails, the stored write still reaches this stream.
//
// The stream may be KEYS_ONLY: ReconcileID reloads the incident, so each
// distinct incident is reconciled once per batch, whatever number of
// writes it saw. Removals (TTL expiry) and items that are not incidents
// are skipped.
//
// Failures are reported per record (FunctionResponseTypes:
// ReportBatchItemFailures): the first record of each incident that failed.
// Lambda retries the batch from the lowest reported record, so a failed
// incident is retried and the records after it are replayed, which is
// harmless because reconciling is idempotent. A nil error is returned
// even then, since an error would retry the whole batch.
func StreamHandler(r Reconciler, log *slog.Logger) func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		type job struct{ id, seq string }
		var jobs []job
		seen := map[string]bool{}
		for _, rec := range e.Records {
			if rec.EventName == string(events.DynamoDBOperationTypeRemove) {
				continue
			}
			id, ok := incidentID(rec.Change.Keys)
			if !ok {
				log.DebugContext(ctx, "stream record skipped: not an incident", "event_id", rec.EventID)
				continue
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			jobs = append(jobs, job{id: id, seq: rec.Change.SequenceNumber})
		}

		failed := make([]bool, len(jobs))
		sem := make(chan struct{}, streamParallelism)
		var wg sync.WaitGroup
		for i, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := r(ctx, j.id); err != nil {
					log.ErrorContext(ctx, "reconcile failed; the stream will retry", "incident", j.id, "error", err)
					failed[i] = true
				}
			}()
		}
		wg.Wait()

		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for i, j := range jobs {
			if failed[i] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: j.seq})
			}
		}
		log.InfoContext(ctx, "stream batch reconciled", "records", len(e.Records), "incidents", len(jobs),
			"failed", len(resp.BatchItemFailures))
		return resp, nil
	}
}

// incidentID reads the incident id from a stream record's keys, as
// shared/store/dynamo lays them out.
func incidentID(keys map[string]events.DynamoDBAttributeValue) (string, bool) {
	pk, ok1 := keys[dynamo.PartitionKey]
	sk, ok2 := keys[dynamo.SortKey]
	if !ok1 || !ok2 || pk.DataType() != events.DataTypeString || sk.DataType() != events.DataTypeString {
		return "", false
	}
	if sk.String() != dynamo.IncidentSortKey {
		return "", false
	}
	id, ok := strings.CutPrefix(pk.String(), dynamo.IncidentKeyPrefix)
	return id, ok && id != ""
}

// Planner builds the planner function's handler on the given adapters.
func Planner(s compose.Settings, p compose.Ports, log *slog.Logger) (func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	return StreamHandler(svc.ReconcileID, log), nil
}
