package web

// dash.go is the team's dashboard: sign-in by emailed link, the attention
// queue, incidents and the actions of complaint handling. It is the same
// handler behind API Gateway on AWS and in the local runtime.
//
// Security: every page sends a strict CSP (no script at all, styles only
// from our origin), frame-ancestors 'none', no referrer, no caching.
// The session cookie is __Host- prefixed, HttpOnly, Secure, SameSite=Lax;
// every form carries a CSRF token (the session's, or before signing in a
// double-submitted one) and every change is a POST.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/store"
)

// Cookies of the dashboard. The __Host- prefix makes browsers refuse them
// unless Secure, Path=/ and without Domain: no subdomain can plant one.
const (
	SessionCookie = "__Host-aftercare-session"
	csrfCookie    = "__Host-aftercare-csrf"
	fieldCSRF     = "csrf"
)

// cspDash allows no script and no inline style: the dashboard needs
// neither (charts are server-rendered SVG).
const cspDash = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed assets/team.css
var teamCSS []byte

var teamCSSVersion = func() string {
	sum := sha256.Sum256(teamCSS)
	return hex.EncodeToString(sum[:6])
}()

const teamCSSPath = "/assets/team.css"

// maxDashForm bounds a dashboard form: a 5,000-byte message, escaped.
const maxDashForm = 64 << 10

// minTokenLen is the length of a CSRF token this handler made
// (crypto/rand.Text: 128 bits in 26 characters); a shorter cookie is not one.
const minTokenLen = 26

type dash struct {
	svc *app.Service
	// tmpl parses the dashboard's templates on first use: the respond
	// function's cold start serves customers' pages first.
	tmpl  func() *template.Template
	brand draft.Brand
	clock clock.Clock
	log   *slog.Logger
	// base is the public URL's path (an API Gateway stage), before every
	// link the pages write.
	base string
	// insecure is why the dashboard refuses to run: a public URL on plain
	// http anywhere but localhost, where a Secure cookie cannot hold.
	insecure string
	// exportPart is how many incidents one CSV export response holds.
	exportPart int
}

func newDash(svc *app.Service, brand draft.Brand, clk clock.Clock, log *slog.Logger, exportPart int) *dash {
	if exportPart <= 0 {
		exportPart = app.ExportPart
	}
	d := &dash{svc: svc, brand: draft.WithDefaults(brand), clock: clk, log: log, exportPart: exportPart}
	d.tmpl = sync.OnceValue(func() *template.Template {
		return template.Must(template.New("").Funcs(template.FuncMap{
			"zoned":     zoned,
			"needsTeam": func(inc domain.Incident) bool { return inc.NeedsTeam() },
			"deref":     func(b *bool) bool { return b != nil && *b },
		}).ParseFS(templateFS, "templates/dash/*.html"))
	})
	if svc == nil { // only listing the routes (the template test)
		return d
	}
	if u, err := url.Parse(svc.PublicURL()); err == nil {
		d.base = strings.TrimRight(u.Path, "/")
		if u.Scheme != "https" && !isLocalhost(u.Hostname()) {
			d.insecure = "the team's dashboard needs an https public URL (plain http is allowed only on localhost)"
		}
	}
	return d
}

func isLocalhost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// routes registers the dashboard on the handler's mux.
func (d *dash) routes(public func(string, http.HandlerFunc)) {
	public("GET "+teamCSSPath, serveTeamCSS)
	public("GET /team", d.guard(d.signInPage))
	public("POST /team/signin", d.guard(d.requestSignIn))
	public("GET /team/signin/{token}", d.guard(d.confirmPage))
	public("POST /team/signin/{token}", d.guard(d.confirmSignIn))
	public("POST /team/signout", d.guard(d.member(d.signOut)))
	public("GET /team/queue", d.guard(d.member(d.queue)))
	public("GET /team/incidents", d.guard(d.member(d.incidents)))
	public("GET /team/incidents/{id}", d.guard(d.member(d.incident)))
	public("POST /team/incidents/{id}/{action}", d.guard(d.member(d.act)))
	public("GET /team/reports", d.guard(d.member(d.reports)))
	public("GET /team/export/{file}", d.guard(d.member(d.export)))
}

