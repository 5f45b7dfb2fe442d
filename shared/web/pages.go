package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/render"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages renders the customer-facing pages, branded and localised.
// html/template escapes everything a customer or sender supplied.
type pages struct {
	brand render.Brand
	tmpl  *template.Template
}

func newPages(b render.Brand) *pages {
	b = b.WithDefaults()
	t := template.Must(template.New("").Funcs(template.FuncMap{
		"safeCSSColor": safeColor,
	}).ParseFS(templateFS, "templates/*.html"))
	return &pages{brand: b, tmpl: t}
}

// pageData is what every page template receives.
type pageData struct {
	Brand   render.Brand
	L       *i18n.Lang
	Title   string
	Message string
	View    app.AnswerView
	Max     int
	Comment bool // a comment was just saved
}

func (p *pages) render(w http.ResponseWriter, code int, name string, d pageData) {
	d.Brand = p.brand
	d.Brand.Copyright = p.brand.CopyrightLine(time.Now())
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

func (h *Handler) rate(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.Answer(r.Context(), r.PathValue("token"))
	h.answerPage(w, r, v, err, false)
}

func (h *Handler) peek(w http.ResponseWriter, r *http.Request) {
	_, err := h.svc.Peek(r.Context(), r.PathValue("token"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(h.linkStatus(err))
}

func (h *Handler) comment(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.pages.render(w, http.StatusBadRequest, "message.html", pageData{L: i18n.For(""), Title: "page.error.title", Message: "page.error.body"})
		return
	}
	v, err := h.svc.Comment(r.Context(), r.PathValue("token"), r.PostForm.Get("comment"))
	h.answerPage(w, r, v, err, true)
}

func (h *Handler) answerPage(w http.ResponseWriter, r *http.Request, v app.AnswerView, err error, commented bool) {
	if err != nil {
		code := h.linkStatus(err)
		title, msg := "page.invalid.title", "page.invalid.body"
		switch {
		case code == http.StatusGone:
			title = "page.expired.title"
		case code >= 500:
			title, msg = "page.error.title", "page.error.body"
			h.log.ErrorContext(r.Context(), "rating failed", "error", err)
		}
		h.pages.render(w, code, "message.html", pageData{L: i18n.For(r.Header.Get("Accept-Language")), Title: title, Message: msg})
		return
	}
	_, hi := v.Claims.Survey.Range()
	h.pages.render(w, http.StatusOK, "thanks.html", pageData{L: i18n.For(v.Locale), View: v, Max: hi, Comment: commented})
}

// linkStatus maps a rating-link error to a friendly status: 410 for an
// expired link, 404 for a tampered or unknown one, 500 otherwise.
func (h *Handler) linkStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, links.ErrExpired):
		return http.StatusGone
	case errors.Is(err, app.ErrBadLink):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// safeColor lets only a #rgb/#rrggbb colour into the page's CSS.
func safeColor(c string) template.CSS {
	if len(c) == 4 || len(c) == 7 {
		ok := c[0] == '#'
		for _, r := range c[1:] {
			ok = ok && (r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F')
		}
		if ok {
			return template.CSS(c)
		}
	}
	return template.CSS("#2f6f8f")
}
