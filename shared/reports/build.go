package reports

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Report is what the team's reports page shows: a row per period, the
// whole range, and a row per value of the breakdown. Every figure carries
// the count it stands on (N and the like), so a page never shows a bare
// percentage of three answers as if it were of three thousand.
type Report struct {
	Request Request
	// Periods has one row per period of the request, oldest first, also
	// the ones nothing was counted in (all zero).
	Periods []PeriodRow
	// Total is the whole range.
	Total Figures
	// Breakdown has a row per value of Request.Breakdown seen in the
	// range, over the whole range, sorted by value with NoValue last;
	// nil without a breakdown.
	Breakdown []ValueRow
}

// PeriodRow is one period's figures.
type PeriodRow struct {
	Period  Period
	Figures Figures
}

// ValueRow is one breakdown value's figures over the report's range.
type ValueRow struct {
	// Value is the provider, agent, location, reason or step (NoValue
	// for facts without one).
	Value string
	// None marks the row of facts without a value (Value is NoValue),
	// which a value spelled "(none)" cannot be mistaken for.
	None    bool
	Figures Figures
}

// Figures are the report's measures over one set of counted facts. A
// measure with nothing counted has N (or its denominator) zero and a zero
// value; show it as "no data", not as 0.
type Figures struct {
	CSAT     CSAT
	NPS      NPS
	CES      CES
	Response ResponseRate
	Recovery Recovery
	// Escalations counts attention episodes opened (first alerts), at
	// the time of their first alert.
	Escalations int
	Handled     Handled
}

// CSAT is the share of satisfied answers: 4 or 5 of 1–5.
type CSAT struct {
	// Dist[s] counts answers with score s (1–5; Dist[0] is unused).
	Dist        [6]int
	Positive, N int
	// Percent is 100·Positive/N.
	Percent float64
}

// NPS is the net promoter score: % promoters (9–10) − % detractors (0–6).
type NPS struct {
	Dist                               [11]int
	Promoters, Passives, Detractors, N int
	// Score runs from −100 to 100.
	Score float64
}

// CES is the customer effort score, 1 (easy) to 7 (hard).
type CES struct {
	Dist   [8]int
	Sum, N int
	Avg    float64
}

// ResponseRate is the share of survey emails delivered that were
// answered or replied to, by when they were delivered. Reminders are the
// same survey again and are not counted twice.
type ResponseRate struct {
	Responded, Delivered int
	Percent              float64
}

// Recovery is the share of recovery surveys ("did we fix it?") answered
// with a good score.
type Recovery struct {
	Recovered, Answered int
	Percent             float64
}

// Handled is the time from an attention episode's first alert to the
// team marking it handled, counted at the alert's time.
type Handled struct {
	// Hist counts episodes per log-spaced bucket (see HistBuckets).
	Hist [HistBuckets]int
	N    int
	// Seconds is the total time, for Mean.
	Seconds int64
	// Median is estimated from Hist (log-interpolated within its bucket,
	// within about ±19 % of the exact median); Mean is exact.
	Median, Mean time.Duration
}

// slot tells what a counter metric adds to.
type slot struct {
	kind byte
	idx  int
}

const (
	kCSAT byte = iota + 1
	kNPS
	kCES
	kDelivered
	kResponded
	kRecN
	kRecOK
	kEsc
	kHist
	kHdlSecs
)

var slots = func() map[string]slot {
	m := map[string]slot{
		mDelivered: {kDelivered, 0}, mResponded: {kResponded, 0},
		mRecN: {kRecN, 0}, mRecOK: {kRecOK, 0}, mEsc: {kEsc, 0}, mHdlSecs: {kHdlSecs, 0},
	}
	kinds := map[domain.SurveyKind]byte{domain.SurveyCSAT: kCSAT, domain.SurveyNPS: kNPS, domain.SurveyCES: kCES}
	for k, names := range scoreMetrics {
		for i, n := range names {
			if n != "" {
				m[n] = slot{kinds[k], i}
			}
		}
	}
	for i := range HistBuckets {
		m["hdl."+strconv.Itoa(i)] = slot{kHist, i}
	}
	return m
}()

// add counts n of a metric; unknown metrics (a newer writer's) are ignored.
func (f *Figures) add(s slot, n int64) {
	v := int(n)
	switch s.kind {
	case kCSAT:
		f.CSAT.Dist[s.idx] += v
	case kNPS:
		f.NPS.Dist[s.idx] += v
	case kCES:
		f.CES.Dist[s.idx] += v
	case kDelivered:
		f.Response.Delivered += v
	case kResponded:
		f.Response.Responded += v
	case kRecN:
		f.Recovery.Answered += v
	case kRecOK:
		f.Recovery.Recovered += v
	case kEsc:
		f.Escalations += v
	case kHist:
		f.Handled.Hist[s.idx] += v
	case kHdlSecs:
		f.Handled.Seconds += n
	}
}