func serveTeamCSS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("ETag", `"`+teamCSSVersion+`"`)
	if r.URL.Query().Get("v") == teamCSSVersion {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, "team.css", time.Time{}, bytes.NewReader(teamCSS))
}

// guard sets the headers every dashboard answer carries and refuses to
// serve over a public URL where the session cookie could not be Secure.
func (d *dash) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", cspDash)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Robots-Tag", "noindex, nofollow")
		if d.insecure != "" {
			http.Error(w, d.insecure, http.StatusServiceUnavailable)
			return
		}
		next(w, r)
	}
}

// signedIn is a handler that needs a session.
type signedIn func(w http.ResponseWriter, r *http.Request, sess app.Session)

// member resolves the session cookie; without a valid session a GET goes
// to the sign-in page and a POST is refused. Every POST must carry the
// session's CSRF token.
func (d *dash) member(next signedIn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var token string
		if c, err := r.Cookie(SessionCookie); err == nil {
			token = c.Value
		}
		sess, err := d.svc.TeamSession(r.Context(), token)
		if err != nil {
			if !errors.Is(err, app.ErrNoSession) {
				d.fail(w, r, err)
				return
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, d.base+"/team", http.StatusSeeOther)
				return
			}
			d.page(w, http.StatusUnauthorized, "dash_signin.html", dashData{Title: "Sign in", Error: "Your session has ended: sign in again."})
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxDashForm)
			if err := r.ParseForm(); err != nil || !sess.CheckCSRF(r.PostForm.Get(fieldCSRF)) {
				d.page(w, http.StatusForbidden, "dash_signin.html", dashData{Title: "Sign in", Error: "This form is out of date or not ours (CSRF check failed). Reload the page and try again."})
				return
			}
		}
		next(w, r, sess)
	}
}

// dashData is what every dashboard page receives.
type dashData struct {
	Brand      draft.Brand
	Base       string
	CSSVersion string
	Title      string
	Here       string
	Member     string
	CSRF       string
	Flash      string
	Error      string

	Queue []queueItem

	Filter   app.Filter
	Statuses []domain.Status
	Results  []domain.Incident
	Scanned  int
	Next     store.Cursor
	NextURL  string

	Incident domain.Incident
	// Handled is when the incident's attention episode was marked
	// handled; zero while it waits.
	Handled  time.Time
	Answers  []answerRow
	Steps    []stepRow
	Timeline []entryRow

	Report *reportView
}

func (d *dash) page(w http.ResponseWriter, code int, name string, data dashData) {
	data.Brand, data.Base, data.CSSVersion = d.brand, d.base, teamCSSVersion
	var buf bytes.Buffer
	if err := d.tmpl().ExecuteTemplate(&buf, name, data); err != nil {
		d.log.Error("dashboard page failed", "page", name, "error", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

func (d *dash) signedPage(w http.ResponseWriter, sess app.Session, code int, name string, data dashData) {
	data.Member, data.CSRF = sess.Member, sess.CSRF
	d.page(w, code, name, data)
}

// fail answers an unexpected error without its details.
func (d *dash) fail(w http.ResponseWriter, r *http.Request, err error) {
	d.log.ErrorContext(r.Context(), "dashboard request failed", "path", r.URL.Path, "error", err)
	code, msg := http.StatusInternalServerError, "Something went wrong on our side; try again in a moment."
	switch {
	case errors.Is(err, store.ErrNotFound):
		code, msg = http.StatusNotFound, "No such incident."
	case errors.Is(err, app.ErrBadAction):
		code, msg = http.StatusBadRequest, err.Error()
	}
	d.page(w, code, "dash_signin.html", dashData{Title: "Error", Here: "error", Error: msg})
}

// preCSRF is the double-submit token of the forms shown before signing
// in: a random value in a cookie and in the form, which another site can
// neither read nor set (the cookie is __Host-).
func (d *dash) preCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= minTokenLen {
		return c.Value
	}
	v := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(time.Hour / time.Second)})
	return v
}

