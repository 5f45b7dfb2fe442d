// Package reports turns incidents into the team's report figures: the
// counted facts of an incident write (Changes, for the store's exactly-once
// counters), the report of a date range read back from those counters
// (Request, Build), its charts (TrendSVG, DistributionSVG) and the CSV
// exports (IncidentCSV, AnswerCSV). It is pure: no I/O but the io.Writer
// it is handed, no clock but the one it is given.
package reports

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Dimension is what a report breaks its figures down by. Every counted
// fact is counted once under DimAll and once under each other dimension
// it has a value for, so a breakdown is one bucket read per period.
type Dimension string

// The dimensions. DimNone asks for no breakdown (a Request's zero value);
// DimAll is the bucket of the totals, always read.
const (
	DimNone     Dimension = ""
	DimAll      Dimension = "all"
	DimProvider Dimension = "provider"
	DimAgent    Dimension = "agent"
	DimLocation Dimension = "location"
	// DimReason breaks answers down by each reason the customer ticked
	// ("(none)" for answers without one); facts that are not answers
	// (deliveries, escalations, handling) have no reason and are not in it.
	DimReason Dimension = "reason"
	// DimStep breaks down by survey step, the policy step id without its
	// cycle ("csat", "thanks", "recovery").
	DimStep Dimension = "step"
)

// Dimensions lists the breakdowns a report may ask for.
var Dimensions = []Dimension{DimProvider, DimAgent, DimLocation, DimReason, DimStep}

// NoValue is the breakdown value of a fact whose dimension is empty (an
// incident without agent, an answer without reasons).
const NoValue = "(none)"

// Counter field metric names. A field is "<metric>|<escaped value>".
const (
	mDelivered = "dlv"   // a survey step delivered
	mResponded = "rsp"   // … and answered or replied to after it went out
	mRecN      = "rec.n" // a recovery survey answered
	mRecOK     = "rec.ok"
	mEsc       = "esc"   // an attention episode's first alert
	mHdlSecs   = "hdl.s" // seconds from alert to handled, summed
	// Per score "csat.4", "nps.10", "ces.7"; per histogram bucket "hdl.12".
)

// Histogram of the time from alert to handled: bucket 0 holds under a
// minute, bucket i ≥ 1 holds [1m·2^((i-1)/2), 1m·2^(i/2)), the last one
// everything from about 23 days on. Log-spaced buckets with ratio √2 keep
// a median estimate within a factor 2^¼ (±19 %) of the truth whatever the
// scale, in 32 counters.
const HistBuckets = 32

var histBounds = func() [HistBuckets]time.Duration {
	var b [HistBuckets]time.Duration
	for i := 1; i < HistBuckets; i++ {
		b[i] = time.Duration(float64(time.Minute) * math.Pow(2, float64(i-1)/2))
	}
	return b
}()

// histBucket is the histogram bucket of a duration.
func histBucket(d time.Duration) int {
	// the last bound not above d
	return sort.Search(HistBuckets, func(i int) bool { return histBounds[i] > d }) - 1
}

// metric is one counter a fact adds to, before it is spread over periods
// and dimensions.
type metric struct {
	name string
	n    int64
}

// fact is one counted thing that happened to an incident: an answer, a
// delivered survey, an escalation episode, a handled episode.
type fact struct {
	id      string // identity within the incident ("a:csat-1")
	history bool   // kept when the domain trims it from a bounded list
	at      time.Time
	// dimension values; an empty step keeps the fact out of DimStep, and
	// reasonDim puts it in DimReason (under NoValue without reasons).
	provider, agent, location string
	step                      string
	reasons                   []string
	reasonDim                 bool
	metrics                   []metric
}

func (f *fact) equal(g *fact) bool {
	return f.at.Equal(g.at) && f.provider == g.provider && f.agent == g.agent && f.location == g.location &&
		f.step == g.step && f.reasonDim == g.reasonDim && slices.Equal(f.reasons, g.reasons) && slices.Equal(f.metrics, g.metrics)
}

