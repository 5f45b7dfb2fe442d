// Package stream is the planner function's handler: it reads the incidents
// table's stream and creates the wake-up calls each write added to an
// incident's plan.
package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store/dynamo/layout"
)

// Reconciler is the use case the planner runs (Service.ReconcileChange): a
// function, not an interface, for the reason lambdah.Dispatcher gives.
type Reconciler func(ctx context.Context, before, after domain.Incident) error

// streamParallelism bounds how many incidents of one batch reconcile at
// once: each takes a few Scheduler calls; a handful in flight cuts a
// batch's latency without bursting into Scheduler's throttling.
const streamParallelism = 4

// StreamHandler reconciles the writes of a DynamoDB stream batch
// (NEW_AND_OLD_IMAGES), each from the incident's images before and after
// it, so it reads nothing from the table. The event source's filter passes
// only writes that add a wake-up call (dynamo.ReplanAttribute), so every
// run has something to create; this is what guarantees that nothing is
// lost between storing an incident and scheduling its follow-ups.
//
// An incident's records are applied in stream order; different incidents
// in parallel. Failures are reported per record (ReportBatchItemFailures):
// the first failed record of each incident. Lambda retries the batch from
// the lowest reported one, replaying the records after it, which is
// harmless because creating and deleting schedules are idempotent.
// Removals (TTL expiry) and items that are not incidents are skipped.
func StreamHandler(r Reconciler, log *slog.Logger) func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		byIncident := map[string][]events.DynamoDBEventRecord{}
		var order []string
		for _, rec := range e.Records {
			if rec.EventName == string(events.DynamoDBOperationTypeRemove) {
				continue
			}
			id, ok := incidentID(rec.Change.Keys)
			if !ok {
				log.DebugContext(ctx, "stream record skipped: not an incident", "event_id", rec.EventID)
				continue
			}
			if _, seen := byIncident[id]; !seen {
				order = append(order, id)
			}
			byIncident[id] = append(byIncident[id], rec)
		}

		failed := make([]string, len(order)) // sequence number of the first failed record
		sem := make(chan struct{}, streamParallelism)
		var wg sync.WaitGroup
		for i, id := range order {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				for _, rec := range byIncident[id] {
					if err := apply(ctx, r, rec); err != nil {
						log.ErrorContext(ctx, "reconcile failed; the stream will retry", "incident", id, "error", err)
						failed[i] = rec.Change.SequenceNumber
						return
					}
				}
			}()
		}
		wg.Wait()

		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, seq := range failed {
			if seq != "" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
			}
		}
		log.InfoContext(ctx, "stream batch reconciled", "records", len(e.Records), "incidents", len(order),
			"failed", len(resp.BatchItemFailures))
		return resp, nil
	}
}

// apply reconciles one record from its images.
func apply(ctx context.Context, r Reconciler, rec events.DynamoDBEventRecord) error {
	before, err := image(rec.Change.OldImage)
	if err != nil {
		return fmt.Errorf("old image: %w", err)
	}
	after, err := image(rec.Change.NewImage)
	if err != nil {
		return fmt.Errorf("new image: %w", err)
	}
	if after.ID == "" {
		return fmt.Errorf("record %s has no new image: the stream must be NEW_AND_OLD_IMAGES", rec.EventID)
	}
	return r(ctx, before, after)
}

// image decodes an incident from a stream image (the zero incident for
// none, as for an INSERT's old image).
func image(img map[string]events.DynamoDBAttributeValue) (domain.Incident, error) {
	var inc domain.Incident
	doc, ok := img[layout.DocAttribute]
	if !ok || doc.DataType() != events.DataTypeString {
		return inc, nil
	}
	if err := json.Unmarshal([]byte(doc.String()), &inc); err != nil {
		return inc, err
	}
	return inc, nil
}

// incidentID reads the incident id from a stream record's keys, as
// shared/store/dynamo lays them out.
func incidentID(keys map[string]events.DynamoDBAttributeValue) (string, bool) {
	pk, ok1 := keys[layout.PartitionKey]
	sk, ok2 := keys[layout.SortKey]
	if !ok1 || !ok2 || pk.DataType() != events.DataTypeString || sk.DataType() != events.DataTypeString {
		return "", false
	}
	if sk.String() != layout.IncidentSortKey {
		return "", false
	}
	id, ok := strings.CutPrefix(pk.String(), layout.IncidentKeyPrefix)
	return id, ok && id != ""
}

// Planner builds the planner function's handler on the given adapters.
func Planner(s compose.Settings, p compose.Ports, log *slog.Logger) (func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	p.StreamPlanner = true
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	return StreamHandler(svc.ReconcileChange, log), nil
}
