// Package stream is the planner function's handler: it reads the incidents
// table's stream, creates the wake-up calls each write added to an
// incident's plan, and keeps the reports' aggregates exactly once.
package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo/layout"
)

// Reconciler is the use case the planner runs (Service.ReconcileChange): a
// function, not an interface, for the reason lambdah.Dispatcher gives.
type Reconciler func(ctx context.Context, before, after domain.Incident) error

// streamParallelism bounds how many incidents of one batch reconcile at
// once: each takes a few Scheduler calls; a handful in flight cuts a
// batch's latency without bursting into Scheduler's throttling.
const streamParallelism = 4

// Counting keeps the report aggregates from the stream: for every write
// of an incident (removals included) it adds Count(before, after) to
// Counters, under a change id of the incident and the write's version, so
// a redelivered record counts once (store.Counters.AddCounts). The zero
// Counting counts nothing.
type Counting struct {
	// Count is the report's counting function (app.Service.Counting); the
	// zero Incident stands for none (before an INSERT, after a REMOVE).
	Count func(before, after domain.Incident) []store.CountDelta
	// Counters keeps the aggregates: on AWS a dynamo.Store allowed to
	// write only their items.
	Counters store.Counters
}

func (c Counting) on() bool { return c.Count != nil && c.Counters != nil }

// StreamHandler is CountingHandler without counting.
func StreamHandler(r Reconciler, log *slog.Logger) func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return CountingHandler(r, Counting{}, log)
}

// CountingHandler reconciles the writes of a DynamoDB stream batch
// (NEW_AND_OLD_IMAGES), each from the incident's images before and after
// it, so it reads nothing from the table, and counts each write for the
// reports (see Counting). Only writes that add a wake-up call
// (dynamo.ReplanAttribute) are reconciled: they are the ones with
// something to create, and reconciling them is what guarantees that
// nothing is lost between storing an incident and scheduling its
// follow-ups. The event source passes every incident write, because each
// may change what the reports count, and nothing else (not the counters
// this handler writes).
//
// An incident's records are applied in stream order (counted, then
// reconciled); different incidents in parallel. Failures are reported per
// record (ReportBatchItemFailures): the first failed record of each
// incident. Lambda retries the batch from the lowest reported one,
// replaying the records after it, which is harmless because creating and
// deleting schedules are idempotent and a change counts once. Removals
// (TTL expiry, erasure) are counted, not reconciled; items that are not
// incidents are skipped.
func CountingHandler(r Reconciler, c Counting, log *slog.Logger) func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		byIncident := map[string][]events.DynamoDBEventRecord{}
		var order []string
		for _, rec := range e.Records {
			if rec.EventName == string(events.DynamoDBOperationTypeRemove) && !c.on() {
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
					if err := apply(ctx, r, c, id, rec); err != nil {
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

// apply counts and reconciles one record of incident id from its images.
func apply(ctx context.Context, r Reconciler, c Counting, id string, rec events.DynamoDBEventRecord) error {
	before, err := image(rec.Change.OldImage)
	if err != nil {
		return fmt.Errorf("old image: %w", err)
	}
	after, err := image(rec.Change.NewImage)
	if err != nil {
		return fmt.Errorf("new image: %w", err)
	}
	remove := rec.EventName == string(events.DynamoDBOperationTypeRemove)
	if !remove && after.ID == "" {
		return fmt.Errorf("record %s has no new image: the stream must be NEW_AND_OLD_IMAGES", rec.EventID)
	}
	if c.on() {
		change, err := changeID(id, rec, before, after)
		if err != nil {
			return err
		}
		if err := c.Counters.AddCounts(ctx, change, c.Count(before, after)); err != nil {
			return fmt.Errorf("count: %w", err)
		}
	}
	if remove || !replans(rec.Change.NewImage) {
		return nil
	}
	return r(ctx, before, after)
}

// changeID names one write of an incident for AddCounts: the incident and
// the version the write stored ("inc_x#7"), or for a removal the version
// it removed ("inc_x#7-removed"). Versions rise by one per write, so the
// id is the same however often the record is delivered and differs
// between writes. The item's version attribute is authoritative over the
// copy in its document.
func changeID(id string, rec events.DynamoDBEventRecord, before, after domain.Incident) (string, error) {
	img, doc, suffix := rec.Change.NewImage, after, ""
	if rec.EventName == string(events.DynamoDBOperationTypeRemove) {
		img, doc, suffix = rec.Change.OldImage, before, "-removed"
	}
	version := ""
	if v, ok := img[layout.VersionAttribute]; ok && v.DataType() == events.DataTypeNumber {
		version = v.Number()
	} else if doc.Version > 0 {
		version = strconv.FormatInt(doc.Version, 10)
	}
	if version == "" {
		return "", fmt.Errorf("record %s: no version to count it by: the stream must be NEW_AND_OLD_IMAGES", rec.EventID)
	}
	return id + "#" + version + suffix, nil
}

// replans reports whether a write added a wake-up call to the plan (the
// store sets dynamo.ReplanAttribute on it).
func replans(img map[string]events.DynamoDBAttributeValue) bool {
	v, ok := img[layout.ReplanAttribute]
	return ok && v.DataType() == events.DataTypeBoolean && v.Boolean()
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
// With p.Counters set it also keeps the report aggregates, counting with
// the service's Counting (reports.Changes under the policy: the one
// counting function, which the local runtime's store applies inline).
func Planner(s compose.Settings, p compose.Ports, log *slog.Logger) (func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	p.StreamPlanner = true
	svc, err := compose.Service(s, p, log)
	if err != nil {
		return nil, err
	}
	c := Counting{Counters: p.Counters}
	if p.Counters != nil {
		c.Count = svc.Counting()
	}
	return CountingHandler(svc.ReconcileChange, c, log), nil
}