// facts lists the counted facts of one state of an incident. It is a pure
// function of the incident and the policy (which tells recovery surveys
// and negative answers), so counting facts(after) − facts(before) on every
// write keeps the counters equal to the facts of the latest state.
func facts(p domain.Policy, inc domain.Incident) []fact {
	if inc.ID == "" {
		return nil
	}
	base := fact{provider: inc.Provider, agent: inc.Agent, location: inc.Location}
	var out []fact
	for key, a := range inc.Answers {
		f := base
		f.id, f.at, f.step, f.reasons, f.reasonDim = "a:"+key, a.AnsweredAt, stepBase(key), a.Reasons, true
		if domain.IsRecoveryKey(key, p) {
			// A recovery answer says whether the problem was fixed; it
			// is not a rating of the service, so it stays out of CSAT,
			// NPS and CES.
			f.metrics = append(f.metrics, metric{mRecN, 1})
			if !p.IsNegative(a.Survey, a.Score) {
				f.metrics = append(f.metrics, metric{mRecOK, 1})
			}
		} else if a.Survey.Check(a.Score) == nil {
			f.metrics = append(f.metrics, metric{scoreMetric(a.Survey, a.Score), 1})
		}
		if len(f.metrics) > 0 {
			out = append(out, f)
		}
	}
	// A survey is responded to by its answer or by any reply after it
	// went out, as Plan decides its reminder (RepliedAt keeps only the
	// latest reply, so a reply after a later cycle's survey also counts
	// for an earlier one left unanswered).
	for key, st := range inc.Steps {
		if st.Status != domain.StepSent || st.Survey == domain.SurveyNone || st.SentAt.IsZero() || strings.HasSuffix(key, "-r") {
			continue // not a survey that went out; a reminder is the same survey again
		}
		f := base
		f.id, f.history, f.at, f.step = "d:"+key, true, st.SentAt, stepBase(key)
		f.metrics = append(f.metrics, metric{mDelivered, 1})
		if _, answered := inc.Answers[key]; answered || inc.RepliedAt.After(st.SentAt) {
			f.metrics = append(f.metrics, metric{mResponded, 1})
		}
		out = append(out, f)
	}
	for _, e := range inc.Escalations {
		if e.Folded != 0 || e.N == 0 {
			continue // a follow-up alert of an episode already counted
		}
		f := base
		id := "e:" + strconv.Itoa(e.Episode)
		if e.Episode == 0 {
			id = "e:n" + strconv.Itoa(e.N)
		}
		f.id, f.history, f.at, f.step = id, true, e.At, stepBase(e.Step)
		f.metrics = append(f.metrics, metric{mEsc, 1})
		out = append(out, f)
	}
	if inc.Team != nil {
		for _, h := range inc.Team.Handled {
			if h.AlertedAt.IsZero() || h.At.IsZero() {
				continue // no alert to time from
			}
			d := max(h.At.Sub(h.AlertedAt), 0)
			f := base
			f.id, f.history, f.at = "h:"+strconv.Itoa(h.Episode), true, h.AlertedAt
			f.metrics = append(f.metrics,
				metric{"hdl." + strconv.Itoa(histBucket(d)), 1},
				metric{mHdlSecs, int64(d / time.Second)})
			out = append(out, f)
		}
	}
	return out
}

var scoreMetrics = func() map[domain.SurveyKind][]string {
	m := map[domain.SurveyKind][]string{}
	for _, s := range domain.SurveySpecs() {
		names := make([]string, s.Hi+1)
		for i := s.Lo; i <= s.Hi; i++ {
			names[i] = string(s.Kind) + "." + strconv.Itoa(i)
		}
		m[s.Kind] = names
	}
	return m
}()

func scoreMetric(k domain.SurveyKind, score int) string { return scoreMetrics[k][score] }

// stepBase is a step key without its cycle and reminder suffix:
// "csat-2" → "csat", "csat-2-r" → "csat", "recovery-3" → "recovery".
func stepBase(key string) string {
	key = strings.TrimSuffix(key, "-r")
	if i := strings.LastIndexByte(key, '-'); i > 0 {
		if _, err := strconv.Atoi(key[i+1:]); err == nil {
			return key[:i]
		}
	}
	return key
}

