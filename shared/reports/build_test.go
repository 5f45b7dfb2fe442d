package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

func TestBuildFigures(t *testing.T) {
	r := Request{From: date("2026-11-16"), To: date("2026-11-30"), Group: GroupWeek, Breakdown: DimAgent}
	counts := map[string]store.Counts{
		"W2026-47/all": {
			"csat.5|all": 3, "csat.4|all": 1, "csat.1|all": 1, // 4 of 5 satisfied
			"nps.10|all": 2, "nps.8|all": 1, "nps.3|all": 1, // 50 % − 25 %
			"ces.2|all": 1, "ces.6|all": 1, // avg 4
			"dlv|all": 10, "rsp|all": 4, "rec.n|all": 2, "rec.ok|all": 1, "esc|all": 3,
			"future.metric|all": 99, "garbage": 5,
		},
		"W2026-47/agent": {"csat.5|ana": 3, "csat.1|%28none)": 1, "csat.4|(none)": 1, "dlv|b%7Cc": 2},
		"W2026-48/all":   {"csat.2|all": 1},
		"W2026-48/agent": {"csat.2|ana": 1},
		"W2026-46/all":   {"csat.5|all": 100}, // outside the range
	}
	rep := Build(r, counts)
	if len(rep.Periods) != 2 || rep.Periods[0].Period.Key != "W2026-47" {
		t.Fatalf("periods = %+v", rep.Periods)
	}
	f := rep.Periods[0].Figures
	if f.CSAT.N != 5 || f.CSAT.Positive != 4 || f.CSAT.Percent != 80 || f.CSAT.Dist[5] != 3 {
		t.Errorf("CSAT = %+v", f.CSAT)
	}
	if f.NPS.N != 4 || f.NPS.Promoters != 2 || f.NPS.Passives != 1 || f.NPS.Detractors != 1 || f.NPS.Score != 25 {
		t.Errorf("NPS = %+v", f.NPS)
	}
	if f.CES.N != 2 || f.CES.Sum != 8 || f.CES.Avg != 4 || f.CES.Dist[6] != 1 {
		t.Errorf("CES = %+v", f.CES)
	}
	if f.Response != (ResponseRate{Responded: 4, Delivered: 10, Percent: 40}) {
		t.Errorf("response = %+v", f.Response)
	}
	if f.Recovery != (Recovery{Recovered: 1, Answered: 2, Percent: 50}) || f.Escalations != 3 {
		t.Errorf("recovery = %+v, escalations %d", f.Recovery, f.Escalations)
	}
	tot := rep.Total
	if tot.CSAT.N != 6 || tot.CSAT.Positive != 4 || math.Abs(tot.CSAT.Percent-66.67) > 0.01 {
		t.Errorf("total CSAT = %+v", tot.CSAT)
	}
	if rep.Periods[1].Figures.CSAT.N != 1 || rep.Periods[1].Figures.NPS.N != 0 {
		t.Errorf("second week = %+v", rep.Periods[1].Figures)
	}
	var values []string
	for _, v := range rep.Breakdown {
		values = append(values, v.Value)
	}
	if want := []string{"(none)", "ana", "b|c", NoValue}; !slices.Equal(values, want) || rep.Breakdown[0].None || !rep.Breakdown[3].None {
		t.Fatalf("breakdown values = %q, want %q, the last one the facts without a value", values, want)
	}
	if ana := rep.Breakdown[1].Figures.CSAT; ana.N != 4 || ana.Positive != 3 {
		t.Errorf("ana's CSAT over the range = %+v", ana)
	}
}

func TestBuildEmpty(t *testing.T) {
	r := Request{From: date("2026-01-01"), To: date("2027-01-01"), Group: GroupMonth}
	rep := Build(r, nil)
	if len(rep.Periods) != 12 || rep.Total.CSAT.N != 0 || rep.Total.CSAT.Percent != 0 || rep.Breakdown != nil {
		t.Fatalf("empty report = %+v", rep)
	}
}

func TestHandledMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 1 + rng.IntN(60)
		scale := []time.Duration{20 * time.Second, 10 * time.Minute, 5 * time.Hour, 3 * 24 * time.Hour}[trial%4]
		var ds []time.Duration
		var h Handled
		for range n {
			d := time.Duration(rng.ExpFloat64() * float64(scale)).Round(time.Second)
			ds = append(ds, d)
			h.Hist[histBucket(d)]++
			h.Seconds += int64(d / time.Second)
		}
		f := Figures{Handled: h}
		f.finish()
		slices.Sort(ds)
		// The estimate lies within the bucket span of the two middle values.
		lo, hi := ds[(n-1)/2], ds[n/2]
		bLo, bHi := histBounds[histBucket(lo)], histBounds[min(histBucket(hi)+1, HistBuckets-1)]
		if histBucket(hi) == 0 {
			bHi = time.Minute
		}
		if f.Handled.N != n || f.Handled.Median < bLo-time.Second || f.Handled.Median > bHi+time.Second {
			t.Fatalf("trial %d: median %v of %d, want within [%v, %v] (exact %v–%v)", trial, f.Handled.Median, f.Handled.N, bLo, bHi, lo, hi)
		}
	}
	var h Handled
	h.Hist[histBucket(90*time.Minute)] = 1
	f := Figures{Handled: h}
	f.finish()
	if m := f.Handled.Median; m < 75*time.Minute || m > 110*time.Minute {
		t.Errorf("median of one 90 min episode = %v", m)
	}
}

