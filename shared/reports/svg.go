package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Charts are drawn on the server as SVG so that the reports page needs no
// JavaScript and no external resource (the strict CSP allows neither):
// presentation attributes only (a style attribute would need
// 'unsafe-inline'), a viewBox and width 100% so they scale to a phone, a
// <title> and a <desc> holding the data as text for screen readers
// (role="img", aria-labelledby), and every text escaped.

// Point is one value of a trend line, e.g. a period's CSAT %.
type Point struct {
	Label string
	Value float64
	// N is the count the value stands on; a point with N 0 has no data
	// and breaks the line.
	N int
}

// Bar is one bar of a distribution, e.g. how many answered 4.
type Bar struct {
	Label string
	Count int
}

// Chart geometry, in viewBox units. 400 wide at font size 13 still reads
// at about 11 px on a 360 px phone.
const (
	chartW, chartH = 400, 240
	padL, padR     = 44, 12
	padT, padB     = 30, 34
	fontSize       = 13
)

type svgBuf struct{ bytes.Buffer }

// text writes s escaped for XML text and attribute values (quotes too);
// characters XML cannot hold become U+FFFD.
func (b *svgBuf) text(s string) { _ = xml.EscapeText(&b.Buffer, []byte(s)) }

func (b *svgBuf) f(format string, args ...any) { fmt.Fprintf(&b.Buffer, format, args...) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// open writes the root element, its title and desc.
func (b *svgBuf) open(title, desc string) {
	h := fnv.New64a()
	h.Write([]byte(title))
	h.Write([]byte{0})
	h.Write([]byte(desc))
	id := fmt.Sprintf("chart-%016x", h.Sum64())
	b.f(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-t %s-d" font-family="sans-serif" font-size="%d">`,
		chartW, chartH, id, id, fontSize)
	b.f(`<title id="%s-t">`, id)
	b.text(title)
	b.f(`</title><desc id="%s-d">`, id)
	b.text(desc)
	b.f(`</desc>`)
	b.f(`<text x="%d" y="18" font-weight="bold">`, padL)
	b.text(title)
	b.f(`</text>`)
}

func (b *svgBuf) flush(w io.Writer, what string) error {
	b.f("</svg>")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("reports: write %s chart: %w", what, err)
	}
	return nil
}

