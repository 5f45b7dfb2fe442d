package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/replies"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/sesevents"
	"github.com/aftercare/aftercare/shared/store/bolt"
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
	// zoned is the customer's wall clock beside a UTC time.
	"zoned": zoned,
	// step and entry say steps and timeline entries in words (describe.go).
	"step":   func(p domain.Policy, key string) string { what, _ := stepWords(p, key); return what },
	"stepTo": func(p domain.Policy, key string) string { _, to := stepWords(p, key); return to },
	"entry":  entryWords,
	// inboundHref links a reply's ref to its raw message when the local
	// runtime keeps it (refs from elsewhere, e.g. s3://, are shown as text).
	"inboundHref": func(ref string) string {
		if name, ok := strings.CutPrefix(ref, "inbound/"); ok && inboundName.MatchString(name) {
			return "/dev/inbound/" + name
		}
		return ""
	},
}).ParseFS(consoleFS, "templates/*.html"))

// The dev console and its JSON API exist only in the local runtime; the
// Lambda functions never mount them. Every one of their routes is guarded
// (see guard): they answer only under the runtime's own names, take posts
// only from the console itself or from scripts, and are never framed by
// another site.
func (rt *Runtime) mountConsole(h *web.Handler) {
	g := newGuard(rt.cfg)
	dev := func(pattern string, f http.HandlerFunc) { h.Handle(pattern, g.wrap(f)) }
	dev("GET /{$}", rt.console)
	dev("GET /dev/outbox/{name}", rt.outboxPage)
	dev("GET /dev/outbox/{name}/html", rt.outboxHTML)
	dev("POST /dev/schedules/{name}/run", rt.runOneForm)
	dev("POST /dev/schedules/run-due", rt.runDueForm)
	dev("GET /dev/api/incidents", rt.apiIncidents)
	dev("GET /dev/api/schedules", rt.apiSchedules)
	dev("POST /dev/api/schedules/run-due", rt.apiRunDue)
	dev("POST /dev/api/schedules/{name}/run", rt.apiRunOne)
	dev("GET /dev/api/outbox", rt.apiOutbox)
	dev("POST /dev/api/inbound", rt.apiInbound)
	dev("POST /dev/api/ses-events", rt.apiSESEvents)
	dev("GET /dev/api/contacts", rt.apiContact)
	dev("GET /dev/api/contacts/export", rt.apiExport)
	dev("POST /dev/api/contacts/erase", rt.apiErase)
	dev("POST /dev/inbound", rt.inboundForm)
	dev("GET /dev/inbound/{name}", rt.inboundRaw)
	dev("GET /dev/preview", rt.previewPage)
	dev("GET /dev/preview/{template}/{locale}", rt.previewHTML)
	dev("POST /dev/preview/send", rt.previewSend)
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

// Pages: the console and the dev API show at most a page of incidents,
// schedules and emails, ordered by time, with a cursor to the next page,
// so that they cost the same whether the store holds a thousand items or
// a million. ?limit= chooses the size, up to maxPage.
const (
	defaultPage = 50
	maxPage     = 500
)

// errBadPage is a 400: a limit or cursor the API cannot read.
var errBadPage = errors.New("bad page")

// pageLimit reads ?limit=, defaultPage when absent.
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return defaultPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, fmt.Errorf("%w: limit must be 1 to %d", errBadPage, maxPage)
	}
	return n, nil
}

// nextURL is the request's URL with param set to cursor: the next page.
func nextURL(r *http.Request, param, cursor string) string {
	q := r.URL.Query()
	q.Set(param, cursor)
	q.Del("flash")
	return r.URL.Path + "?" + q.Encode()
}

// setNext announces the next page of a JSON list: its URL in a Link
// header (rel="next", RFC 8288) and the bare cursor in X-Next-Cursor. The
// body stays a plain JSON array; no header means this is the last page.
func setNext(w http.ResponseWriter, r *http.Request, param, cursor string) {
	if cursor == "" {
		return
	}
	w.Header().Set("Link", "<"+nextURL(r, param, cursor)+`>; rel="next"`)
	w.Header().Set("X-Next-Cursor", cursor)
}

// incidentPage is a page of incidents, most recently updated first,
// after the cursor ?before= (an opaque cursor or an RFC 3339 time).
func (rt *Runtime) incidentPage(r *http.Request, limit int) ([]domain.Incident, string, error) {
	before, err := bolt.ParseCursor(r.URL.Query().Get("before"))
	if err != nil {
		return nil, "", fmt.Errorf("%w: before: %w", errBadPage, err)
	}
	incs, next, err := rt.store.ListBefore(r.Context(), before, limit)
	return incs, next.String(), err
}

