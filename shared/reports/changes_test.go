package reports

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

var t0 = time.Date(2026, 9, 28, 10, 0, 0, 0, time.UTC) // a Monday, ISO week 40

// clone deep-copies the parts of an incident Changes reads, so a test's
// states do not share maps and slices.
func clone(inc domain.Incident) domain.Incident {
	c := inc
	c.Steps = maps.Clone(inc.Steps)
	c.Answers = maps.Clone(inc.Answers)
	for k, a := range c.Answers {
		a.Reasons = slices.Clone(a.Reasons)
		c.Answers[k] = a
	}
	c.Escalations = slices.Clone(inc.Escalations)
	if inc.Team != nil {
		t := *inc.Team
		t.Handled = slices.Clone(t.Handled)
		c.Team = &t
	}
	if inc.Recovered != nil {
		r := *inc.Recovered
		c.Recovered = &r
	}
	return c
}

// apply adds deltas into acc, dropping counters that reach zero, as a
// store would keep them.
func apply(acc map[string]store.Counts, deltas []store.CountDelta) {
	for _, d := range deltas {
		c := acc[d.Bucket]
		if c == nil {
			c = store.Counts{}
			acc[d.Bucket] = c
		}
		for k, v := range d.Counts {
			c[k] += v
			if c[k] == 0 {
				delete(c, k)
			}
		}
		if len(c) == 0 {
			delete(acc, d.Bucket)
		}
	}
}

func newIncident() domain.Incident {
	return domain.Incident{ID: "inc_1", Provider: "calcom", Ref: "b1", Kind: domain.KindTicket, Agent: "ana", Location: "Athens"}
}

func sent(inc *domain.Incident, key string, k domain.SurveyKind, at time.Time) {
	if inc.Steps == nil {
		inc.Steps = map[string]domain.StepState{}
	}
	inc.Steps[key] = domain.StepState{Status: domain.StepSent, Survey: k, SentAt: at}
}

func answer(inc *domain.Incident, key string, k domain.SurveyKind, score int, at time.Time, reasons ...string) {
	if inc.Answers == nil {
		inc.Answers = map[string]domain.Answer{}
	}
	inc.Answers[key] = domain.Answer{Survey: k, Score: score, AnsweredAt: at, Reasons: reasons}
}

func bucketNames(ds []store.CountDelta) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Bucket)
	}
	return out
}

func TestChangesOneAnswer(t *testing.T) {
	p := domain.DefaultPolicy()
	before := newIncident()
	sent(&before, "csat-1", domain.SurveyCSAT, t0)
	after := clone(before)
	answer(&after, "csat-1", domain.SurveyCSAT, 5, t0.Add(time.Hour), "staff", "price|x")
	got := Changes(p, before, after)
	want := []string{
		"M2026-09/agent", "M2026-09/all", "M2026-09/location", "M2026-09/provider", "M2026-09/reason", "M2026-09/step",
		"W2026-40/agent", "W2026-40/all", "W2026-40/location", "W2026-40/provider", "W2026-40/reason", "W2026-40/step",
	}
	if names := bucketNames(got); !slices.Equal(names, want) {
		t.Fatalf("buckets = %v, want %v", names, want)
	}
	byBucket := map[string]store.Counts{}
	for _, d := range got {
		byBucket[d.Bucket] = d.Counts
	}
	checks := map[string]store.Counts{
		"W2026-40/all": {"csat.5|all": 1, "rsp|all": 1},
		// the delivery is now responded to; the answer counts once per reason
		"W2026-40/reason":   {"csat.5|staff": 1, "csat.5|price%7Cx": 1},
		"W2026-40/step":     {"csat.5|csat": 1, "rsp|csat": 1},
		"M2026-09/location": {"csat.5|Athens": 1, "rsp|Athens": 1},
	}
	for b, want := range checks {
		if !maps.Equal(byBucket[b], want) {
			t.Errorf("%s = %v, want %v", b, byBucket[b], want)
		}
	}
}

