package web

import (
	"net/http"

	"github.com/aftercare/aftercare/shared/app"
)

// Form fields of the unsubscribe page (POST /u/{token}). A mailbox
// provider's RFC 8058 one-click POST sends only
// "List-Unsubscribe=One-Click"; any POST without action=resubscribe
// unsubscribes, since scanners fetch links but never post.
const (
	fieldAction        = "action"
	actionResubscribe  = "resubscribe"
	fieldOneClick      = "List-Unsubscribe"
	oneClickFieldValue = "One-Click"
)

// consentPage shows where the person stands, with one button: unsubscribe,
// or resubscribe once unsubscribed. A GET records nothing.
func (h *Handler) consentPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.ConsentPeek(r.Context(), r.PathValue("token"))
	if err != nil {
		h.linkError(w, r, err, false)
		return
	}
	h.renderConsent(w, v, false)
}

// consent records the person's choice: the page's buttons, or a mailbox
// provider's one-click POST (RFC 8058), which needs no cookie, no token
// beyond the URL and no further step.
func (h *Handler) consent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := parseForm(r); err != nil {
		h.pages.render(w, http.StatusBadRequest, "message.html", pageData{L: h.lang(r.Header.Get("Accept-Language")), Title: "page.error.title", Message: "page.error.body"})
		return
	}
	change := h.svc.Unsubscribe
	if r.PostForm.Get(fieldAction) == actionResubscribe && r.PostForm.Get(fieldOneClick) != oneClickFieldValue {
		change = h.svc.Resubscribe
	}
	v, err := change(r.Context(), r.PathValue("token"))
	if err != nil {
		h.linkError(w, r, err, false)
		return
	}
	h.renderConsent(w, v, true)
}

func (h *Handler) renderConsent(w http.ResponseWriter, v app.ConsentView, changed bool) {
	d := pageData{L: h.lang(v.Locale), Consent: v, Changed: changed}
	switch {
	case v.Suppressed:
		d.Title, d.Message = "page.unsub.done.title", "page.unsub.suppressed"
	case v.Unsubscribed:
		d.Title, d.Message = "page.unsub.done.title", "page.unsub.done.body"
	default:
		d.Title, d.Message = "page.unsub.title", "page.unsub.body"
		if changed {
			d.Title, d.Message = "page.unsub.back.title", "page.unsub.back.body"
		}
	}
	h.pages.render(w, http.StatusOK, "unsubscribe.html", d)
}