// schedulePage is a page of pending schedules in the order they fire,
// after the cursor ?after= (an opaque cursor or an RFC 3339 time).
func (rt *Runtime) schedulePage(r *http.Request, limit int) ([]scheduleJSON, string, error) {
	after, err := localsched.ParseCursor(r.URL.Query().Get("after"))
	if err != nil {
		return nil, "", fmt.Errorf("%w: after: %w", errBadPage, err)
	}
	entries, next, err := rt.sched.ListAfter(after, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]scheduleJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, toScheduleJSON(e))
	}
	return out, next.String(), nil
}

// pageError answers a failed page: 400 for the request's fault.
func pageError(w http.ResponseWriter, err error) {
	if errors.Is(err, errBadPage) {
		apiError(w, http.StatusBadRequest, err)
		return
	}
	apiError(w, http.StatusInternalServerError, err)
}

// apiIncidents is GET /dev/api/incidents[?limit=][&before=]: a page of
// incidents, most recently updated first.
func (rt *Runtime) apiIncidents(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		pageError(w, err)
		return
	}
	incs, next, err := rt.incidentPage(r, limit)
	if err != nil {
		pageError(w, err)
		return
	}
	out := make([]incidentJSON, 0, len(incs))
	for _, inc := range incs {
		out = append(out, incidentJSON{Incident: inc, CustomerEmail: inc.Customer.Email})
	}
	setNext(w, r, "before", next)
	web.WriteJSON(w, http.StatusOK, out)
}

func toScheduleJSON(e localsched.Entry) scheduleJSON {
	return scheduleJSON{
		ID: e.Name, IncidentID: e.IncidentID, Step: e.Step, Due: e.Due, At: e.At,
		TimeZone: e.TimeZone, Attempts: e.Attempts, LastError: e.LastError,
	}
}

// apiSchedules is GET /dev/api/schedules[?limit=][&after=]: a page of
// pending schedules, the soonest to fire first; X-Total-Count says how
// many are pending in all.
func (rt *Runtime) apiSchedules(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		pageError(w, err)
		return
	}
	out, next, err := rt.schedulePage(r, limit)
	if err != nil {
		pageError(w, err)
		return
	}
	setNext(w, r, "after", next)
	w.Header().Set("X-Total-Count", strconv.Itoa(rt.sched.Count()))
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
	entries, err := rt.outbox.List(defaultPage)
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

// consoleData feeds the console page: a page of each list, with links to
// the next pages.
type consoleData struct {
	Now       time.Time
	Incidents []domain.Incident
	// OlderIncidents links to the next page of incidents; Paged says this
	// is not the first page of incidents or of schedules.
	OlderIncidents string
	// Attention are the incidents on this page that need the team, oldest
	// first.
	Attention      []domain.Incident
	Schedules      []scheduleJSON
	SchedulesTotal int
	LaterSchedules string
	Paged          bool
	Outbox         any
	Flash          string
	// FlashRef is the id the flash is about (a schedule's name), shown
	// small beside the words.
	FlashRef string
	Secret   bool
	// Policy names the steps in words.
	Policy domain.Policy
	// Replies says whether reply addresses are on, so a pasted reply can
	// find its incident.
	Replies bool
}

func (rt *Runtime) console(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	incs, olderIncs, err := rt.incidentPage(r, limit)
	if err == nil && olderIncs != "" {
		olderIncs = nextURL(r, "before", olderIncs) + "#incidents"
	}
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, errBadPage) {
			code = http.StatusBadRequest
		}
		http.Error(w, err.Error(), code)
		return
	}
	scheds, laterScheds, err := rt.schedulePage(r, limit)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, errBadPage) {
			code = http.StatusBadRequest
		}
		http.Error(w, err.Error(), code)
		return
	}
	if laterScheds != "" {
		laterScheds = nextURL(r, "after", laterScheds) + "#schedules"
	}
	box, err := rt.outbox.List(limit)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var attention []domain.Incident
	for _, inc := range incs {
		if inc.Attention != nil {
			attention = append(attention, inc)
		}
	}
	sort.SliceStable(attention, func(i, j int) bool { return attention[i].Attention.Since.Before(attention[j].Attention.Since) })
	q := r.URL.Query()
	rt.page(w, "console.html", consoleData{
		Now: rt.Clock.Now(), Incidents: incs, OlderIncidents: olderIncs, Attention: attention,
		Schedules: scheds, SchedulesTotal: rt.sched.Count(), LaterSchedules: laterScheds,
		Paged: q.Get("before") != "" || q.Get("after") != "", Outbox: box,
		Flash: q.Get("flash"), FlashRef: q.Get("ref"), Policy: rt.cfg.Policy, Secret: rt.cfg.UsingDevSecret, Replies: !strings.EqualFold(rt.cfg.ReplyAddress, ReplyAddressOff),
	})
}

