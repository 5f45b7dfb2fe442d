package web

// dash_reports.go is the reports page (figures with their counts, SVG
// charts, per-period and breakdown tables) and the CSV exports.

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/reports"
	"github.com/aftercare/aftercare/shared/store"
)

// reportView is the reports page's data, already in words.
type reportView struct {
	From, To, Range string
	Group           reports.Grouping
	By              reports.Dimension
	Groups          []reports.Grouping
	Dims            []reports.Dimension
	Figures         []figureView
	Charts          []template.HTML
	Rows            []rowView
	Breakdown       []rowView
}

type figureView struct{ Key, Name, Value, Detail string }

type rowView struct {
	Label string
	Cells []string
}

func (d *dash) reports(w http.ResponseWriter, r *http.Request, sess app.Session) {
	code := http.StatusOK
	req, perr := reports.ParseRequest(r.URL.Query(), d.clock.Now())
	if perr != nil {
		if !errors.Is(perr, reports.ErrBadRequest) {
			d.fail(w, r, perr)
			return
		}
		// Say what was wrong, over the default report.
		code = http.StatusBadRequest
		req, _ = reports.ParseRequest(nil, d.clock.Now())
	}
	rep, err := d.svc.Report(r.Context(), req)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data := reportData(req, rep)
	if perr != nil {
		data.Error = perr.Error()
	}
	d.signedPage(w, sess, code, "dash_reports.html", data)
}

func reportData(req reports.Request, rep reports.Report) dashData {
	last := req.To.Add(-time.Nanosecond)
	v := &reportView{
		From: req.From.Format(time.DateOnly), To: last.Format(time.DateOnly),
		Range: fmt.Sprintf("%s to %s", req.From.Format("2 Jan 2006"), last.Format("2 Jan 2006")),
		Group: req.Group, By: req.Breakdown,
		Groups: []reports.Grouping{reports.GroupWeek, reports.GroupMonth},
		Dims:   []reports.Dimension{"none", reports.DimProvider, reports.DimAgent, reports.DimLocation, reports.DimReason, reports.DimStep},
	}
	if v.By == reports.DimNone {
		v.By = "none"
	}
	f := rep.Total
	v.Figures = []figureView{
		{"csat", "CSAT", pct(f.CSAT.Percent, f.CSAT.N), fmt.Sprintf("%d of %d answers were 4 or 5 (n=%d)", f.CSAT.Positive, f.CSAT.N, f.CSAT.N)},
		{"nps", "NPS", signed(f.NPS.Score, f.NPS.N), fmt.Sprintf("%d promoters, %d passives, %d detractors (n=%d)", f.NPS.Promoters, f.NPS.Passives, f.NPS.Detractors, f.NPS.N)},
		{"ces", "CES (1–7, higher is easier)", avg(f.CES.Avg, f.CES.N), fmt.Sprintf("n=%d", f.CES.N)},
		{"response", "Response rate", pct(f.Response.Percent, f.Response.Delivered), fmt.Sprintf("%d answered or replied of %d surveys delivered", f.Response.Responded, f.Response.Delivered)},
		{"recovery", "Recovery rate", pct(f.Recovery.Percent, f.Recovery.Answered), fmt.Sprintf("%d fixed of %d recovery answers", f.Recovery.Recovered, f.Recovery.Answered)},
		{"escalations", "Escalations", fmt.Sprint(f.Escalations), "attention episodes opened"},
		{"handled", "Alert to handled (median)", median(f.Handled), fmt.Sprintf("n=%d handled", f.Handled.N)},
	}
	chart := func(write func(*strings.Builder) error) {
		var b strings.Builder
		if err := write(&b); err == nil {
			// reports' SVG writer escapes every text it writes.
			v.Charts = append(v.Charts, template.HTML(b.String()))
		}
	}
	chart(func(b *strings.Builder) error {
		return reports.TrendSVG(b, "CSAT % by "+string(req.Group), reports.Trend(rep, func(f reports.Figures) (float64, int) { return f.CSAT.Percent, f.CSAT.N }))
	})
	chart(func(b *strings.Builder) error {
		return reports.TrendSVG(b, "NPS by "+string(req.Group), reports.Trend(rep, func(f reports.Figures) (float64, int) { return f.NPS.Score, f.NPS.N }))
	})
	chart(func(b *strings.Builder) error {
		return reports.DistributionSVG(b, "CSAT answers", reports.CSATBars(f.CSAT))
	})
	chart(func(b *strings.Builder) error {
		return reports.DistributionSVG(b, "NPS answers", reports.NPSBars(f.NPS))
	})
	chart(func(b *strings.Builder) error {
		return reports.DistributionSVG(b, "CES answers", reports.CESBars(f.CES))
	})
	for _, p := range rep.Periods {
		v.Rows = append(v.Rows, rowView{p.Period.Label(), cells(p.Figures)})
	}
	for _, b := range rep.Breakdown {
		label := b.Value
		if b.None {
			label = "(none)"
		}
		v.Breakdown = append(v.Breakdown, rowView{label, cells(b.Figures)})
	}
	return dashData{Title: "Reports", Here: "reports", Report: v}
}

func cells(f reports.Figures) []string {
	return []string{
		pct(f.CSAT.Percent, f.CSAT.N) + n(f.CSAT.N),
		signed(f.NPS.Score, f.NPS.N) + n(f.NPS.N),
		avg(f.CES.Avg, f.CES.N) + n(f.CES.N),
		pct(f.Response.Percent, f.Response.Delivered) + n(f.Response.Delivered),
		pct(f.Recovery.Percent, f.Recovery.Answered) + n(f.Recovery.Answered),
		fmt.Sprint(f.Escalations),
		median(f.Handled) + n(f.Handled.N),
	}
}

func n(count int) string { return fmt.Sprintf(" (n=%d)", count) }

func pct(v float64, count int) string {
	if count == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", v)
}

func signed(v float64, count int) string {
	if count == 0 {
		return "—"
	}
	return fmt.Sprintf("%+.0f", v)
}

func avg(v float64, count int) string {
	if count == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", v)
}

func median(h reports.Handled) string {
	if h.N == 0 {
		return "—"
	}
	return "≈ " + waited(h.Median)
}

// export sends a CSV export in parts of app.ExportPart incidents (about
// 2 MB, under the 6 MB a Lambda may answer through API Gateway): a part
// that is not the last names the next in a Link header (rel="next") and
// in X-Aftercare-Next-Part. A part is written into memory first, so that
// its headers can name the next one and a failure is an error page rather
// than a file cut short; memory holds one part, never the whole export.
func (d *dash) export(w http.ResponseWriter, r *http.Request, _ app.Session) {
	kind := strings.TrimSuffix(r.PathValue("file"), ".csv")
	if kind != app.ExportIncidents && kind != app.ExportAnswers {
		http.NotFound(w, r)
		return
	}
	cursor := store.Cursor(r.URL.Query().Get("part"))
	var buf bytes.Buffer
	next, err := d.svc.ExportCSV(r.Context(), kind, &buf, cursor, d.exportPart)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	name := fmt.Sprintf("aftercare-%s-%s", kind, d.clock.Now().UTC().Format("20060102"))
	if cursor != "" {
		name += "-continued"
	}
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	if next != "" {
		u := d.base + "/team/export/" + kind + ".csv?part=" + url.QueryEscape(string(next))
		h.Set("Link", "<"+u+`>; rel="next"`)
		h.Set("X-Aftercare-Next-Part", u)
	}
	if _, err := buf.WriteTo(w); err != nil {
		d.log.WarnContext(r.Context(), "export not delivered whole", "kind", kind, "error", err)
	}
}
