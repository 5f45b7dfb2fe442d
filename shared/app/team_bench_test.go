package app_test

import (
	"context"
	"fmt"
	"io"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/reports"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store/bolt"
)

// The team's reports and exports at volume, on the local store: a year of
// incidents (AFTERCARE_BENCH_INCIDENTS, default 100,000) written through
// the store with the report counting on, as the runtime writes them.

var (
	volumeOnce sync.Once
	volumeSvc  *app.Service
	volumeN    int
	volumeErr  error
)

// volume builds the store once per test binary: synthetic incidents, each
// with a delivered survey and, for most, an answer, spread over a year,
// written by 64 writers (the store group-commits them, as under load).
func volume(b *testing.B) *app.Service {
	b.Helper()
	volumeOnce.Do(func() {
		volumeN = 100_000
		if v, err := strconv.Atoi(os.Getenv("AFTERCARE_BENCH_INCIDENTS")); err == nil && v > 0 {
			volumeN = v
		}
		dir, err := os.MkdirTemp("", "aftercare-volume-")
		if err != nil {
			volumeErr = err
			return
		}
		st, err := bolt.Open(filepath.Join(dir, "aftercare.db"))
		if err != nil {
			volumeErr = err
			return
		}
		end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
		clk := clock.NewFrozen(end)
		volumeSvc, volumeErr = app.New(app.Config{
			Store: st, Scheduler: schedule.None{}, Clock: clk, Policy: domain.DefaultPolicy(),
			PublicURL: "https://care.example", From: netmail.Address{Address: "care@example.com"},
		})
		if volumeErr != nil {
			return
		}
		st.CountWith(volumeSvc.Counting())
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= volumeN {
						return
					}
					inc := syntheticIncident(i, end)
					if _, err := st.Update(context.Background(), inc.ID, func(cur *domain.Incident) error {
						*cur = inc
						return nil
					}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		volumeErr = <-errs
		fmt.Fprintf(os.Stderr, "volume: %d incidents written in %s\n", volumeN, time.Since(start).Round(time.Millisecond))
	})
	if volumeErr != nil {
		b.Fatal(volumeErr)
	}
	return volumeSvc
}

func syntheticIncident(i int, end time.Time) domain.Incident {
	at := end.Add(-time.Duration(i%365)*24*time.Hour - time.Duration(i%24)*time.Hour)
	inc := domain.Incident{
		ID: fmt.Sprintf("inc_bench%07d", i), Provider: []string{"calcom", "zendesk", "calendly"}[i%3], Ref: "R-" + strconv.Itoa(i),
		Kind: domain.KindBooking, Status: domain.StatusCompleted, Title: "Sunset sailing",
		Agent: "agent-" + strconv.Itoa(i%40), Location: "harbour-" + strconv.Itoa(i%5),
		Customer:  domain.Customer{Email: fmt.Sprintf("guest%d@example.com", i), Name: "Guest " + strconv.Itoa(i)},
		CreatedAt: at, UpdatedAt: at, ResolvedAt: at, Cycle: 1,
		Steps: map[string]domain.StepState{"thanks-1": {Status: domain.StepSent, SentAt: at.Add(time.Hour), Survey: domain.SurveyCSAT}},
	}
	if i%3 != 0 {
		inc.Answers = map[string]domain.Answer{"thanks-1": {Survey: domain.SurveyCSAT, Score: 1 + i%5, AnsweredAt: at.Add(2 * time.Hour), Comment: "ok"}}
	}
	return inc
}

// BenchmarkTeamYearReport is a year's report by week, broken down by agent,
// from the aggregates: what it costs does not grow with the incidents.
func BenchmarkTeamYearReport(b *testing.B) {
	svc := volume(b)
	r, err := reports.ParseRequest(url.Values{"from": {"2025-12-01"}, "to": {"2026-11-29"}, "by": {"agent"}}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var rep reports.Report
	for b.Loop() {
		if rep, err = svc.Report(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
	if rep.Total.CSAT.N == 0 {
		b.Fatal("the report counted nothing")
	}
	b.ReportMetric(float64(len(r.Buckets())), "buckets-read")
	b.ReportMetric(float64(volumeN), "incidents")
}

// BenchmarkTeamExport streams every incident as CSV, page by page; it
// reports the peak heap in use while exporting, which stays that of a
// page, not of the whole store.
func BenchmarkTeamExport(b *testing.B) {
	svc := volume(b)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	b.ReportAllocs()
	var w countingWriter
	for b.Loop() {
		if _, err := svc.ExportCSV(context.Background(), app.ExportIncidents, &w, "", 0); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-sampled
	b.ReportMetric(float64(volumeN)*float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
	b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(w.n)/float64(b.N)/(1<<20), "MB/export")
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
