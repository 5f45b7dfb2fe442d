package local

import (
	"net/http"
	"net/mail"
	"net/url"

	"github.com/aftercare/aftercare/infra/local/preview"
	"github.com/aftercare/aftercare/shared/i18n"
	outmail "github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/render"
)

// previewData is what the preview page shows.
type previewData struct {
	Templates, Locales []string
	Template, Locale   string // the filter (and the send form's choice)
	Rows               []preview.Row
	Flash              string
	SMTP, Copy         bool
}

// previewPage shows every template in every language (or those chosen
// with ?template= and ?locale=) side by side, rendered with sample data by
// the runtime's own renderer: its brand and its copy overrides.
func (rt *Runtime) previewPage(w http.ResponseWriter, r *http.Request) {
	tpl, loc := r.URL.Query().Get("template"), r.URL.Query().Get("locale")
	templates, locales, err := preview.Select(tpl, loc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	items, err := preview.Render(rt.renderer, templates, locales)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rt.page(w, "preview.html", previewData{
		Templates: render.Templates(), Locales: i18n.Codes(), Template: tpl, Locale: loc,
		Rows: preview.Grid(items), Flash: r.URL.Query().Get("flash"),
		SMTP: rt.cfg.SMTPAddr != "", Copy: rt.cfg.Settings.Copy != nil,
	})
}

// previewHTML serves one preview's HTML for the page's iframe, under the
// same CSP sandbox as an outbox email.
func (rt *Runtime) previewHTML(w http.ResponseWriter, r *http.Request) {
	tpl, loc := r.PathValue("template"), r.PathValue("locale")
	if tpl == "" || loc == "" {
		http.Error(w, "no such preview", http.StatusNotFound)
		return
	}
	if _, _, err := preview.Select(tpl, loc); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	it, err := preview.One(rt.renderer, tpl, loc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", cspEmailFrame)
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(it.HTML))
}

// previewSend mails one preview to the address in the form, through the
// runtime's mailer (the outbox, and SMTP when configured), then shows the
// preview page again with what happened.
func (rt *Runtime) previewSend(w http.ResponseWriter, r *http.Request) {
	tpl, loc := r.FormValue("template"), r.FormValue("locale")
	if tpl == "" || loc == "" {
		http.Error(w, "choose a template and a language", http.StatusBadRequest)
		return
	}
	if _, _, err := preview.Select(tpl, loc); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	to, err := mail.ParseAddress(r.FormValue("to"))
	if err != nil {
		http.Error(w, "to: give an email address", http.StatusBadRequest)
		return
	}
	it, err := preview.One(rt.renderer, tpl, loc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := preview.Send(r.Context(), rt.mailer, it, rt.cfg.Settings.From, *to, rt.Clock.Now()); err != nil {
		rt.log.Error("preview send failed", "preview", it.Name(), "error", outmail.Redact(err.Error()))
		http.Error(w, "sending failed; see the log", http.StatusBadGateway)
		return
	}
	rt.log.Info("preview sent", "preview", it.Name())
	q := url.Values{"template": {tpl}, "locale": {loc}, "flash": {"Sent " + it.Name() + " (" + it.Subject + ")."}}
	http.Redirect(w, r, "/dev/preview?"+q.Encode(), http.StatusSeeOther)
}