// runOneForm is the console's Run now: it fires one schedule and says in
// words what that did ("Sent the thank-you (step thanks-1) to the
// customer"), with the schedule's name beside it.
func (rt *Runtime) runOneForm(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	since := rt.Clock.Now()
	res, err := rt.sched.RunNow(r.Context(), name)
	var msg string
	switch {
	case errors.Is(err, localsched.ErrNotFound):
		msg = upperFirst(errNoSchedule.Error()) + "."
	case err != nil:
		msg = "Could not run it: " + err.Error()
	default:
		after, inc := rt.stepState(r.Context(), res.Schedule.IncidentID, res.Schedule.Step)
		msg = runOutcome(rt.cfg.Policy, since, after, inc, res.Schedule.Step, res.Err)
	}
	flash(w, r, msg, name)
}

// flash redirects to the console with a message in words and the id it is
// about.
func flash(w http.ResponseWriter, r *http.Request, msg, ref string) {
	q := url.Values{"flash": {msg}}
	if ref != "" {
		q.Set("ref", ref)
	}
	http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
}

func (rt *Runtime) runDueForm(w http.ResponseWriter, r *http.Request) {
	until := r.FormValue("until")
	if until != "" && !strings.HasSuffix(until, "Z") && len(until) == len("2006-01-02T15:04") {
		until += ":00Z" // the console's datetime-local input, read as UTC
	}
	since := rt.Clock.Now()
	fired, err := rt.runDue(r, until)
	if err != nil {
		flash(w, r, upperFirst(err.Error()), "")
		return
	}
	flash(w, r, rt.dueSummary(r.Context(), since, fired), "")
}

// dueSummary says in words what Run due did: how many schedules ran, and
// what each did to its step, for the first few.
func (rt *Runtime) dueSummary(ctx context.Context, since time.Time, fired []firedJSON) string {
	if len(fired) == 0 {
		return "Nothing was due by then."
	}
	const shown = 5
	parts := []string{fmt.Sprintf("Ran %d due schedule(s).", len(fired))}
	for i, f := range fired {
		if i == shown {
			parts = append(parts, fmt.Sprintf("And %d more: see the incidents below.", len(fired)-shown))
			break
		}
		var runErr error
		if f.Error != "" {
			runErr = errors.New(f.Error)
		}
		after, inc := rt.stepState(ctx, f.IncidentID, f.Step)
		parts = append(parts, runOutcome(rt.cfg.Policy, since, after, inc, f.Step, runErr))
	}
	return strings.Join(parts, " ")
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
// CSP sandbox: scripts in a (malicious) email cannot run. Only the
// console's own pages may frame it.
func (rt *Runtime) outboxHTML(w http.ResponseWriter, r *http.Request) {
	e, err := rt.outbox.Read(r.PathValue("name"))
	if err != nil {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Security-Policy", cspEmailFrame)
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
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

// MaxInbound bounds a posted reply: replies.MaxMessage, as on AWS.
const MaxInbound = replies.MaxMessage

// inboundJSON is the answer of POST /dev/api/inbound: what became of the
// reply, and where its raw message is kept.
type inboundJSON struct {
	app.ReplyResult
	Ref string `json:"ref"`
}

// inboundName is the shape of the files receive writes, so that
// GET /dev/inbound/{name} serves nothing else.
var inboundName = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}\.eml$`)

// receive keeps a raw reply in <data>/inbound and hands it to the Reply
// use case, as the replies function does on AWS with the object SES
// stored in S3. The file is named after the dev clock's time and the
// message's hash, so posting the same message twice in a second rewrites
// the same file.
func (rt *Runtime) receive(r *http.Request, raw []byte, envelope []string) (inboundJSON, error) {
	sum := sha256.Sum256(raw)
	name := rt.Clock.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(sum[:6]) + ".eml"
	if err := writeAtomic(filepath.Join(rt.inbox, name), raw); err != nil {
		return inboundJSON{}, fmt.Errorf("keep inbound message: %w", err)
	}
	ref := "inbound/" + name
	res, err := rt.svc.Reply(r.Context(), raw, ref, envelope...)
	return inboundJSON{ReplyResult: res, Ref: ref}, err
}

// writeAtomic writes a private file under a temporary name and renames it,
// so that a reader never sees half a message.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".incoming-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// apiInbound takes a raw RFC 5322 message, as a mail server would deliver
// a customer's reply to a reply address: POST /dev/api/inbound. Optional
// ?to= parameters are the envelope recipients (SES's receipt.recipients).
// A dropped reply is a 200 with outcome "dropped": the message was
// received; it only belongs to no incident.
func (rt *Runtime) apiInbound(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxInbound))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		apiError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("message over %d bytes", MaxInbound))
		return
	case err != nil:
		apiError(w, http.StatusBadRequest, err)
		return
	case len(strings.TrimSpace(string(raw))) == 0:
		apiError(w, http.StatusBadRequest, errors.New("empty body: post the raw message (RFC 5322)"))
		return
	}
	res, err := rt.receive(r, raw, r.URL.Query()["to"])
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, res)
}

// apiSESEvents takes a bounce, complaint or delivery-delay event exactly
// as EventBridge delivers it to the feedback function on AWS (see
// shared/sesevents), and runs the same use case.
func (rt *Runtime) apiSESEvents(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sesevents.MaxEvent))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		apiError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("event over %d bytes (EventBridge's limit)", sesevents.MaxEvent))
		return
	case err != nil:
		apiError(w, http.StatusBadRequest, err)
		return
	}
	ev, err := sesevents.Parse(raw)
	if err != nil {
		apiError(w, http.StatusBadRequest, fmt.Errorf("%w; post the event as EventBridge delivers it: {\"source\": \"aws.ses\", \"detail-type\": \"Email Bounced\", \"detail\": {\"eventType\": \"Bounce\", \"mail\": {\"tags\": {\"incident\": [\"inc_…\"]}}, \"bounce\": {\"bounceType\": \"Permanent\", …}}}", err))
		return
	}
	res, err := rt.svc.RecordMailEvent(r.Context(), ev)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, res)
}

// apiContact shows the record held about ?email=.
func (rt *Runtime) apiContact(w http.ResponseWriter, r *http.Request) {
	email, ok := emailParam(w, r.URL.Query().Get("email"))
	if !ok {
		return
	}
	c, err := rt.svc.Person(r.Context(), email)
	if err != nil {
		personError(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, c)
}

// apiExport answers "what do you hold about me?" for ?email=: one JSON
// document.
func (rt *Runtime) apiExport(w http.ResponseWriter, r *http.Request) {
	email, ok := emailParam(w, r.URL.Query().Get("email"))
	if !ok {
		return
	}
	exp, err := rt.svc.Export(r.Context(), email)
	if err != nil {
		personError(w, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="aftercare-export.json"`)
	web.WriteJSON(w, http.StatusOK, exp)
}