func TestChangesScoreChangeMovesOneCount(t *testing.T) {
	p := domain.DefaultPolicy()
	before := newIncident()
	sent(&before, "csat-1", domain.SurveyCSAT, t0)
	answer(&before, "csat-1", domain.SurveyCSAT, 2, t0.Add(time.Hour))
	after := clone(before)
	answer(&after, "csat-1", domain.SurveyCSAT, 4, t0.Add(2*time.Hour))
	for _, d := range Changes(p, before, after) {
		if !strings.HasSuffix(d.Bucket, "/all") {
			continue
		}
		want := store.Counts{"csat.2|all": -1, "csat.4|all": 1}
		if !maps.Equal(d.Counts, want) {
			t.Errorf("%s = %v, want %v", d.Bucket, d.Counts, want)
		}
	}
}

func TestChangesNothingCountedChangesNothing(t *testing.T) {
	p := domain.DefaultPolicy()
	before := newIncident()
	sent(&before, "csat-1", domain.SurveyCSAT, t0)
	after := clone(before)
	after.Title, after.UpdatedAt = "new title", t0.Add(time.Hour)
	after.Timeline = append(after.Timeline, domain.Entry{At: t0, Kind: "note"})
	if got := Changes(p, before, after); len(got) != 0 {
		t.Fatalf("Changes = %v, want none", got)
	}
}

func TestChangesReminderAndUnsentStepsAreNotDeliveries(t *testing.T) {
	p := domain.DefaultPolicy()
	inc := newIncident()
	sent(&inc, "csat-1", domain.SurveyCSAT, t0)
	sent(&inc, "csat-1-r", domain.SurveyCSAT, t0.Add(72*time.Hour))
	sent(&inc, "thanks-1", domain.SurveyNone, t0)
	inc.Steps["nps-1"] = domain.StepState{Status: domain.StepFailed, Survey: domain.SurveyNPS}
	acc := map[string]store.Counts{}
	apply(acc, Changes(p, domain.Incident{}, inc))
	if got := acc["W2026-40/all"]; !maps.Equal(got, store.Counts{"dlv|all": 1}) {
		t.Fatalf("W2026-40/all = %v, want one delivery", got)
	}
	if _, ok := acc["W2026-41/all"]; ok {
		t.Fatalf("the reminder was counted: %v", acc)
	}
}

func TestChangesRecoveryIsNotCSAT(t *testing.T) {
	p := domain.DefaultPolicy()
	inc := newIncident()
	sent(&inc, "recovery-2", domain.SurveyCSAT, t0)
	answer(&inc, "recovery-2", domain.SurveyCSAT, 4, t0)
	sent(&inc, "recovery-3", domain.SurveyCSAT, t0)
	answer(&inc, "recovery-3", domain.SurveyCSAT, 1, t0)
	acc := map[string]store.Counts{}
	apply(acc, Changes(p, domain.Incident{}, inc))
	want := store.Counts{"dlv|all": 2, "rsp|all": 2, "rec.n|all": 2, "rec.ok|all": 1}
	if got := acc["W2026-40/all"]; !maps.Equal(got, want) {
		t.Fatalf("W2026-40/all = %v, want %v", got, want)
	}
}

