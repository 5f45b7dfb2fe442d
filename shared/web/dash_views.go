package web

// dash_views.go renders the dashboard's pages: the attention queue, the
// incident search, one incident with its actions.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// queueItem is one incident in the attention queue, with what the team
// needs to triage it without opening it.
type queueItem struct {
	Incident domain.Incident
	Waited   string
	Cause    string
	Score    string
	Reasons  string
	Words    string
}

func (d *dash) queue(w http.ResponseWriter, r *http.Request, sess app.Session) {
	list, err := d.svc.AttentionQueue(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	now := d.clock.Now()
	items := make([]queueItem, 0, len(list))
	for _, inc := range list {
		it := queueItem{Incident: inc, Waited: waited(now.Sub(inc.Attention.Since))}
		if e := lastEscalation(inc); e != nil {
			it.Cause = causeWords(e.Cause)
			if e.Kind != domain.SurveyNone {
				_, hi := e.Kind.Range()
				it.Score = fmt.Sprintf("%s %d/%d", strings.ToUpper(string(e.Kind)), e.Score, hi)
			}
			it.Words = e.Text
			if a, ok := inc.Answers[e.Step]; ok {
				it.Reasons = strings.Join(a.Reasons, ", ")
				if it.Words == "" {
					it.Words = a.Comment
				}
			}
		}
		items = append(items, it)
	}
	d.signedPage(w, sess, http.StatusOK, "dash_queue.html", dashData{Title: "Queue", Here: "queue", Queue: items})
}

// lastEscalation is the newest escalation of the current episode.
func lastEscalation(inc domain.Incident) *domain.Escalation {
	for i := len(inc.Escalations) - 1; i >= 0; i-- {
		if inc.Attention == nil || inc.Escalations[i].Episode == inc.Attention.Episode {
			return &inc.Escalations[i]
		}
	}
	return nil
}

func causeWords(cause string) string {
	switch cause {
	case domain.CauseNegative:
		return "low score"
	case domain.CauseReply:
		return "replied"
	case domain.CauseNotRecovered:
		return "still not fixed"
	case domain.CauseUpdated:
		return "changed a low answer"
	case domain.CauseImproved:
		return "improved the answer"
	case domain.CauseForeignReply:
		return "somebody else wrote"
	}
	return cause
}

// waited is a duration as a person says it.
func waited(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// zoned writes an instant in the customer's zone beside UTC: "Tue 3 Dec
// 10:00 Europe/Madrid (09:00 UTC)"; without a zone, UTC alone.
func zoned(t time.Time, tz string) string {
	if t.IsZero() {
		return "—"
	}
	utc := t.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
	if tz == "" || tz == "UTC" {
		return utc
	}
	loc, err := domain.LoadZone(tz)
	if err != nil {
		return utc
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 ") + tz + " (" + t.UTC().Format("15:04") + " UTC)"
}

var statuses = []domain.Status{domain.StatusBooked, domain.StatusCancelled, domain.StatusCompleted, domain.StatusOpen, domain.StatusSolved, domain.StatusClosed}

func (d *dash) incidents(w http.ResponseWriter, r *http.Request, sess app.Session) {
	q := r.URL.Query()
	f := app.Filter{
		Query: trimField(q.Get("q")), Provider: trimField(q.Get("provider")), Status: trimField(q.Get("status")),
		Agent: trimField(q.Get("agent")), Location: trimField(q.Get("location")), Attention: q.Get("attention") != "",
	}
	res, err := d.svc.Search(r.Context(), f, store.Cursor(q.Get("cursor")))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data := dashData{Title: "Incidents", Here: "incidents", Filter: f, Statuses: statuses, Results: res.Incidents, Scanned: res.Scanned, Next: res.Next}
	if res.Next != "" {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("cursor", string(res.Next))
		data.NextURL = d.base + "/team/incidents?" + next.Encode()
	}
	d.signedPage(w, sess, http.StatusOK, "dash_incidents.html", data)
}

// trimField bounds a search field: nobody types 200 characters to search.
func trimField(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

type answerRow struct {
	Label string
	domain.Answer
	Max     int
	Reasons string
}

type stepRow struct {
	Key, Label, Outcome, When string
	at                        time.Time
}

type entryRow struct {
	domain.Entry
	When string
}

func (d *dash) incident(w http.ResponseWriter, r *http.Request, sess app.Session) {
	inc, err := d.svc.TeamIncident(r.Context(), r.PathValue("id"))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data := d.incidentData(inc)
	data.Flash = flashes[r.URL.Query().Get("done")]
	d.signedPage(w, sess, http.StatusOK, "dash_incident.html", data)
}

// flashes are the confirmations shown after an action, by its name.
var flashes = map[string]string{
	app.ActTake: "You are on it.", app.ActNote: "Note added.", app.ActSolution: "Solution recorded.",
	app.ActHandled: "Marked handled. Once the incident is resolved, the customer is asked whether it is fixed.",
	app.ActMessage: "Message sent to the customer.",
}

func (d *dash) incidentData(inc domain.Incident) dashData {
	policy := d.svc.Policy()
	stepWords := func(key string) string { return domain.NameStep(policy, key).String() }
	tz := inc.Customer.TimeZone
	data := dashData{Title: "Incident", Here: "incidents", Incident: inc}
	data.Handled, _ = inc.HandledAt()
	for key, a := range inc.Answers {
		_, hi := a.Survey.Range()
		data.Answers = append(data.Answers, answerRow{Label: stepWords(key), Answer: a, Max: hi, Reasons: strings.Join(a.Reasons, ", ")})
	}
	slices.SortFunc(data.Answers, func(a, b answerRow) int { return a.AnsweredAt.Compare(b.AnsweredAt) })
	for key, st := range inc.Steps {
		row := stepRow{Key: key, Label: stepWords(key)}
		switch st.Status {
		case domain.StepSent:
			row.Outcome, row.at = "sent", st.SentAt
		case domain.StepSending:
			row.Outcome, row.at = "being sent", st.ClaimedAt
		case domain.StepFailed:
			row.Outcome, row.at = fmt.Sprintf("failed (attempt %d), retried later: %s", st.Attempts, st.Error), st.FailedAt
		case domain.StepRejected:
			row.Outcome, row.at = "not sent: "+st.Error, st.FailedAt
		case domain.StepSkipped:
			row.Outcome, row.at = "not sent: "+st.Error, st.FailedAt
		default:
			row.Outcome = string(st.Status)
		}
		if row.at.IsZero() {
			row.at = st.ClaimedAt
		}
		row.When = zoned(row.at, tz)
		data.Steps = append(data.Steps, row)
	}
	// What is still to come, and why it waits.
	for _, ps := range domain.Plan(inc, d.svc.Policy(), d.clock.Now()) {
		if _, claimed := inc.Steps[ps.Key]; claimed {
			continue
		}
		row := stepRow{Key: ps.Key, Label: stepWords(ps.Key), Outcome: "planned", When: zoned(ps.Due, tz), at: ps.Due}
		if ps.Quieted {
			row.Outcome = "planned; moved out of the customer's quiet hours"
		}
		data.Steps = append(data.Steps, row)
	}
	slices.SortFunc(data.Steps, func(a, b stepRow) int { return a.at.Compare(b.at) })
	for i := len(inc.Timeline) - 1; i >= 0; i-- { // newest first
		e := inc.Timeline[i]
		data.Timeline = append(data.Timeline, entryRow{Entry: e, When: zoned(e.At, tz)})
	}
	return data
}

// act records a team action and goes back to the incident (POST, then
// redirect, so a reload does not repeat it).
func (d *dash) act(w http.ResponseWriter, r *http.Request, sess app.Session) {
	id, action := r.PathValue("id"), r.PathValue("action")
	if _, ok := flashes[action]; !ok {
		http.NotFound(w, r)
		return
	}
	_, err := d.svc.TeamAct(r.Context(), sess, id, action, r.PostForm.Get("text"))
	if err != nil && !errors.Is(err, app.ErrBadAction) {
		d.fail(w, r, err)
		return
	}
	if err != nil {
		inc, gerr := d.svc.TeamIncident(r.Context(), id)
		if gerr != nil {
			d.fail(w, r, gerr)
			return
		}
		data := d.incidentData(inc)
		data.Error = err.Error()
		d.signedPage(w, sess, http.StatusBadRequest, "dash_incident.html", data)
		return
	}
	http.Redirect(w, r, d.base+"/team/incidents/"+url.PathEscape(id)+"?done="+action, http.StatusSeeOther)
}