// apiErase answers "delete me" for {"email": …}.
func (rt *Runtime) apiErase(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, fmt.Errorf(`post {"email": "…"}: %w`, err))
		return
	}
	if _, ok := emailParam(w, req.Email); !ok {
		return
	}
	res, err := rt.svc.Erase(r.Context(), req.Email)
	if err != nil {
		personError(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, res)
}

// emailParam checks an address given to the people routes.
func emailParam(w http.ResponseWriter, email string) (string, bool) {
	if _, _, ok := mail.SplitAddress(strings.TrimSpace(email)); !ok {
		apiError(w, http.StatusBadRequest, errors.New("give the person's email address: ?email=<address> (or {\"email\": …} for erase)"))
		return "", false
	}
	return email, true
}

// personError answers the people routes' errors: a missing or malformed
// address is the caller's, an unknown one is 404.
func personError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, app.ErrNoPerson):
		apiError(w, http.StatusNotFound, err)
	default:
		apiError(w, http.StatusInternalServerError, err)
	}
}

// inboundForm is the console's "paste a reply" box.
func (rt *Runtime) inboundForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*MaxInbound)
	msg := r.FormValue("message")
	if strings.TrimSpace(msg) == "" {
		http.Redirect(w, r, "/?flash="+url.QueryEscape("paste a whole email, headers first")+"#inbound", http.StatusSeeOther)
		return
	}
	// A textarea sends CRLF line ends, as mail does; keep them.
	res, err := rt.receive(r, []byte(msg), nil)
	flash := ""
	switch {
	case err != nil:
		flash = "reply failed: " + err.Error()
	case res.Outcome == app.ReplyDropped:
		flash = "reply dropped: " + res.Reason
	default:
		flash = "reply " + res.Outcome + " on " + res.IncidentID + " (" + res.Step + ")"
	}
	target := "/?flash=" + url.QueryEscape(flash)
	if res.IncidentID != "" {
		target += "#" + res.IncidentID
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// inboundRaw shows a kept reply as plain text, for the timeline's links.
func (rt *Runtime) inboundRaw(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !inboundName.MatchString(name) {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	b, err := os.ReadFile(filepath.Join(rt.inbox, name))
	if err != nil {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", cspRawText)
	_, _ = w.Write(b)
}