func TestChangesEscalationPerEpisodeAndHandled(t *testing.T) {
	p := domain.DefaultPolicy()
	inc := newIncident()
	inc.Escalations = []domain.Escalation{
		{N: 1, Episode: 1, At: t0, Cause: domain.CauseNegative, Step: "csat-1"},
		{N: 2, Episode: 1, At: t0.Add(time.Hour), Cause: domain.CauseUpdated, Folded: 3},
		{N: 3, Episode: 2, At: t0.Add(8 * 24 * time.Hour), Cause: domain.CauseReply},
	}
	inc.Team = &domain.Handling{Handled: []domain.HandledEpisode{
		{Episode: 1, AlertedAt: t0, At: t0.Add(90 * time.Minute)},
	}}
	acc := map[string]store.Counts{}
	apply(acc, Changes(p, domain.Incident{}, inc))
	wantW40 := store.Counts{"esc|all": 1, "hdl." + fmt.Sprint(histBucket(90*time.Minute)) + "|all": 1, "hdl.s|all": 5400}
	if got := acc["W2026-40/all"]; !maps.Equal(got, wantW40) {
		t.Errorf("W2026-40/all = %v, want %v", got, wantW40)
	}
	if got := acc["W2026-41/all"]; !maps.Equal(got, store.Counts{"esc|all": 1}) {
		t.Errorf("W2026-41/all = %v, want one escalation", got)
	}
	if got := acc["W2026-40/step"]; !maps.Equal(got, store.Counts{"esc|csat": 1}) {
		t.Errorf("W2026-40/step = %v, want the escalation under csat", got)
	}
}

func TestChangesAgentChangeMovesFacts(t *testing.T) {
	p := domain.DefaultPolicy()
	before := newIncident()
	sent(&before, "csat-1", domain.SurveyCSAT, t0)
	answer(&before, "csat-1", domain.SurveyCSAT, 3, t0)
	after := clone(before)
	after.Agent = "bob/ops"
	acc := map[string]store.Counts{}
	apply(acc, Changes(p, domain.Incident{}, before))
	ds := Changes(p, before, after)
	for _, d := range ds {
		if !strings.HasSuffix(d.Bucket, "/agent") {
			t.Errorf("agent change touched %s: %v", d.Bucket, d.Counts)
		}
	}
	apply(acc, ds)
	want := store.Counts{"dlv|bob%2Fops": 1, "rsp|bob%2Fops": 1, "csat.3|bob%2Fops": 1}
	if got := acc["W2026-40/agent"]; !maps.Equal(got, want) {
		t.Fatalf("W2026-40/agent = %v, want %v", got, want)
	}
}

func TestChangesTrimmedHistoryStaysCounted(t *testing.T) {
	p := domain.DefaultPolicy()
	before := newIncident()
	sent(&before, "csat-1", domain.SurveyCSAT, t0)
	before.Escalations = []domain.Escalation{{N: 1, Episode: 1, At: t0}}
	before.Team = &domain.Handling{Handled: []domain.HandledEpisode{{Episode: 1, AlertedAt: t0, At: t0.Add(time.Hour)}}}
	after := clone(before)
	delete(after.Steps, "csat-1")
	after.Escalations = after.Escalations[1:]
	after.Team.Handled = nil
	if got := Changes(p, before, after); len(got) != 0 {
		t.Fatalf("trimming uncounted history: %v", got)
	}
	// A deletion takes back what the incident holds.
	acc := map[string]store.Counts{}
	apply(acc, Changes(p, domain.Incident{}, before))
	apply(acc, Changes(p, before, domain.Incident{}))
	if len(acc) != 0 {
		t.Fatalf("after deletion: %v", acc)
	}
}

