package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte("\uFEFF"))
	if !ok {
		t.Fatalf("no byte order mark: %q", b[:min(len(b), 10)])
	}
	if !bytes.HasSuffix(rest, []byte("\r\n")) {
		t.Fatalf("want CRLF line ends: %q", rest)
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("unreadable CSV: %v\n%s", err, rest)
	}
	return rows
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil.example","click")`: `'=HYPERLINK("http://evil.example","click")`,
		"-2+3":      "'-2+3",
		"+1":        "'+1",
		"@SUM(A1)":  "'@SUM(A1)",
		"\t=1":      "'\t=1",
		"\r=1":      "'\r=1",
		"＝1+1":      "'＝1+1",
		"fine = ok": "fine = ok",
		"":          "",
		"5":         "5",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func hostileIncident() domain.Incident {
	inc := newIncident()
	inc.Ref = "=cmd|' /C calc'!A0"
	inc.Agent = "@agent"
	inc.ResolvedAt = time.Date(2026, 11, 30, 9, 0, 0, 0, time.FixedZone("EET", 2*3600))
	inc.RepliedAt = t0
	inc.Episodes = 2
	yes := true
	inc.Recovered = &yes
	inc.Team = &domain.Handling{Handled: []domain.HandledEpisode{{Episode: 1, At: t0}, {Episode: 2, At: t0.Add(time.Hour)}}}
	answer(&inc, "csat-1", domain.SurveyCSAT, 2, t0, "staff", "price")
	a := inc.Answers["csat-1"]
	a.Comment = "line one\nline two, \"quoted\"\n=HYPERLINK(\"http://evil\")"
	inc.Answers["csat-1"] = a
	answer(&inc, "nps-2", domain.SurveyNPS, 3, t0.Add(time.Hour))
	a = inc.Answers["nps-2"]
	a.Comment = `=HYPERLINK("http://evil.example","click")`
	inc.Answers["nps-2"] = a
	return inc
}

func TestIncidentCSV(t *testing.T) {
	var buf bytes.Buffer
	c := NewIncidentCSV(&buf)
	if err := c.Write(hostileIncident()); err != nil {
		t.Fatal(err)
	}
	plain := newIncident()
	plain.ID = "inc_2"
	if err := c.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(IncidentHeader, ",") {
		t.Fatalf("rows = %q", rows)
	}
	got := map[string]string{}
	for i, h := range IncidentHeader {
		got[h] = rows[1][i]
	}
	want := map[string]string{
		"id": "inc_1", "reference": "'=cmd|' /C calc'!A0", "agent": "'@agent", "location": "Athens",
		"resolved_at": "2026-11-30 07:00:00", "survey": "nps", "score": "3", // the latest answer
		"comment": `'=HYPERLINK("http://evil.example","click")`, "reasons": "",
		"replied_at": "2026-09-28 10:00:00", "escalations": "2", "handled_at": "2026-09-28 11:00:00", "recovered": "yes",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if rows[2][0] != "inc_2" || rows[2][7] != "" || rows[2][14] != "" {
		t.Errorf("incident without answers = %q", rows[2])
	}
}

func TestAnswerCSV(t *testing.T) {
	var buf bytes.Buffer
	c := NewAnswerCSV(&buf)
	if err := c.Write(hostileIncident()); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	if len(rows) != 3 {
		t.Fatalf("rows = %q", rows)
	}
	first := rows[1]
	if first[3] != "csat-1" || first[4] != "csat" || first[5] != "2" || first[7] != "staff; price" || first[8] != "2026-09-28 10:00:00" {
		t.Errorf("first answer = %q", first)
	}
	if want := "line one\r\nline two, \"quoted\"\r\n=HYPERLINK(\"http://evil\")"; first[6] != want && first[6] != strings.ReplaceAll(want, "\r\n", "\n") {
		t.Errorf("multi-line comment = %q", first[6])
	}
	if rows[2][6] != `'=HYPERLINK("http://evil.example","click")` || rows[2][2] != "'=cmd|' /C calc'!A0" {
		t.Errorf("second answer not neutralised: %q", rows[2])
	}
}

func TestEmptyExportHasHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := NewAnswerCSV(&buf).Flush(); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, buf.Bytes()); len(rows) != 1 || rows[0][0] != "incident_id" {
		t.Fatalf("rows = %q", rows)
	}
}

func TestCSVWriteError(t *testing.T) {
	c := NewIncidentCSV(failWriter{})
	err := c.Write(newIncident())
	if err == nil {
		err = c.Flush()
	}
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the writer's error", err)
	}
}