// scale picks the value axis: 0–100 for percentages, −100–100 for NPS,
// else 0 (or the minimum) to a round maximum.
func scale(points []Point) (lo, hi float64) {
	first := true
	for _, p := range points {
		if p.N == 0 {
			continue
		}
		if first {
			lo, hi, first = p.Value, p.Value, false
		}
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	switch {
	case first:
		return 0, 100
	case lo >= 0 && hi <= 100 && hi > 10:
		return 0, 100
	case lo >= -100 && lo < 0 && hi <= 100:
		return -100, 100
	}
	lo = math.Min(0, lo)
	return lo, niceCeil(math.Max(hi, lo+1))
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// labelEvery thins axis labels so that they do not overlap: a label is
// about 0.6 em a character wide, with a gap of one em between labels.
func labelEvery[T any](items []T, label func(T) string) int {
	longest := 1
	for _, it := range items {
		longest = max(longest, utf8.RuneCountInString(label(it)))
	}
	fit := max(1, int(float64(chartW-padL-padR)/(float64(longest)*0.6*fontSize+fontSize)))
	return max(1, (len(items)+fit-1)/fit)
}

// TrendSVG draws a line of one value per period (CSAT %, NPS, CES
// average…). Points without data (N 0) break the line; each point carries
// its value and count as a tooltip, and the desc lists them all.
func TrendSVG(w io.Writer, title string, points []Point) error {
	var desc bytes.Buffer
	desc.WriteString("Trend of " + title + ".")
	for _, p := range points {
		if p.N == 0 {
			fmt.Fprintf(&desc, " %s: no data;", p.Label)
		} else {
			fmt.Fprintf(&desc, " %s: %s (n=%d);", p.Label, num(p.Value), p.N)
		}
	}
	var b svgBuf
	b.open(title, desc.String())
	lo, hi := scale(points)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	y := func(v float64) float64 { return float64(padT) + plotH*(hi-v)/(hi-lo) }
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		b.f(`<line x1="%d" x2="%d" y1="%s" y2="%s" stroke="#ddd"/>`, padL, chartW-padR, num(y(v)), num(y(v)))
		b.f(`<text x="%d" y="%s" text-anchor="end" dominant-baseline="middle" fill="#555">%s</text>`, padL-4, num(y(v)), strconv.FormatFloat(v, 'g', 4, 64))
	}
	if len(points) == 0 {
		b.f(`<text x="%d" y="%d" text-anchor="middle" fill="#555">No data</text>`, chartW/2, chartH/2)
		return b.flush(w, "trend")
	}
	x := func(i int) float64 { return float64(padL) + plotW*(float64(i)+0.5)/float64(len(points)) }
	var path bytes.Buffer
	pen := false
	for i, p := range points {
		if p.N == 0 {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		fmt.Fprintf(&path, "%s%s %s ", cmd, num(x(i)), num(y(p.Value)))
		pen = true
	}
	if path.Len() > 0 {
		b.f(`<path d="%s" fill="none" stroke="#1f5fa8" stroke-width="2"/>`, bytes.TrimSpace(path.Bytes()))
	}
	every := labelEvery(points, func(p Point) string { return p.Label })
	for i, p := range points {
		if p.N > 0 {
			b.f(`<circle cx="%s" cy="%s" r="3.5" fill="#1f5fa8"><title>`, num(x(i)), num(y(p.Value)))
			b.text(fmt.Sprintf("%s: %s (n=%d)", p.Label, num(p.Value), p.N))
			b.f(`</title></circle>`)
		}
		if i%every == 0 {
			b.f(`<text x="%s" y="%d" text-anchor="middle" fill="#333">`, num(x(i)), chartH-padB+18)
			b.text(p.Label)
			b.f(`</text>`)
		}
	}
	return b.flush(w, "trend")
}

// DistributionSVG draws one bar per score (or any category) with its
// count above it; the desc lists each count and its share.
func DistributionSVG(w io.Writer, title string, bars []Bar) error {
	total, top := 0, 0
	for _, bar := range bars {
		total += max(bar.Count, 0)
		top = max(top, bar.Count)
	}
	var desc bytes.Buffer
	fmt.Fprintf(&desc, "Distribution of %s, n=%d.", title, total)
	for _, bar := range bars {
		fmt.Fprintf(&desc, " %s: %d (%s%%);", bar.Label, bar.Count, num(percent(bar.Count, total)))
	}
	var b svgBuf
	b.open(title, desc.String())
	// headroom for the count above the tallest bar
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB-fontSize)
	b.f(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#999"/>`, padL, chartW-padR, chartH-padB, chartH-padB)
	if total == 0 {
		b.f(`<text x="%d" y="%d" text-anchor="middle" fill="#555">No data</text>`, chartW/2, chartH/2)
		return b.flush(w, "distribution")
	}
	slot := plotW / float64(len(bars))
	every := labelEvery(bars, func(b Bar) string { return b.Label })
	for i, bar := range bars {
		h := plotH * float64(max(bar.Count, 0)) / float64(top)
		x := float64(padL) + slot*float64(i)
		b.f(`<rect x="%s" y="%s" width="%s" height="%s" fill="#1f5fa8"><title>`,
			num(x+slot*0.1), num(float64(chartH-padB)-h), num(slot*0.8), num(h))
		b.text(fmt.Sprintf("%s: %d (%s%%)", bar.Label, bar.Count, num(percent(bar.Count, total))))
		b.f(`</title></rect>`)
		b.f(`<text x="%s" y="%s" text-anchor="middle" fill="#333">%d</text>`, num(x+slot/2), num(float64(chartH-padB)-h-4), bar.Count)
		if i%every == 0 {
			b.f(`<text x="%s" y="%d" text-anchor="middle" fill="#333">`, num(x+slot/2), chartH-padB+18)
			b.text(bar.Label)
			b.f(`</text>`)
		}
	}
	return b.flush(w, "distribution")
}

// CSATBars, NPSBars and CESBars turn a distribution into bars, one per
// score, for DistributionSVG.
func CSATBars(c CSAT) []Bar { return distBars(c.Dist[1:], 1) }

// NPSBars: see CSATBars.
func NPSBars(n NPS) []Bar { return distBars(n.Dist[:], 0) }

// CESBars: see CSATBars.
func CESBars(c CES) []Bar { return distBars(c.Dist[1:], 1) }

func distBars(d []int, lo int) []Bar {
	out := make([]Bar, len(d))
	for i, v := range d {
		out[i] = Bar{Label: strconv.Itoa(lo + i), Count: v}
	}
	return out
}

// Trend picks one figure per period of a report as a trend line, e.g.
// Trend(rep, func(f Figures) (float64, int) { return f.CSAT.Percent, f.CSAT.N }).
func Trend(rep Report, pick func(Figures) (value float64, n int)) []Point {
	out := make([]Point, len(rep.Periods))
	for i, row := range rep.Periods {
		v, n := pick(row.Figures)
		out[i] = Point{Label: row.Period.Label(), Value: v, N: n}
	}
	return out
}
