package local

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/web"
)

//go:embed templates/*.html
var consoleFS embed.FS

var consoleTmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"path": url.PathEscape,
}).ParseFS(consoleFS, "templates/*.html"))

// The dev console and its JSON API exist only in the local runtime; the
// Lambda functions never mount them.
func (rt *Runtime) mountConsole(h *web.Handler) {
	h.Handle("GET /{$}", http.HandlerFunc(rt.console))
	h.Handle("GET /dev/outbox/{name}", http.HandlerFunc(rt.outboxPage))
	h.Handle("GET /dev/outbox/{name}/html", http.HandlerFunc(rt.outboxHTML))
	h.Handle("POST /dev/schedules/{name}/run", http.HandlerFunc(rt.runOneForm))
	h.Handle("POST /dev/schedules/run-due", http.HandlerFunc(rt.runDueForm))
	h.Handle("GET /dev/api/incidents", http.HandlerFunc(rt.apiIncidents))
	h.Handle("GET /dev/api/schedules", http.HandlerFunc(rt.apiSchedules))
	h.Handle("POST /dev/api/schedules/run-due", http.HandlerFunc(rt.apiRunDue))
	h.Handle("POST /dev/api/schedules/{name}/run", http.HandlerFunc(rt.apiRunOne))
	h.Handle("GET /dev/api/outbox", http.HandlerFunc(rt.apiOutbox))
}

// incidentJSON is an incident as the dev API shows it: everything the
// store keeps, plus the customer's address at the top for scripts.
type incidentJSON struct {
	domain.Incident
	CustomerEmail string `json:"customer_email"`
}

