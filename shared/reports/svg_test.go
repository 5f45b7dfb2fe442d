package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/store"
)

// svgDoc is what the tests read back of a chart.
type svgDoc struct {
	XMLName  xml.Name
	ViewBox  string `xml:"viewBox,attr"`
	Role     string `xml:"role,attr"`
	Labelled string `xml:"aria-labelledby,attr"`
	Title    struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"title"`
	Desc struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"desc"`
	Texts []string `xml:"text"`
	Paths []struct {
		D string `xml:"d,attr"`
	} `xml:"path"`
	Circles []struct {
		Title string `xml:"title"`
	} `xml:"circle"`
	Rects []struct {
		Title string `xml:"title"`
	} `xml:"rect"`
}

func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var d svgDoc
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, b)
	}
	if d.XMLName.Local != "svg" || d.Role != "img" || d.ViewBox == "" || d.Labelled != d.Title.ID+" "+d.Desc.ID || d.Title.ID == "" {
		t.Fatalf("root = %+v, want an accessible svg", d)
	}
	s := string(b)
	for _, bad := range []string{"<script", "href", "style=", "url(", "javascript:", "<foreignObject"} {
		if strings.Contains(s, bad) {
			t.Fatalf("chart holds %q:\n%s", bad, s)
		}
	}
	return d
}

const hostile = `CSAT <script>alert("x")</script> & 'more'`

func TestTrendSVG(t *testing.T) {
	points := []Point{
		{Label: "2026-W47", Value: 80, N: 5},
		{Label: "2026-W48", N: 0},
		{Label: "<b>W49</b>", Value: 75.5, N: 8},
		{Label: "2026-W50", Value: 90, N: 10},
	}
	var buf bytes.Buffer
	if err := TrendSVG(&buf, hostile, points); err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, buf.Bytes())
	if d.Title.Text != hostile || d.Texts[0] != hostile {
		t.Errorf("title = %q, visible %q, want %q", d.Title.Text, d.Texts[0], hostile)
	}
	if strings.Contains(buf.String(), "<script>") || strings.Contains(buf.String(), "<b>") {
		t.Errorf("text not escaped:\n%s", buf.String())
	}
	for _, want := range []string{"2026-W47: 80.0 (n=5)", "2026-W48: no data", "<b>W49</b>: 75.5 (n=8)"} {
		if !strings.Contains(d.Desc.Text, want) {
			t.Errorf("desc %q lacks %q", d.Desc.Text, want)
		}
	}
	if len(d.Circles) != 3 || d.Circles[2].Title != "2026-W50: 90.0 (n=10)" {
		t.Errorf("points = %+v", d.Circles)
	}
	if len(d.Paths) != 1 || strings.Count(d.Paths[0].D, "M") != 2 {
		t.Errorf("the line should break at the week without data: %+v", d.Paths)
	}
}

func TestTrendSVGEmptyAndNegative(t *testing.T) {
	var buf bytes.Buffer
	if err := TrendSVG(&buf, "NPS", nil); err != nil {
		t.Fatal(err)
	}
	if d := parseSVG(t, buf.Bytes()); !slices.Contains(d.Texts, "No data") {
		t.Errorf("empty chart texts = %q", d.Texts)
	}
	buf.Reset()
	if err := TrendSVG(&buf, "NPS", []Point{{Label: "a", Value: -40, N: 3}, {Label: "b", Value: 20, N: 4}}); err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, buf.Bytes())
	if !slices.Contains(d.Texts, "-100") || !slices.Contains(d.Texts, "100") {
		t.Errorf("NPS axis should run −100 to 100: %q", d.Texts)
	}
}

func TestDistributionSVG(t *testing.T) {
	var buf bytes.Buffer
	c := CSAT{Dist: [6]int{0, 1, 0, 2, 3, 4}}
	if err := DistributionSVG(&buf, hostile, CSATBars(c)); err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, buf.Bytes())
	if d.Title.Text != hostile {
		t.Errorf("title = %q", d.Title.Text)
	}
	if len(d.Rects) != 5 || d.Rects[4].Title != "5: 4 (40.0%)" {
		t.Errorf("bars = %+v", d.Rects)
	}
	if !strings.Contains(d.Desc.Text, "n=10") || !strings.Contains(d.Desc.Text, "1: 1 (10.0%)") {
		t.Errorf("desc = %q", d.Desc.Text)
	}
	if n := len(NPSBars(NPS{})); n != 11 {
		t.Errorf("NPS bars = %d, want 11 (0–10)", n)
	}
	if b := CESBars(CES{Dist: [8]int{0, 0, 0, 0, 0, 0, 0, 9}}); len(b) != 7 || b[6] != (Bar{"7", 9}) {
		t.Errorf("CES bars = %v", b)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSVGWriteError(t *testing.T) {
	err := TrendSVG(failWriter{}, "x", []Point{{Label: "a", Value: 1, N: 1}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if err := DistributionSVG(io.Discard, "x", nil); err != nil {
		t.Fatal(err)
	}
}

func TestTrendFromReport(t *testing.T) {
	r := Request{From: date("2026-11-16"), To: date("2026-11-30"), Group: GroupWeek}
	rep := Build(r, map[string]store.Counts{"W2026-48/all": {"csat.5|all": 1, "csat.1|all": 1}})
	pts := Trend(rep, func(f Figures) (float64, int) { return f.CSAT.Percent, f.CSAT.N })
	if len(pts) != 2 || pts[0].N != 0 || pts[1] != (Point{Label: "2026-W48", Value: 50, N: 2}) {
		t.Fatalf("trend = %+v", pts)
	}
}

func TestValueAxis(t *testing.T) {
	for _, c := range []struct {
		points []Point
		lo, hi float64
	}{
		{[]Point{{Value: 4.5, N: 2}, {Value: 2, N: 1}}, 0, 5},     // CES average
		{[]Point{{Value: 85, N: 2}, {Value: 1000, N: 0}}, 0, 100}, // a point without data does not count
		{[]Point{{Value: -30, N: 2}, {Value: 40, N: 2}}, -100, 100},
		{[]Point{{Value: 130, N: 1}}, 0, 200},
		{[]Point{{Value: 0, N: 1}}, 0, 1},
		{nil, 0, 100},
	} {
		if lo, hi := scale(c.points); lo != c.lo || hi != c.hi {
			t.Errorf("scale(%v) = %v, %v, want %v, %v", c.points, lo, hi, c.lo, c.hi)
		}
	}
}