// TestBuildMatchesIncidents checks the whole path against a count made
// directly from the incidents: random incidents written through random
// intermediate states, their Changes applied, the report built from the
// counters; the totals must equal what the final incidents say.
func TestBuildMatchesIncidents(t *testing.T) {
	p := domain.DefaultPolicy()
	rng := rand.New(rand.NewPCG(5, 6))
	acc := map[string]store.Counts{}
	var final []domain.Incident
	for i := range 400 {
		inc := newIncident()
		inc.ID = fmt.Sprintf("inc_%d", i)
		inc.Agent = []string{"", "ana", "bob"}[rng.IntN(3)]
		var prev domain.Incident
		write := func(next domain.Incident) {
			apply(acc, Changes(p, prev, next))
			prev = clone(next)
		}
		at := t0.Add(time.Duration(rng.IntN(300*24)) * time.Hour)
		key := []string{"csat-1", "nps-1", "ces-1", "recovery-2"}[rng.IntN(4)]
		kind := map[string]domain.SurveyKind{"csat-1": domain.SurveyCSAT, "nps-1": domain.SurveyNPS, "ces-1": domain.SurveyCES, "recovery-2": domain.SurveyCSAT}[key]
		write(inc)
		sent(&inc, key, kind, at)
		write(inc)
		lo, hi := kind.Range()
		for range rng.IntN(3) { // answered, maybe changed
			answer(&inc, key, kind, lo+rng.IntN(hi-lo+1), at.Add(time.Duration(rng.IntN(100))*time.Hour))
			write(inc)
		}
		if rng.IntN(5) == 0 {
			inc.RepliedAt = at.Add(time.Hour)
			write(inc)
		}
		if rng.IntN(4) == 0 {
			inc.Episodes = 1
			inc.Escalations = []domain.Escalation{{N: 1, Episode: 1, At: at}}
			write(inc)
			inc.Team = &domain.Handling{Handled: []domain.HandledEpisode{{Episode: 1, AlertedAt: at, At: at.Add(time.Duration(rng.IntN(3000)) * time.Minute)}}}
			write(inc)
		}
		if rng.IntN(10) == 0 {
			write(domain.Incident{})
			continue
		}
		final = append(final, inc)
	}
	r := Request{From: t0.AddDate(0, 0, -7), To: t0.AddDate(1, 0, 0), Group: GroupWeek, Breakdown: DimAgent}
	rep := Build(r, acc)

	var want Figures
	for _, inc := range final {
		for key, a := range inc.Answers {
			switch {
			case key == "recovery-2":
				want.Recovery.Answered++
				if a.Score > 2 {
					want.Recovery.Recovered++
				}
			case a.Survey == domain.SurveyCSAT:
				want.CSAT.N++
				if a.Score >= 4 {
					want.CSAT.Positive++
				}
			case a.Survey == domain.SurveyNPS:
				want.NPS.N++
				if a.Score >= 9 {
					want.NPS.Promoters++
				} else if a.Score <= 6 {
					want.NPS.Detractors++
				}
			case a.Survey == domain.SurveyCES:
				want.CES.N++
				want.CES.Sum += a.Score
			}
		}
		want.Response.Delivered++
		if len(inc.Answers) > 0 || !inc.RepliedAt.IsZero() {
			want.Response.Responded++
		}
		want.Escalations += len(inc.Escalations)
		if inc.Team != nil {
			want.Handled.N++
		}
	}
	got := rep.Total
	if got.CSAT.N != want.CSAT.N || got.CSAT.Positive != want.CSAT.Positive ||
		got.NPS.N != want.NPS.N || got.NPS.Promoters != want.NPS.Promoters || got.NPS.Detractors != want.NPS.Detractors ||
		got.CES.N != want.CES.N || got.CES.Sum != want.CES.Sum ||
		got.Response.Delivered != want.Response.Delivered || got.Response.Responded != want.Response.Responded ||
		got.Recovery.Answered != want.Recovery.Answered || got.Recovery.Recovered != want.Recovery.Recovered ||
		got.Escalations != want.Escalations || got.Handled.N != want.Handled.N {
		t.Fatalf("report totals differ from the incidents\n got %+v\nwant %+v", got, want)
	}
	if want.CSAT.N == 0 || want.Handled.N == 0 || want.Recovery.Answered == 0 {
		t.Fatalf("the test drew too little to check: %+v", want)
	}
	// Agent is single-valued: the breakdown rows add up to the total.
	var sum Figures
	for _, v := range rep.Breakdown {
		sum.merge(&v.Figures)
	}
	sum.finish()
	if sum.CSAT != got.CSAT || sum.Response != got.Response || sum.Handled.N != got.Handled.N {
		t.Fatalf("breakdown sums to %+v, total %+v", sum, got)
	}
	if len(rep.Breakdown) != 3 || !rep.Breakdown[2].None {
		t.Fatalf("breakdown = %v", rep.Breakdown)
	}
}
