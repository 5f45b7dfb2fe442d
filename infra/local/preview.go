package local

import (
	"context"
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
		SMTP: rt.cfg.SMTPAddr != "", Copy: rt.cfg.Settings.CopyOverrides != "",
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
	it, err := rt.SendPreview(r.Context(), tpl, loc, *to)
	if err != nil {
		rt.log.Error("preview send failed", "preview", tpl+"."+loc, "error", outmail.Redact(err.Error()))
		http.Error(w, "sending failed; see the log", http.StatusBadGateway)
		return
	}
	rt.log.Info("preview sent", "preview", it.Name())
	q := url.Values{"template": {tpl}, "locale": {loc}, "flash": {"Sent " + it.Name() + " (" + it.Subject + ")."}}
	http.Redirect(w, r, "/dev/preview?"+q.Encode(), http.StatusSeeOther)
}

// SendPreview renders template in locale with sample data, with this
// runtime's brand and copy, and mails it to to through this runtime's
// mailer (the outbox, and SMTP when configured), from its sender. The
// console's form and `aftercare-admin preview -send` use it.
func (rt *Runtime) SendPreview(ctx context.Context, template, locale string, to mail.Address) (preview.Item, error) {
	if _, _, err := preview.Select(template, locale); err != nil {
		return preview.Item{}, err
	}
	it, err := preview.One(rt.renderer, template, locale)
	if err != nil {
		return preview.Item{}, err
	}
	if _, err := preview.Send(ctx, rt.mailer, it, rt.cfg.Settings.From, to, rt.Clock.Now()); err != nil {
		return preview.Item{}, err
	}
	return it, nil
}
