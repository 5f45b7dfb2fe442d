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

// ExportPart is how many incidents one export response holds at most: on
// AWS a Lambda's response (through API Gateway) is buffered and limited to
// 6 MB, so a larger export comes in parts of about 2 MB, each naming the
// next (see ExportCSV's cursor).
const ExportPart = 20_000

// Export kinds.
const (
	ExportIncidents = "incidents"
	ExportAnswers   = "answers"
)

// ExportCSV writes incidents (one row each) or answers (one row per
// answer) as CSV to w, newest first, from cursor ("" for the newest), at
// most max incidents (0 for all), reading exportPage incidents at a time,
// so an export never holds them all in memory. It returns the cursor of
// the next part, "" once everything is written.
func (s *Service) ExportCSV(ctx context.Context, kind string, w io.Writer, cursor store.Cursor, max int) (store.Cursor, error) {
	ts, err := s.teamStore()
	if err != nil {
		return "", err
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
		return "", fmt.Errorf("export: unknown kind %q", kind)
	}
	written := 0
	for {
		n := exportPage
		if max > 0 {
			n = min(n, max-written)
		}
		page, next, err := ts.Page(ctx, cursor, n)
		if err != nil {
			return "", fmt.Errorf("export %s: %w", kind, err)
		}
		for _, inc := range page {
			if err := write(inc); err != nil {
				return "", fmt.Errorf("export %s: %w", kind, err)
			}
		}
		written += len(page)
		if err := flush(); err != nil {
			return "", fmt.Errorf("export %s: %w", kind, err)
		}
		if next == "" || (max > 0 && written >= max) {
			return next, nil
		}
		cursor = next
	}
}
