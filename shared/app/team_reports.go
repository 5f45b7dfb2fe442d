package app

// team_reports.go serves the team's reports from the aggregates the
// store keeps (reports.Changes, counted once per write), and the CSV
// exports, streamed page by page.

import (
	"context"
	"fmt"
	"io"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/reports"
	"github.com/aftercare/aftercare/shared/store"
)

// Report builds a report from the counters of the buckets it names: a
// year by week reads about a hundred items, whatever the volume.
func (s *Service) Report(ctx context.Context, r reports.Request) (reports.Report, error) {
	if err := r.Validate(); err != nil {
		return reports.Report{}, err
	}
	ts, err := s.teamStore()
	if err != nil {
		return reports.Report{}, err
	}
	counts, err := ts.ReadCounts(ctx, r.Buckets())
	if err != nil {
		return reports.Report{}, fmt.Errorf("report: %w", err)
	}
	return reports.Build(r, counts), nil
}

// Counting is what a store applies on every incident write to keep the
// report aggregates (bolt's CountWith locally, the stream planner on AWS):
// reports.Changes under this service's policy.
func (s *Service) Counting() func(before, after domain.Incident) []store.CountDelta {
	p := s.cfg.Policy
	return func(before, after domain.Incident) []store.CountDelta { return reports.Changes(p, before, after) }
}

// exportPage is how many incidents an export holds in memory at once.
const exportPage = 500

// Export kinds.
const (
	ExportIncidents = "incidents"
	ExportAnswers   = "answers"
)

// ExportCSV writes every incident (one row each) or every answer (one row
// per answer) as CSV to w, newest first, reading exportPage incidents at
// a time, so an export of a million incidents never holds them all.
func (s *Service) ExportCSV(ctx context.Context, kind string, w io.Writer) error {
	ts, err := s.teamStore()
	if err != nil {
		return err
	}
	var write func(domain.Incident) error
	var flush func() error
	switch kind {
	case ExportIncidents:
		c := reports.NewIncidentCSV(w)
		write, flush = c.Write, c.Flush
	case ExportAnswers:
		c := reports.NewAnswerCSV(w)
		write, flush = c.Write, c.Flush
	default:
		return fmt.Errorf("export: unknown kind %q", kind)
	}
	var cursor store.Cursor
	for {
		page, next, err := ts.Page(ctx, cursor, exportPage)
		if err != nil {
			return fmt.Errorf("export %s: %w", kind, err)
		}
		for _, inc := range page {
			if err := write(inc); err != nil {
				return fmt.Errorf("export %s: %w", kind, err)
			}
		}
		if err := flush(); err != nil {
			return fmt.Errorf("export %s: %w", kind, err)
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}