// merge adds g's raw counts to f.
func (f *Figures) merge(g *Figures) {
	for i := range f.CSAT.Dist {
		f.CSAT.Dist[i] += g.CSAT.Dist[i]
	}
	for i := range f.NPS.Dist {
		f.NPS.Dist[i] += g.NPS.Dist[i]
	}
	for i := range f.CES.Dist {
		f.CES.Dist[i] += g.CES.Dist[i]
	}
	f.Response.Delivered += g.Response.Delivered
	f.Response.Responded += g.Response.Responded
	f.Recovery.Answered += g.Recovery.Answered
	f.Recovery.Recovered += g.Recovery.Recovered
	f.Escalations += g.Escalations
	for i := range f.Handled.Hist {
		f.Handled.Hist[i] += g.Handled.Hist[i]
	}
	f.Handled.Seconds += g.Handled.Seconds
}

func percent(a, n int) float64 {
	if n <= 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
}

// finish derives the figures from the raw counts.
func (f *Figures) finish() {
	c := &f.CSAT
	c.N, c.Positive = 0, c.Dist[4]+c.Dist[5]
	for _, v := range c.Dist[1:] {
		c.N += v
	}
	c.Percent = percent(c.Positive, c.N)

	p := &f.NPS
	p.Promoters, p.Passives, p.Detractors, p.N = 0, 0, 0, 0
	for s, v := range p.Dist {
		switch {
		case s >= 9:
			p.Promoters += v
		case s >= 7:
			p.Passives += v
		default:
			p.Detractors += v
		}
		p.N += v
	}
	p.Score = percent(p.Promoters, p.N) - percent(p.Detractors, p.N)

	e := &f.CES
	e.Sum, e.N = 0, 0
	for s, v := range e.Dist[1:] {
		e.Sum += (s + 1) * v
		e.N += v
	}
	e.Avg = 0
	if e.N > 0 {
		e.Avg = float64(e.Sum) / float64(e.N)
	}

	f.Response.Percent = percent(f.Response.Responded, f.Response.Delivered)
	f.Recovery.Percent = percent(f.Recovery.Recovered, f.Recovery.Answered)

	h := &f.Handled
	h.N = 0
	for _, v := range h.Hist {
		h.N += v
	}
	h.Median, h.Mean = 0, 0
	if h.N > 0 {
		h.Mean = time.Duration(h.Seconds/int64(h.N)) * time.Second
		h.Median = histMedian(&h.Hist, h.N)
	}
}

// histMedian estimates the median from the histogram: it finds the bucket
// holding the middle rank and interpolates log-linearly inside it (bucket
// 0, under a minute, linearly; the open last bucket answers its lower
// bound).
func histMedian(hist *[HistBuckets]int, n int) time.Duration {
	rank := float64(n) / 2
	cum := 0
	for i, c := range hist {
		if c <= 0 || float64(cum+c) < rank {
			cum += max(c, 0)
			continue
		}
		frac := (rank - float64(cum)) / float64(c)
		switch {
		case i == 0:
			return time.Duration(frac * float64(time.Minute)).Round(time.Second)
		case i == HistBuckets-1:
			return histBounds[i]
		}
		lo, hi := float64(histBounds[i]), float64(histBounds[i+1])
		return time.Duration(lo * math.Pow(hi/lo, frac)).Round(time.Second)
	}
	return 0
}

// Build makes the report of a request from the counters of its Buckets,
// as store.Counters' ReadCounts returns them (absent buckets count zero).
// It reads only the buckets the request names and ignores counters it
// does not know. An invalid request gives an empty report; validate it
// first.
func Build(r Request, counts map[string]store.Counts) Report {
	rep := Report{Request: r}
	periods := r.Periods()
	rep.Periods = make([]PeriodRow, len(periods))
	var index map[string]int
	if r.Breakdown != DimNone {
		index = map[string]int{}
	}
	for i, p := range periods {
		row := &rep.Periods[i]
		row.Period = p
		for field, n := range counts[p.Key+"/"+string(DimAll)] {
			metric, _, _ := strings.Cut(field, "|")
			if s, ok := slots[metric]; ok {
				row.Figures.add(s, n)
			}
		}
		rep.Total.merge(&row.Figures)
		row.Figures.finish()
		if r.Breakdown == DimNone {
			continue
		}
		for field, n := range counts[p.Key+"/"+string(r.Breakdown)] {
			metric, value, _ := strings.Cut(field, "|")
			s, ok := slots[metric]
			if !ok {
				continue
			}
			j, seen := index[value]
			if !seen {
				j = len(rep.Breakdown)
				index[value] = j
				rep.Breakdown = append(rep.Breakdown, ValueRow{Value: value})
			}
			rep.Breakdown[j].Figures.add(s, n)
		}
	}
	rep.Total.finish()
	for i := range rep.Breakdown {
		v := &rep.Breakdown[i]
		if v.Value == NoValue {
			v.None = true
		} else {
			v.Value = unescapeValue(v.Value)
		}
		v.Figures.finish()
	}
	slices.SortFunc(rep.Breakdown, func(a, b ValueRow) int {
		if a.None != b.None {
			if a.None {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Value, b.Value)
	})
	return rep
}