// Changes is what an incident write does to the report counters: the
// counted facts of after minus those of before, spread over their periods
// (ISO week and month, UTC) and dimensions, zero counters dropped, sorted
// by bucket. The store applies them exactly once per change id, so the
// counters always hold the facts of every incident's latest state: a
// score changed moves one count, an agent changed moves the incident's
// facts to the new agent, a deletion (after is the zero Incident) takes
// them all back.
//
// One exception keeps history: the domain trims its bounded lists (old
// step records, escalations, handled episodes) as an incident grows, and
// what happened stays counted when its record is trimmed (a non-deletion
// write whose after lacks a delivery, escalation or handling that before
// had leaves it counted). A later deletion then takes back only what the
// incident still holds.
//
// The change id that makes AddCounts exactly-once must name the write,
// not the delta: the incident's id with the Version the write stored
// (a deletion: with the Version it removed), or the stream record's
// sequence number, so a redelivered stream batch or a retried write
// counts once.
//
// A typical write changes one fact: 2 periods × up to 6 dimensions, at
// most 12 buckets. An answer write may touch two periods' worth, at most
// 24: a changed score moves the answer from its old time to the new one,
// and a first answer to a survey delivered in an earlier week or month
// marks that delivery responded (it counts at its delivery time, so a
// period's response rate is of the surveys it sent). A write that changes the incident's provider, agent or
// location moves every fact of the incident, so it touches the buckets of
// every period the incident has facts in.
func Changes(p domain.Policy, before, after domain.Incident) []store.CountDelta {
	fb, fa := facts(p, before), facts(p, after)
	acc := map[string]store.Counts{}
	for i := range fb {
		f := &fb[i]
		j := slices.IndexFunc(fa, func(g fact) bool { return g.id == f.id })
		switch {
		case j >= 0 && f.equal(&fa[j]):
			fa[j].id = "" // unchanged: nothing to count
		case j < 0 && f.history && after.ID != "":
			// trimmed from a bounded list: it happened, keep it counted
		default:
			f.add(acc, -1)
		}
	}
	for i := range fa {
		if fa[i].id != "" {
			fa[i].add(acc, 1)
		}
	}
	out := make([]store.CountDelta, 0, len(acc))
	for b, c := range acc {
		for k, v := range c {
			if v == 0 {
				delete(c, k)
			}
		}
		if len(c) > 0 {
			out = append(out, store.CountDelta{Bucket: b, Counts: c})
		}
	}
	slices.SortFunc(out, func(a, b store.CountDelta) int { return strings.Compare(a.Bucket, b.Bucket) })
	return out
}

// add spreads the fact's metrics, times sign, over its buckets.
func (f *fact) add(acc map[string]store.Counts, sign int64) {
	if f.at.IsZero() {
		return
	}
	for _, period := range [2]string{WeekKey(f.at), MonthKey(f.at)} {
		put := func(dim Dimension, value string) {
			b := period + "/" + string(dim)
			c := acc[b]
			if c == nil {
				c = store.Counts{}
				acc[b] = c
			}
			v := escapeValue(value)
			for _, m := range f.metrics {
				c[m.name+"|"+v] += sign * m.n
			}
		}
		put(DimAll, "all")
		put(DimProvider, f.provider)
		put(DimAgent, f.agent)
		put(DimLocation, f.location)
		if f.step != "" {
			put(DimStep, f.step)
		}
		if f.reasonDim {
			if len(f.reasons) == 0 {
				put(DimReason, "")
			}
			for _, r := range f.reasons {
				put(DimReason, r)
			}
		}
	}
}

// WeekKey names the ISO week of t in UTC: "W2026-48".
func WeekKey(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("W%04d-%02d", y, w)
}

// MonthKey names the month of t in UTC: "M2026-11".
func MonthKey(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("M%04d-%02d", t.Year(), int(t.Month()))
}

// escapeValue makes a dimension value safe inside a counter field and a
// bucket: '%', '|', '/' and control characters are percent-encoded, as is
// a value's leading '(' so that no value can read as NoValue, which
// stands for the empty one.
func escapeValue(v string) string {
	if v == "" {
		return NoValue
	}
	clean := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '%' || c == '|' || c == '/' || c < 0x20 || c == 0x7f || (i == 0 && c == '(') {
			clean = false
			break
		}
	}
	if clean {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '%' || c == '|' || c == '/' || c < 0x20 || c == 0x7f || (i == 0 && c == '(') {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescapeValue reverses escapeValue; NoValue reads as itself, the label
// a report shows.
func unescapeValue(v string) string {
	if strings.IndexByte(v, '%') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) {
			if n, err := strconv.ParseUint(v[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
