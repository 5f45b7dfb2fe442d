// Package web serves Aftercare's public HTTP routes — webhooks, the
// customer's rating pages and the team's read-only timeline — with
// net/http, so the same handler runs behind API Gateway on AWS and in the
// local runtime.
//
// # Rating links and link scanners
//
// Mail security gateways, antivirus filters and chat or mail previews fetch
// every link in an email, often before the customer has seen it, with HEAD
// or GET requests. A rating link must therefore never record an answer
// when it is merely fetched. GET /r/{token} verifies the link and shows the
// rating page (the score the link stands for highlighted, the optional
// comment box and, after a low score, the optional reasons) without
// recording anything, and HEAD only reports the status. Only a POST
// to the same URL records the answer. A small script served from our own
// origin, /assets/rating.js (the pages allow script-src 'self' and nothing
// else), posts the confirmation as soon as the page is shown to a person in
// a browser (it waits while the page is prerendered or hidden), so one
// click in the email is still one click. Without JavaScript the page's
// "send my answer" button posts the same form. Scanners that only fetch
// never post; a sandbox that runs the page's scripts like a real browser
// can still confirm it, exactly as a customer would, which the customer can
// correct by clicking another score, as links stay valid for their whole
// window.
package web

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/web/hooks"
)

// Config wires the handler.
type Config struct {
	Service   *app.Service
	Providers []providers.Provider
	Brand     draft.Brand
	Clock     clock.Clock
	Log       *slog.Logger
	// Copy is the operator's wording (i18n.New with overrides); nil means
	// the catalogs as shipped. Pages and emails should share one, so a
	// guest reads the same words in both.
	Copy *i18n.Set
	// ExportPart is how many incidents one CSV export response of the
	// dashboard holds (0: app.ExportPart); larger exports come in parts.
	ExportPart int
}

// Handler serves the public routes.
type Handler struct {
	svc    *app.Service
	copy   *i18n.Set
	pages  *pages
	clock  clock.Clock
	log    *slog.Logger
	mux    *http.ServeMux
	routes []string
}

// New builds the handler and its routes:
//
//	POST /webhooks/{provider}   a booking or ticket event
//	GET  /r/{token}             the rating page; records nothing
//	HEAD /r/{token}             the link's status; records nothing
//	POST /r/{token}             records the score with any comment and reasons
//	                            (an HTML thank-you page, or JSON for rating.js)
//	GET  /assets/rating.js      the confirmation script (long-cached)
//	GET  /t/{token}             the team's read-only incident timeline
//	GET  /u/{token}             the unsubscribe page; records nothing
//	POST /u/{token}             unsubscribes at once (RFC 8058 one-click,
//	                            "List-Unsubscribe=One-Click"), or resubscribes
//	                            with action=resubscribe
//	GET  /team                  the team's dashboard: sign-in, then
//	     /team/...              queue, incidents, actions (see dash.go)
//	GET  /healthz               liveness
func New(cfg Config) *Handler {
	h := &Handler{
		svc: cfg.Service, copy: cfg.Copy, pages: newPages(cfg.Brand), clock: cfg.Clock, log: cfg.Log, mux: http.NewServeMux(),
	}
	if h.copy == nil {
		h.copy = i18n.Default()
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	public := func(pattern string, f http.HandlerFunc) {
		h.mux.HandleFunc(pattern, f)
		h.routes = append(h.routes, pattern)
	}
	public("POST /webhooks/{provider}", hooks.New(hooks.Config{Service: cfg.Service, Providers: cfg.Providers, Clock: cfg.Clock, Log: h.log}).ServeHTTP)
	public("GET /r/{token}", h.rate)
	public("HEAD /r/{token}", h.peek)
	public("POST /r/{token}", h.answer)
	public("GET "+ratingJSPath, serveRatingJS)
	public("GET /t/{token}", h.team)
	public("GET /u/{token}", h.consentPage)
	public("POST /u/{token}", h.consent)
	h.reviewRoutes(public) // GET/POST /v/{token}: review invitations (review.go)
	newDash(cfg.Service, cfg.Brand, cfg.Clock, h.log, cfg.ExportPart).routes(public)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return h
}

// lang is the language closest to locale (a customer's recorded locale or
// an Accept-Language header), in the operator's words.
func (h *Handler) lang(locale string) *i18n.Lang { return h.copy.For(locale) }

// Routes lists the public routes in ServeMux pattern syntax ("GET
// /r/{token}"), which is also API Gateway's route-key syntax: the template
// test checks that the SAM template routes every one of them.
func (h *Handler) Routes() []string { return slices.Clone(h.routes) }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// Handle registers more routes on the same mux (the local runtime adds
// its dev console).
func (h *Handler) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// WriteJSON writes v as indented JSON with the status code; every JSON
// answer goes through it so they all look alike.
func WriteJSON(w http.ResponseWriter, code int, v any) { hooks.WriteJSON(w, code, v) }

type errorReply = hooks.ErrorReply