func (d *dash) checkPreCSRF(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxDashForm)
	if err := r.ParseForm(); err != nil {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	form := r.PostForm.Get(fieldCSRF)
	return err == nil && len(c.Value) >= minTokenLen && subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) == 1
}

func (d *dash) signInPage(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if _, err := d.svc.TeamSession(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, d.base+"/team/queue", http.StatusSeeOther)
			return
		}
	}
	d.page(w, http.StatusOK, "dash_signin.html", dashData{Title: "Sign in", CSRF: d.preCSRF(w, r)})
}

// requestSignIn answers the same whether or not the address is on the
// team list; only the rate limit answers differently, and alike for all.
func (d *dash) requestSignIn(w http.ResponseWriter, r *http.Request) {
	if !d.checkPreCSRF(w, r) {
		d.page(w, http.StatusForbidden, "dash_signin.html", dashData{Title: "Sign in", CSRF: d.preCSRF(w, r), Error: "This form is out of date (CSRF check failed). Try again."})
		return
	}
	err := d.svc.RequestSignIn(r.Context(), r.PostForm.Get("email"), clientOf(r))
	switch {
	case errors.Is(err, app.ErrRateLimited):
		w.Header().Set("Retry-After", "900")
		d.page(w, http.StatusTooManyRequests, "dash_signin.html", dashData{Title: "Sign in", CSRF: d.preCSRF(w, r), Error: "Too many sign-in requests. Try again in 15 minutes."})
	case err != nil:
		d.fail(w, r, err)
	default:
		d.page(w, http.StatusOK, "dash_signin.html", dashData{Title: "Check your email", Here: "sent"})
	}
}

// clientOf names the client for rate limits: its IP address (API
// Gateway's source IP on AWS, the peer locally).
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// confirmPage is what the emailed link opens: a button that POSTs. A GET
// signs nobody in, so link scanners that fetch it use nothing up.
func (d *dash) confirmPage(w http.ResponseWriter, r *http.Request) {
	if err := d.svc.SignInPending(r.Context(), r.PathValue("token")); err != nil {
		if errors.Is(err, app.ErrSignInLink) {
			d.page(w, http.StatusNotFound, "dash_signin.html", dashData{Title: "Link no longer works", Here: "expired"})
			return
		}
		d.fail(w, r, err)
		return
	}
	d.page(w, http.StatusOK, "dash_signin.html", dashData{Title: "Sign in", Here: "confirm", CSRF: d.preCSRF(w, r)})
}

func (d *dash) confirmSignIn(w http.ResponseWriter, r *http.Request) {
	if !d.checkPreCSRF(w, r) {
		d.page(w, http.StatusForbidden, "dash_signin.html", dashData{Title: "Sign in", Here: "confirm", CSRF: d.preCSRF(w, r), Error: "This form is out of date (CSRF check failed). Press the button again."})
		return
	}
	cookie, _, err := d.svc.ConfirmSignIn(r.Context(), r.PathValue("token"))
	if errors.Is(err, app.ErrSignInLink) {
		d.page(w, http.StatusNotFound, "dash_signin.html", dashData{Title: "Link no longer works", Here: "expired"})
		return
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: cookie, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(app.SessionLife / time.Second)})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, d.base+"/team/queue", http.StatusSeeOther)
}

func (d *dash) signOut(w http.ResponseWriter, r *http.Request, sess app.Session) {
	if err := d.svc.SignOut(r.Context(), sess); err != nil {
		d.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, d.base+"/team", http.StatusSeeOther)
}