// scheduleJSON is a pending wake-up call as the dev API shows it.
type scheduleJSON struct {
	ID         string    `json:"id"`
	IncidentID string    `json:"incident_id"`
	Step       string    `json:"step"`
	Due        time.Time `json:"due"`
	At         time.Time `json:"at"`
	TimeZone   string    `json:"time_zone,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
}

// firedJSON is one schedule fired by run-due or run-now.
type firedJSON struct {
	scheduleJSON
	Error string `json:"error,omitempty"`
}

const consoleLimit = 100

func (rt *Runtime) apiIncidents(w http.ResponseWriter, r *http.Request) {
	incs, err := rt.store.List(r.Context(), consoleLimit)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	out := make([]incidentJSON, 0, len(incs))
	for _, inc := range incs {
		out = append(out, incidentJSON{Incident: inc, CustomerEmail: inc.Customer.Email})
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (rt *Runtime) schedules() ([]scheduleJSON, error) {
	entries, err := rt.sched.List()
	if err != nil {
		return nil, err
	}
	out := make([]scheduleJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, toScheduleJSON(e))
	}
	return out, nil
}

func toScheduleJSON(e localsched.Entry) scheduleJSON {
	return scheduleJSON{
		ID: e.Name, IncidentID: e.IncidentID, Step: e.Step, Due: e.Due, At: e.At,
		TimeZone: e.TimeZone, Attempts: e.Attempts, LastError: e.LastError,
	}
}

func (rt *Runtime) apiSchedules(w http.ResponseWriter, _ *http.Request) {
	out, err := rt.schedules()
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// runDue fires every schedule due by until (default: now on the dev clock).
func (rt *Runtime) runDue(r *http.Request, until string) ([]firedJSON, error) {
	t := rt.Clock.Now()
	if until != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, until); err != nil {
			return nil, errBadUntil
		}
	}
	results, err := rt.sched.RunDue(r.Context(), t)
	if err != nil {
		return nil, err
	}
	out := make([]firedJSON, 0, len(results))
	for _, res := range results {
		f := firedJSON{scheduleJSON: toScheduleJSON(localsched.Entry{Schedule: res.Schedule})}
		if res.Err != nil {
			f.Error = res.Err.Error()
		}
		out = append(out, f)
	}
	return out, nil
}

var errBadUntil = errors.New("until must be an RFC 3339 time, e.g. 2026-11-21T10:00:00Z")

func (rt *Runtime) apiRunDue(w http.ResponseWriter, r *http.Request) {
	fired, err := rt.runDue(r, r.URL.Query().Get("until"))
	if errors.Is(err, errBadUntil) {
		apiError(w, http.StatusBadRequest, err)
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"fired": fired})
}

func (rt *Runtime) apiRunOne(w http.ResponseWriter, r *http.Request) {
	res, err := rt.sched.RunNow(r.Context(), r.PathValue("name"))
	if errors.Is(err, localsched.ErrNotFound) {
		apiError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	f := firedJSON{scheduleJSON: toScheduleJSON(localsched.Entry{Schedule: res.Schedule})}
	if res.Err != nil {
		f.Error = res.Err.Error()
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"fired": []firedJSON{f}})
}

func (rt *Runtime) apiOutbox(w http.ResponseWriter, _ *http.Request) {
	entries, err := rt.outbox.List(consoleLimit)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	type item struct {
		Name     string    `json:"name"`
		Date     time.Time `json:"date"`
		To       string    `json:"to"`
		Subject  string    `json:"subject"`
		Incident string    `json:"incident,omitempty"`
		Step     string    `json:"step,omitempty"`
	}
	out := make([]item, 0, len(entries))
	for _, e := range entries {
		out = append(out, item{e.Name, e.Date, e.To, e.Subject, e.Incident, e.Step})
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// consoleData feeds the console page.
type consoleData struct {
	Now       time.Time
	Incidents []domain.Incident
	Schedules []scheduleJSON
	Outbox    any
	Flash     string
	Secret    bool
}

func (rt *Runtime) console(w http.ResponseWriter, r *http.Request) {
	incs, err := rt.store.List(r.Context(), consoleLimit)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	scheds, err := rt.schedules()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	box, err := rt.outbox.List(consoleLimit)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rt.page(w, "console.html", consoleData{
		Now: rt.Clock.Now(), Incidents: incs, Schedules: scheds, Outbox: box,
		Flash: r.URL.Query().Get("flash"), Secret: rt.cfg.UsingDevSecret,
	})
}

func (rt *Runtime) runOneForm(w http.ResponseWriter, r *http.Request) {
	res, err := rt.sched.RunNow(r.Context(), r.PathValue("name"))
	msg := "ran " + r.PathValue("name")
	switch {
	case err != nil:
		msg = err.Error()
	case res.Err != nil:
		msg = "failed: " + res.Err.Error()
	}
	http.Redirect(w, r, "/?flash="+url.QueryEscape(msg), http.StatusSeeOther)
}

func (rt *Runtime) runDueForm(w http.ResponseWriter, r *http.Request) {
	until := r.FormValue("until")
	if until != "" && !strings.HasSuffix(until, "Z") && len(until) == len("2006-01-02T15:04") {
		until += ":00Z" // the console's datetime-local input, read as UTC
	}
	fired, err := rt.runDue(r, until)
	msg := ""
	if err != nil {
		msg = err.Error()
	} else {
		msg = "fired " + strconv.Itoa(len(fired)) + " schedule(s)"
	}
	http.Redirect(w, r, "/?flash="+url.QueryEscape(msg), http.StatusSeeOther)
}

func (rt *Runtime) outboxPage(w http.ResponseWriter, r *http.Request) {
	e, err := rt.outbox.Read(r.PathValue("name"))
	if err != nil {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	rt.page(w, "message.html", e)
}

// outboxHTML serves an email's HTML part for the console's iframe, in a
// CSP sandbox: scripts in a (malicious) email cannot run.
func (rt *Runtime) outboxHTML(w http.ResponseWriter, r *http.Request) {
	e, err := rt.outbox.Read(r.PathValue("name"))
	if err != nil {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Security-Policy", "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(e.HTML))
}

func (rt *Runtime) page(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := consoleTmpl.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

func apiError(w http.ResponseWriter, code int, err error) {
	web.WriteJSON(w, code, map[string]string{"error": err.Error()})
}
