package reports

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// yearCounts fills every counter of a year of weekly buckets, with values
// agents in the agent dimension: the worst a year's report reads.
func yearCounts(r Request, values int) map[string]store.Counts {
	var metrics []string
	for m := range slots {
		metrics = append(metrics, m)
	}
	counts := map[string]store.Counts{}
	for i, p := range r.Periods() {
		all := store.Counts{}
		by := store.Counts{}
		for j, m := range metrics {
			all[m+"|all"] = int64(i + j + 1)
			for v := range values {
				by[m+"|"+escapeValue(fmt.Sprintf("agent%02d@hotel.example", v))] = int64(v + j)
			}
		}
		counts[p.Key+"/all"] = all
		counts[p.Key+"/"+string(r.Breakdown)] = by
	}
	return counts
}

func BenchmarkYearReport(b *testing.B) {
	r := Request{From: date("2026-01-05"), To: date("2027-01-04"), Group: GroupWeek, Breakdown: DimAgent}
	counts := yearCounts(r, 50)
	fields := 0
	for _, c := range counts {
		fields += len(c)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep := Build(r, counts)
		if len(rep.Breakdown) != 50 {
			b.Fatal(len(rep.Breakdown))
		}
	}
	b.ReportMetric(float64(len(r.Buckets())), "buckets")
	b.ReportMetric(float64(fields), "counters")
}

func benchIncident() domain.Incident {
	inc := newIncident()
	sent(&inc, "csat-1", domain.SurveyCSAT, t0)
	sent(&inc, "csat-1-r", domain.SurveyCSAT, t0.Add(72*time.Hour))
	answer(&inc, "csat-1", domain.SurveyCSAT, 2, t0.Add(80*time.Hour), "staff", "waiting")
	inc.Episodes = 1
	inc.Escalations = []domain.Escalation{{N: 1, Episode: 1, At: t0.Add(80 * time.Hour)}}
	inc.Team = &domain.Handling{Handled: []domain.HandledEpisode{{Episode: 1, AlertedAt: t0.Add(80 * time.Hour), At: t0.Add(82 * time.Hour)}}}
	for i := range 60 {
		inc.Timeline = append(inc.Timeline, domain.Entry{At: t0, Kind: "event", Detail: fmt.Sprint(i)})
	}
	return inc
}

func BenchmarkChanges(b *testing.B) {
	p := domain.DefaultPolicy()
	before := benchIncident()
	for _, c := range []struct {
		name   string
		change func(*domain.Incident)
	}{
		{"score", func(inc *domain.Incident) {
			answer(inc, "csat-1", domain.SurveyCSAT, 4, t0.Add(90*time.Hour), "staff", "waiting")
		}},
		{"timeline-only", func(inc *domain.Incident) {
			inc.Timeline = append(inc.Timeline, domain.Entry{At: t0, Kind: "note"})
		}},
		{"agent", func(inc *domain.Incident) { inc.Agent = "bob" }},
	} {
		after := clone(before)
		c.change(&after)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = len(Changes(p, before, after))
			}
			b.ReportMetric(float64(n), "buckets")
		})
	}
}

func BenchmarkIncidentCSV(b *testing.B) {
	inc := hostileIncident()
	c := NewIncidentCSV(io.Discard)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := c.Write(inc); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
}
