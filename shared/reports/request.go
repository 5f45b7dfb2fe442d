package reports

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Grouping is the period a report's rows span.
type Grouping string

// The groupings: ISO weeks (Monday to Monday, UTC) or calendar months (UTC).
const (
	GroupWeek  Grouping = "week"
	GroupMonth Grouping = "month"
)

// MaxRange is the longest range a report covers: three years is at most
// 158 weekly periods, 316 bucket reads with a breakdown.
const MaxRange = 3 // years

// Request asks for a report: the periods overlapping [From, To), grouped
// by week or month, and broken down by one dimension (DimNone for none).
// Periods are whole: a range starting on a Wednesday includes that whole
// ISO week, because the counters are kept per week and per month.
type Request struct {
	From, To  time.Time
	Group     Grouping
	Breakdown Dimension
}

// FieldError is a request that cannot be served, naming the field (a URL
// parameter of ParseRequest) so a form can show the problem beside it.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return "report request: " + e.Field + ": " + e.Problem }

// ErrBadRequest is wrapped by every FieldError, for callers that map
// errors to HTTP statuses in one place.
var ErrBadRequest = errors.New("bad report request")

// Unwrap makes errors.Is(err, ErrBadRequest) hold.
func (e *FieldError) Unwrap() error { return ErrBadRequest }

// Validate checks the request: a range that is not empty, not longer than
// MaxRange years (give or take the widening to whole periods), a known
// grouping and breakdown.
func (r Request) Validate() error {
	switch {
	case r.From.IsZero():
		return &FieldError{"from", "is required"}
	case r.To.IsZero():
		return &FieldError{"to", "is required"}
	case !r.From.Before(r.To):
		return &FieldError{"to", fmt.Sprintf("must be after from (%s), got %s", day(r.From), day(r.To))}
	case r.Group != GroupWeek && r.Group != GroupMonth:
		return &FieldError{"group", fmt.Sprintf("want week or month, got %q", string(r.Group))}
	case r.To.After(r.maxTo()):
		return &FieldError{"to", fmt.Sprintf("the range may span at most %d years", MaxRange)}
	case r.Breakdown != DimNone && !slices.Contains(Dimensions, r.Breakdown):
		return &FieldError{"by", fmt.Sprintf("want none, %s; got %q", dimensionList(), string(r.Breakdown))}
	}
	return nil
}

// maxTo is the latest To of a valid request: MaxRange years after From,
// widened to whole periods (a period of slack, as the widening may cross
// one more boundary).
func (r Request) maxTo() time.Time {
	end := r.From.AddDate(MaxRange, 0, 0)
	return nextPeriod(r.Group, nextPeriod(r.Group, periodStart(r.Group, end)))
}

func dimensionList() string {
	s := make([]string, len(Dimensions))
	for i, d := range Dimensions {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Period is one row of a report: a week or month, [Start, End) in UTC.
type Period struct {
	// Key names it as the counters do, "W2026-48" or "M2026-11".
	Key        string
	Start, End time.Time
}

// Label is how a chart or table names the period: "2026-W48", "2026-11".
func (p Period) Label() string {
	if strings.HasPrefix(p.Key, "W") {
		return p.Key[1:5] + "-W" + p.Key[6:]
	}
	return p.Key[1:]
}

// periodStart is the start of the period holding t.
func periodStart(g Grouping, t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	if g == GroupMonth {
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	}
	wd := (int(t.Weekday()) + 6) % 7 // Monday 0
	return time.Date(y, m, d-wd, 0, 0, 0, 0, time.UTC)
}

func nextPeriod(g Grouping, start time.Time) time.Time {
	if g == GroupMonth {
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 7)
}

// Periods lists the periods overlapping [From, To), oldest first; nil for
// an invalid request.
func (r Request) Periods() []Period {
	if r.Validate() != nil {
		return nil
	}
	var out []Period
	for s := periodStart(r.Group, r.From); s.Before(r.To); {
		e := nextPeriod(r.Group, s)
		key := MonthKey(s)
		if r.Group == GroupWeek {
			key = WeekKey(s)
		}
		out = append(out, Period{Key: key, Start: s, End: e})
		s = e
	}
	return out
}

// Buckets lists the counter buckets the report reads (store.Counters'
// ReadCounts): per period the totals and, with a breakdown, that
// dimension's bucket. A year by week with a breakdown is 106 reads; nil
// for an invalid request.
func (r Request) Buckets() []string {
	ps := r.Periods()
	if ps == nil {
		return nil
	}
	n := 1
	if r.Breakdown != DimNone {
		n = 2
	}
	out := make([]string, 0, n*len(ps))
	for _, p := range ps {
		out = append(out, p.Key+"/"+string(DimAll))
		if r.Breakdown != DimNone {
			out = append(out, p.Key+"/"+string(r.Breakdown))
		}
	}
	return out
}

// DefaultPeriods is how many periods a request without a range covers,
// ending with the one that holds now.
const DefaultPeriods = 12

// ParseRequest reads a report request from a URL query: from and to as
// dates (2026-11-30, to inclusive), group (week or month, default week),
// by (none, provider, agent, location, reason, step; default none). A
// missing from or to defaults to DefaultPeriods periods ending with the
// current one (the last 12 weeks, or 12 months by month). The range is
// widened to whole periods. Errors are *FieldError.
func ParseRequest(q url.Values, now time.Time) (Request, error) {
	r := Request{Group: Grouping(strings.TrimSpace(q.Get("group"))), Breakdown: Dimension(strings.TrimSpace(q.Get("by")))}
	if r.Group == "" {
		r.Group = GroupWeek
	}
	if r.Breakdown == "none" {
		r.Breakdown = DimNone
	}
	if r.Group != GroupWeek && r.Group != GroupMonth {
		return Request{}, &FieldError{"group", fmt.Sprintf("want week or month, got %q", string(r.Group))}
	}
	parse := func(field string) (time.Time, error) {
		v := strings.TrimSpace(q.Get(field))
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, &FieldError{field, fmt.Sprintf("want a date like 2026-11-30, got %q", v)}
		}
		return t, nil
	}
	from, err := parse("from")
	if err != nil {
		return Request{}, err
	}
	to, err := parse("to")
	if err != nil {
		return Request{}, err
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1) // inclusive
	}
	back := func(t time.Time) time.Time {
		if r.Group == GroupMonth {
			return t.AddDate(0, -DefaultPeriods, 0)
		}
		return t.AddDate(0, 0, -7*DefaultPeriods)
	}
	switch {
	case from.IsZero() && to.IsZero():
		to = nextPeriod(r.Group, periodStart(r.Group, now))
		from = back(to)
	case from.IsZero():
		from = back(to)
	case to.IsZero():
		to = nextPeriod(r.Group, periodStart(r.Group, now))
	}
	r.From, r.To = from, to
	if err := r.Validate(); err != nil {
		return Request{}, err
	}
	// Widened after validation, so that three years asked for are
	// served even when they start mid-week.
	r.From = periodStart(r.Group, from)
	if s := periodStart(r.Group, to); s.Before(to) {
		r.To = nextPeriod(r.Group, s)
	}
	return r, nil
}
