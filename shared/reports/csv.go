package reports

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// The CSV exports are written row by row as the caller pages through
// incidents, so an export of any size holds one incident at a time. They
// are made for spreadsheets: a UTF-8 byte order mark (without it Excel
// reads Greek or Spanish text as Latin-1), CRLF line ends, times in UTC as
// "2006-01-02 15:04:05" (which spreadsheets read as a date), and every
// text cell neutralised against formula injection (see Neutralise).

// timeLayout is how the exports write times, in UTC.
const timeLayout = time.DateTime

// Neutralise makes a cell safe to open in a spreadsheet: a value starting
// with '=', '+', '-', '@', a tab or a carriage return (or their full-width
// forms, which some spreadsheets fold) would be read as a formula, so it
// gets a leading single quote, as OWASP's CSV injection guidance says.
// Customers, agents and senders write the comments, references and names
// exported here.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, p) {
			return "'" + s
		}
	}
	return s
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// sheet is a csv.Writer that writes the BOM and header before the first
// row (or at Flush, so an empty export still has its header) and
// neutralises every cell.
type sheet struct {
	w       *csv.Writer
	out     io.Writer
	header  []string
	started bool
	row     []string
	what    string
}

func newSheet(w io.Writer, what string, header []string) sheet {
	c := csv.NewWriter(w)
	c.UseCRLF = true
	return sheet{w: c, out: w, header: header, row: make([]string, len(header)), what: what}
}

func (s *sheet) start() error {
	if s.started {
		return nil
	}
	s.started = true
	if _, err := io.WriteString(s.out, "\uFEFF"); err != nil {
		return fmt.Errorf("reports: write %s CSV: %w", s.what, err)
	}
	if err := s.w.Write(s.header); err != nil {
		return fmt.Errorf("reports: write %s CSV header: %w", s.what, err)
	}
	return nil
}

func (s *sheet) write(id string) error {
	if err := s.start(); err != nil {
		return err
	}
	for i, v := range s.row {
		s.row[i] = Neutralise(v)
	}
	if err := s.w.Write(s.row); err != nil {
		return fmt.Errorf("reports: write %s CSV row of %s: %w", s.what, id, err)
	}
	return nil
}

func (s *sheet) flush() error {
	if err := s.start(); err != nil {
		return err
	}
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return fmt.Errorf("reports: flush %s CSV: %w", s.what, err)
	}
	return nil
}

// IncidentHeader names the columns of the per-incident export.
var IncidentHeader = []string{"id", "provider", "reference", "kind", "agent", "location", "resolved_at",
	"survey", "score", "comment", "reasons", "replied_at", "escalations", "handled_at", "recovered"}

// IncidentCSV writes one row per incident: who and what it was, its
// latest survey answer (the per-answer export has every answer), whether
// the customer replied, how often it escalated, when the team last
// marked it handled, and whether the recovery survey found it fixed
// ("yes", "no", or empty when none was answered).
type IncidentCSV struct{ s sheet }

// NewIncidentCSV starts a per-incident export on w; call Write per
// incident and Flush at the end.
func NewIncidentCSV(w io.Writer) *IncidentCSV {
	return &IncidentCSV{s: newSheet(w, "incident", IncidentHeader)}
}

// Write adds one incident's row.
func (c *IncidentCSV) Write(inc domain.Incident) error {
	r := c.s.row
	clear(r)
	r[0], r[1], r[2], r[3] = inc.ID, inc.Provider, inc.Ref, string(inc.Kind)
	r[4], r[5], r[6] = inc.Agent, inc.Location, csvTime(inc.ResolvedAt)
	if key, ok := latestAnswer(inc); ok {
		a := inc.Answers[key]
		r[7], r[8], r[9], r[10] = string(a.Survey), strconv.Itoa(a.Score), a.Comment, strings.Join(a.Reasons, "; ")
	}
	r[11] = csvTime(inc.RepliedAt)
	r[12] = strconv.Itoa(inc.Episodes)
	if inc.Team != nil && len(inc.Team.Handled) > 0 {
		r[13] = csvTime(inc.Team.Handled[len(inc.Team.Handled)-1].At)
	}
	switch {
	case inc.Recovered == nil:
	case *inc.Recovered:
		r[14] = "yes"
	default:
		r[14] = "no"
	}
	return c.s.write(inc.ID)
}

// Flush writes what is buffered (and the header of an empty export) and
// reports any write error since the start.
func (c *IncidentCSV) Flush() error { return c.s.flush() }

// latestAnswer is the key of the most recent answer (ties by key).
func latestAnswer(inc domain.Incident) (string, bool) {
	best, found := "", false
	for k, a := range inc.Answers {
		if !found || a.AnsweredAt.After(inc.Answers[best].AnsweredAt) ||
			a.AnsweredAt.Equal(inc.Answers[best].AnsweredAt) && k > best {
			best, found = k, true
		}
	}
	return best, found
}

// AnswerHeader names the columns of the per-answer export.
var AnswerHeader = []string{"incident_id", "provider", "reference", "step", "survey", "score", "comment", "reasons", "answered_at"}

// AnswerCSV writes one row per survey answer, oldest first within an
// incident.
type AnswerCSV struct{ s sheet }

// NewAnswerCSV starts a per-answer export on w; call Write per incident
// and Flush at the end.
func NewAnswerCSV(w io.Writer) *AnswerCSV {
	return &AnswerCSV{s: newSheet(w, "answer", AnswerHeader)}
}

// Write adds a row for each of the incident's answers (none for an
// incident without answers).
func (c *AnswerCSV) Write(inc domain.Incident) error {
	keys := slices.SortedFunc(maps.Keys(inc.Answers), func(a, b string) int {
		return cmp.Or(inc.Answers[a].AnsweredAt.Compare(inc.Answers[b].AnsweredAt), strings.Compare(a, b))
	})
	for _, k := range keys {
		a := inc.Answers[k]
		r := c.s.row
		r[0], r[1], r[2], r[3], r[4] = inc.ID, inc.Provider, inc.Ref, k, string(a.Survey)
		r[5], r[6], r[7], r[8] = strconv.Itoa(a.Score), a.Comment, strings.Join(a.Reasons, "; "), csvTime(a.AnsweredAt)
		if err := c.s.write(inc.ID); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes what is buffered (and the header of an empty export) and
// reports any write error since the start.
func (c *AnswerCSV) Flush() error { return c.s.flush() }
