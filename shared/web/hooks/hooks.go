// Package hooks serves POST /webhooks/{provider}: it verifies a booking or
// ticket webhook with its provider, ingests the events and answers as the
// README documents. It is its own package so that the ingest function
// links neither the customer pages nor html/template (whose reflection
// keeps every method of every linked type).
package hooks

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
)

// Config wires the webhook handler.
type Config struct {
	Service   *app.Service
	Providers []providers.Provider
	Clock     clock.Clock
	Log       *slog.Logger
}

// Handler serves POST /webhooks/{provider}.
type Handler struct {
	svc       *app.Service
	providers map[string]providers.Provider
	clock     clock.Clock
	log       *slog.Logger
}

// New builds the handler for the given providers.
func New(cfg Config) *Handler {
	h := &Handler{svc: cfg.Service, providers: map[string]providers.Provider{}, clock: cfg.Clock, log: cfg.Log}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clock == nil {
		h.clock = clock.System{}
	}
	for _, p := range cfg.Providers {
		h.providers[p.Name()] = p
	}
	return h
}

// ErrorReply is the JSON answer to a request that failed.
type ErrorReply struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// webhookReply is the JSON answer to a webhook.
type webhookReply struct {
	Status  string             `json:"status"`
	Reason  string             `json:"reason,omitempty"`
	Results []app.IngestResult `json:"results,omitempty"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	name := r.PathValue("provider")
	p, ok := h.providers[name]
	if !ok {
		WriteJSON(w, http.StatusNotFound, ErrorReply{Error: "unknown provider " + name})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, providers.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteJSON(w, http.StatusRequestEntityTooLarge, ErrorReply{Error: "body larger than 256 KiB"})
			return
		}
		WriteJSON(w, http.StatusBadRequest, ErrorReply{Error: "cannot read body"})
		return
	}
	events, err := p.Parse(providers.Request{Header: r.Header, Query: r.URL.Query(), Body: body}, h.clock.Now())
	if errors.Is(err, providers.ErrIgnored) {
		h.log.InfoContext(r.Context(), "webhook ignored", "provider", name, "reason", err.Error())
		WriteJSON(w, http.StatusAccepted, webhookReply{Status: "ignored", Reason: err.Error()})
		return
	}
	if err != nil {
		h.fail(w, r, name, err)
		return
	}
	reply := webhookReply{Status: "accepted"}
	for _, e := range events {
		res, err := h.svc.Ingest(r.Context(), e)
		if err != nil {
			h.fail(w, r, name, err)
			return
		}
		reply.Results = append(reply.Results, res)
	}
	WriteJSON(w, http.StatusAccepted, reply)
}

// fail maps use-case and provider errors to status codes, in one place.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, provider string, err error) {
	var fe *domain.FieldError
	switch {
	case errors.Is(err, providers.ErrUnauthorized):
		h.log.WarnContext(r.Context(), "webhook rejected", "provider", provider, "reason", err.Error())
		WriteJSON(w, http.StatusUnauthorized, ErrorReply{Error: err.Error()})
	case errors.As(err, &fe):
		WriteJSON(w, http.StatusBadRequest, ErrorReply{Error: err.Error(), Field: fe.Field})
	case errors.Is(err, providers.ErrMalformed), errors.Is(err, domain.ErrInvalidEvent):
		WriteJSON(w, http.StatusBadRequest, ErrorReply{Error: err.Error()})
	case errors.Is(err, domain.ErrKindMismatch):
		WriteJSON(w, http.StatusConflict, ErrorReply{Error: err.Error()})
	default:
		h.log.ErrorContext(r.Context(), "webhook failed", "provider", provider, "error", err)
		WriteJSON(w, http.StatusInternalServerError, ErrorReply{Error: "internal error; retry later"})
	}
}

// WriteJSON writes v as indented JSON with the status code; every JSON
// answer goes through it so they all look alike.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