// TestChangesSumToFacts drives random incidents through random writes
// (answers and score changes, reasons, deliveries, replies, escalations,
// handling, agent and location changes, deletions) and checks that the
// deltas of consecutive states always add up to the facts of the latest
// state, counted from scratch.
func TestChangesSumToFacts(t *testing.T) {
	p := domain.DefaultPolicy()
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []domain.SurveyKind{domain.SurveyCSAT, domain.SurveyNPS, domain.SurveyCES}
	for seq := range 300 {
		acc := map[string]store.Counts{}
		var cur domain.Incident
		now := t0
		for step := range 40 {
			next := clone(cur)
			now = now.Add(time.Duration(rng.IntN(200)) * time.Hour)
			if next.ID == "" {
				next = newIncident()
				next.ID = fmt.Sprintf("inc_%d", seq)
			}
			cycle := 1 + rng.IntN(3)
			key := []string{"csat", "nps", "thanks", "recovery"}[rng.IntN(4)] + fmt.Sprintf("-%d", cycle)
			k := kinds[rng.IntN(3)]
			answered := false
			switch rng.IntN(11) {
			case 0:
				next.Agent = []string{"", "ana", "bob", "c|d"}[rng.IntN(4)]
			case 1:
				next.Location = []string{"", "Athens", "Μύκονος", "a/b"}[rng.IntN(4)]
			case 2, 3:
				sent(&next, key, k, now)
			case 4:
				sent(&next, key+"-r", k, now)
			case 5, 6:
				if st, ok := next.Steps[key]; ok && st.Survey != "" {
					lo, hi := st.Survey.Range()
					answer(&next, key, st.Survey, lo+rng.IntN(hi-lo+1), now, []string{"staff", "price", "waiting"}[:rng.IntN(3)]...)
					answered = true
				}
			case 7:
				next.RepliedAt = now
			case 8:
				next.Episodes++
				folded := 0
				if rng.IntN(2) == 0 && len(next.Escalations) > 0 {
					folded, next.Episodes = 1, next.Episodes-1
				}
				next.Escalations = append(next.Escalations, domain.Escalation{N: len(next.Escalations) + 1, Episode: next.Episodes, At: now, Folded: folded, Step: key})
			case 9:
				if next.Team == nil {
					next.Team = &domain.Handling{}
				}
				next.Team.Handled = append(next.Team.Handled, domain.HandledEpisode{Episode: next.Episodes, AlertedAt: now.Add(-time.Duration(rng.IntN(1e6)) * time.Second), At: now})
			case 10:
				if rng.IntN(4) == 0 {
					next = domain.Incident{} // deleted
				}
			}
			ds := Changes(p, cur, next)
			if answered && cur.ID != "" && len(ds) > 24 {
				t.Fatalf("sequence %d, write %d: one write touched %d buckets: %v", seq, step, len(ds), bucketNames(ds))
			}
			apply(acc, ds)
			want := map[string]store.Counts{}
			apply(want, Changes(p, domain.Incident{}, next))
			if !maps.EqualFunc(acc, want, maps.Equal) {
				t.Fatalf("sequence %d, write %d: counters drifted from the facts of the state\n got %v\nwant %v", seq, step, acc, want)
			}
			cur = next
		}
	}
}

func TestEscapeValue(t *testing.T) {
	for _, v := range []string{"plain", "a|b", "x/y", "100%", "(none)", "tab\there", "Μύκονος", "(a)"} {
		e := escapeValue(v)
		if strings.ContainsAny(e, "|/\t") || e == NoValue {
			t.Errorf("escapeValue(%q) = %q, still ambiguous", v, e)
		}
		if got := unescapeValue(e); got != v {
			t.Errorf("unescapeValue(escapeValue(%q)) = %q", v, got)
		}
	}
	if escapeValue("") != NoValue {
		t.Errorf("empty value is %q, want %q", escapeValue(""), NoValue)
	}
}

func TestStepBase(t *testing.T) {
	for key, want := range map[string]string{"csat-2": "csat", "csat-2-r": "csat", "recovery-13": "recovery", "thanks": "thanks", "a-b-1": "a-b", "": ""} {
		if got := stepBase(key); got != want {
			t.Errorf("stepBase(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestPeriodKeys(t *testing.T) {
	for _, c := range []struct {
		t           time.Time
		week, month string
	}{
		{time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), "W2026-53", "M2027-01"},
		{time.Date(2026, 12, 31, 23, 30, 0, 0, time.FixedZone("x", -3600)), "W2026-53", "M2027-01"}, // UTC 1 January
		{time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), "W2026-49", "M2026-11"},
	} {
		if w, m := WeekKey(c.t), MonthKey(c.t); w != c.week || m != c.month {
			t.Errorf("%v: %s %s, want %s %s", c.t, w, m, c.week, c.month)
		}
	}
}
