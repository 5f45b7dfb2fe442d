package web

// review.go serves the review invitation's link.
//
//	GET  /v/{token}   the review page: the sites configured for the
//	                  booking's location, one button each; records nothing
//	HEAD /v/{token}   the same, without the body (link scanners probe)
//	POST /v/{token}   site=<index>: records on the timeline that the
//	                  customer went on to that site (once per site), then
//	                  303 See Other to that site's configured URL
//
// Why a page and a POST rather than a redirect on GET: mail security
// gateways and previews fetch every link in an email, so a GET that
// records "went to Google" would record scanners, not customers; the
// project's rule is that a state change a link causes is confirmed with a
// POST. The page costs the customer one click, which also lets them
// choose among several sites. The redirect's target is never taken from
// the request: the form names an index into the sites configured now for
// the incident's location, and an index that names none gets the friendly
// bad-link page, so the route cannot be used as an open redirect.

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail/draft"
)

// fieldSite is the review form's one field: the chosen site's index.
const fieldSite = "site"

// maxReviewForm bounds the review form's body: it carries one number.
const maxReviewForm = 1 << 10

// reviewRoutes registers the review link's routes.
func (h *Handler) reviewRoutes(public func(string, http.HandlerFunc)) {
	public("GET /v/{token}", h.reviewPage)
	public("HEAD /v/{token}", h.reviewPage) // scanners probe; routed apart on API Gateway
	public("POST /v/{token}", h.reviewFollow)
}

// reviewPageData is what review.html receives.
type reviewPageData struct {
	pageData
	Sites []domain.ReviewSite
}

// reviewPage shows the sites to choose from. It records nothing.
func (h *Handler) reviewPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.ReviewPeek(r.Context(), r.PathValue("token"))
	if err != nil {
		h.linkError(w, r, err, false)
		return
	}
	d := reviewPageData{pageData: pageData{L: h.lang(v.Locale), Title: "page.review.title"}, Sites: v.Sites}
	d.Brand = h.pages.brand
	d.Brand.Copyright = draft.CopyrightLine(h.pages.brand, time.Now())
	var buf bytes.Buffer
	if err := h.pages.tmpl.ExecuteTemplate(&buf, "review.html", d); err != nil {
		h.log.ErrorContext(r.Context(), "review page failed", "error", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	privatePage(hd)
	hd.Set("Content-Security-Policy", reviewCSP(v.Sites))
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w)
}

// reviewFollow records the chosen site and sends the customer there.
func (h *Handler) reviewFollow(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxReviewForm)
	if err := parseForm(r); err != nil {
		h.pages.render(w, http.StatusBadRequest, "message.html", pageData{L: h.lang(r.Header.Get("Accept-Language")), Title: "page.error.title", Message: "page.error.body"})
		return
	}
	i, err := strconv.Atoi(r.PostForm.Get(fieldSite))
	if err != nil {
		i = -1 // names no site: the bad-link page
	}
	target, err := h.svc.ReviewFollow(r.Context(), r.PathValue("token"), i)
	if err != nil {
		h.linkError(w, r, err, false)
		return
	}
	privatePage(w.Header())
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// originPattern is what a review site's origin must look like to be named
// in the page's Content-Security-Policy.
var originPattern = regexp.MustCompile(`^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$`)

// reviewCSP is the review page's policy: the usual one, with form-action
// also allowing the sites' origins, because browsers apply form-action to
// the redirect a form's POST answers with.
func reviewCSP(sites []domain.ReviewSite) string {
	origins := []string{"'self'"}
	for _, s := range sites {
		u, err := url.Parse(s.URL)
		if err != nil {
			continue
		}
		o := "https://" + u.Host
		if !originPattern.MatchString(o) {
			origins = append(origins[:1], "https:")
			break
		}
		origins = append(origins, o)
	}
	return strings.Replace(cspBase, "form-action 'self'", "form-action "+strings.Join(origins, " "), 1)
}
