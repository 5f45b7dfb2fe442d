package reports_test

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/reports"
	"github.com/aftercare/aftercare/shared/store"
)

// The whole path: every incident write's Changes go to the counters
// (here a map standing in for store.Counters), the page reads the
// buckets its request names and builds the report.
func Example() {
	p := domain.DefaultPolicy()
	counters := map[string]store.Counts{}
	add := func(ds []store.CountDelta) {
		for _, d := range ds {
			if counters[d.Bucket] == nil {
				counters[d.Bucket] = store.Counts{}
			}
			for k, v := range d.Counts {
				counters[d.Bucket][k] += v
			}
		}
	}
	sentAt := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i, score := range []int{5, 4, 2} {
		before := domain.Incident{ID: fmt.Sprint("inc_", i), Provider: "calcom", Agent: "ana",
			Steps: map[string]domain.StepState{"csat-1": {Status: domain.StepSent, Survey: domain.SurveyCSAT, SentAt: sentAt}}}
		add(reports.Changes(p, domain.Incident{}, before))
		after := before
		after.Answers = map[string]domain.Answer{"csat-1": {Survey: domain.SurveyCSAT, Score: score, AnsweredAt: sentAt.Add(time.Hour)}}
		add(reports.Changes(p, before, after))
	}

	r, err := reports.ParseRequest(url.Values{"from": {"2026-11-23"}, "to": {"2026-11-29"}, "by": {"agent"}}, sentAt)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Buckets())
	read := map[string]store.Counts{}
	for _, b := range r.Buckets() {
		if c, ok := counters[b]; ok {
			read[b] = c
		}
	}
	rep := reports.Build(r, read)
	f := rep.Total
	fmt.Printf("CSAT %.1f%% (n=%d), response %d of %d\n", f.CSAT.Percent, f.CSAT.N, f.Response.Responded, f.Response.Delivered)
	for _, v := range rep.Breakdown {
		fmt.Printf("%s: CSAT %.1f%% (n=%d)\n", v.Value, v.Figures.CSAT.Percent, v.Figures.CSAT.N)
	}
	var svg strings.Builder
	_ = reports.TrendSVG(&svg, "CSAT %", reports.Trend(rep, func(f reports.Figures) (float64, int) { return f.CSAT.Percent, f.CSAT.N }))
	fmt.Println(strings.Contains(svg.String(), "2026-W48: 66.7 (n=3)"))

	var csv strings.Builder
	c := reports.NewAnswerCSV(&csv)
	_ = c.Write(domain.Incident{ID: "inc_9", Provider: "calcom", Ref: "-1", Answers: map[string]domain.Answer{
		"csat-1": {Survey: domain.SurveyCSAT, Score: 1, Comment: "=1+1", AnsweredAt: sentAt}}})
	_ = c.Flush()
	// (the byte order mark and CRLF line ends left out here)
	fmt.Print(strings.ReplaceAll(strings.TrimPrefix(csv.String(), "\uFEFF"), "\r\n", "\n"))
	// Output:
	// [W2026-48/all W2026-48/agent]
	// CSAT 66.7% (n=3), response 3 of 3
	// ana: CSAT 66.7% (n=3)
	// true
	// incident_id,provider,reference,step,survey,score,comment,reasons,answered_at
	// inc_9,calcom,'-1,csat-1,csat,1,'=1+1,,2026-11-24 10:00:00
}
