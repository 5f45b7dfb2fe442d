package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/draft"
)

//go:embed templates/*.html templates/dash/*.html
var templateFS embed.FS

// Form fields of the rating form (POST /r/{token}). The form also sends
// confirm=1, for the reader's sake: any POST records the score the link
// stands for, since link scanners fetch but do not post.
const (
	fieldComment = "comment"
	fieldReasons = "reasons"
	// fieldReasonsOffered marks a form that showed the reason checkboxes,
	// so that a form with every box unticked clears the reasons, while a
	// form without them (the script's confirmation) leaves them alone.
	fieldReasonsOffered = "reasons_offered"
)

// maxForm bounds the rating form's body: a 4,000-byte comment, escaped,
// and a few reasons fit with room to spare.
const maxForm = 64 << 10

// Bounds on the reason codes a form passes on. The page offers a handful,
// and a policy's codes are 1–20 of a-z and _ (the app keeps only those);
// a post with thousands of distinct codes, which maxForm alone allows, is
// not from the page, and must not cost a quadratic de-duplication.
const (
	maxFormReasons = 32
	maxReasonLen   = 64
)

// pages renders the customer-facing pages, branded and localised.
// html/template escapes everything a customer or sender supplied.
type pages struct {
	brand draft.Brand
	tmpl  *template.Template
}

func newPages(b draft.Brand) *pages {
	b = draft.WithDefaults(b)
	t := template.Must(template.New("").Funcs(template.FuncMap{
		"safeCSSColor": safeColor,
		"question":     question,
		"scaleEnds":    scaleEnds,
		"scoreLabel":   scoreLabel,
		"reasonLabel":  reasonLabel,
		"tOr":          tOr,
		"contains":     slices.Contains[[]string],
		"maxScore":     func(k domain.SurveyKind) int { _, hi := k.Range(); return hi },
		"deref":        func(b *bool) bool { return b != nil && *b },
		"when":         func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	}).ParseFS(templateFS, "templates/*.html"))
	return &pages{brand: b, tmpl: t}
}

// pageData is what every page template receives.
type pageData struct {
	Brand   draft.Brand
	L       *i18n.Lang
	Title   string
	Message string

	// The rating page.
	View     app.AnswerView
	Max      int
	Recorded bool   // the link's score is the recorded answer
	Comment  bool   // a comment was just saved
	Script   string // the confirmation script's URL, while the score is not recorded

	// The unsubscribe page.
	Consent app.ConsentView
	Changed bool // the person's choice was just recorded

	// The team page.
	Wide     bool
	Incident domain.Incident
	Answers  []teamAnswer
}

// teamAnswer is one answer on the team page, in step order.
type teamAnswer struct {
	Step string
	domain.Answer
}

// Content-Security-Policy of the pages: nothing but inline styles, https
// images (the brand's logo) and forms posting back; the rating page also
// runs its own script and lets it post the confirmation.
const (
	cspBase   = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	cspScript = cspBase + "; script-src 'self'; connect-src 'self'"
)

func (p *pages) render(w http.ResponseWriter, code int, name string, d pageData) {
	d.Brand = p.brand
	d.Brand.Copyright = draft.CopyrightLine(p.brand, time.Now())
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	privatePage(h)
	csp := cspBase
	if d.Script != "" {
		csp = cspScript
	}
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

// privatePage sets what every answer about a signed link carries: the
// token in the URL must not be cached, leak as a referrer or be indexed.
func privatePage(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

// rate shows the rating page for a link. It records nothing: link
// scanners fetch every link in an email (see the package documentation).
func (h *Handler) rate(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.Peek(r.Context(), r.PathValue("token"))
	if err != nil {
		h.linkError(w, r, err, false)
		return
	}
	h.answerPage(w, v, false)
}

// peek answers a HEAD with the link's status, recording nothing.
func (h *Handler) peek(w http.ResponseWriter, r *http.Request) {
	_, err := h.svc.Peek(r.Context(), r.PathValue("token"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	privatePage(w.Header())
	w.WriteHeader(h.linkStatus(err))
}

// answerReply is the JSON answer to rating.js's confirmation.
type answerReply struct {
	Status string            `json:"status"`
	Survey domain.SurveyKind `json:"survey"`
	Score  int               `json:"score"`
	Max    int               `json:"max"`
}

// answer records the score the link stands for, with the comment and
// reasons the form carried: the rating form without JavaScript, the
// comment form, or rating.js's confirmation (which asks for JSON).
func (h *Handler) answer(w http.ResponseWriter, r *http.Request) {
	asJSON := wantsJSON(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := parseForm(r); err != nil {
		if asJSON {
			privatePage(w.Header())
			WriteJSON(w, http.StatusBadRequest, errorReply{Error: "malformed form"})
			return
		}
		h.pages.render(w, http.StatusBadRequest, "message.html", pageData{L: h.lang(r.Header.Get("Accept-Language")), Title: "page.error.title", Message: "page.error.body"})
		return
	}
	fb := feedback(r.PostForm)
	v, err := h.svc.Answer(r.Context(), r.PathValue("token"), fb)
	if err != nil {
		h.linkError(w, r, err, asJSON)
		return
	}
	if asJSON {
		_, hi := v.Claims.Survey.Range()
		privatePage(w.Header())
		WriteJSON(w, http.StatusOK, answerReply{Status: "recorded", Survey: v.Claims.Survey, Score: v.Answer.Score, Max: hi})
		return
	}
	h.answerPage(w, v, fb.Comment != nil && strings.TrimSpace(*fb.Comment) != "")
}

// feedback reads the optional fields of the rating form. A comment is
// passed only when the form had the comment box, reasons only when some
// were ticked or the form had the reason checkboxes (all unticked then
// clears them); the script's bare confirmation leaves both alone.
func feedback(f url.Values) app.Feedback {
	var fb app.Feedback
	if c, ok := f[fieldComment]; ok && len(c) > 0 {
		fb.Comment = &c[0]
	}
	if f.Get(fieldReasonsOffered) != "" || len(f[fieldReasons]) > 0 {
		fb.Reasons = []string{}
		for _, code := range f[fieldReasons] {
			if len(fb.Reasons) == maxFormReasons {
				break
			}
			if code = strings.TrimSpace(code); code != "" && len(code) <= maxReasonLen && !slices.Contains(fb.Reasons, code) {
				fb.Reasons = append(fb.Reasons, code)
			}
		}
	}
	return fb
}

// parseForm reads an urlencoded or a multipart form (FormData) into
// r.PostForm.
func parseForm(r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return r.ParseMultipartForm(maxForm)
	}
	return r.ParseForm()
}

// wantsJSON tells rating.js's fetch from a browser's form post.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part)); mt == "application/json" {
			return true
		}
	}
	return false
}

// answerPage renders the rating page: before the answer is recorded, the
// question with the link's score highlighted and the confirmation form
// (and the script that sends it); once recorded, the thank-you page with
// the same form for a comment and the links to change the score.
func (h *Handler) answerPage(w http.ResponseWriter, v app.AnswerView, commented bool) {
	_, hi := v.Claims.Survey.Range()
	d := pageData{
		L: h.lang(v.Locale), View: v, Max: hi, Comment: commented,
		Recorded: v.Answered && v.Answer.Score == v.Claims.Score && v.Answer.Survey == v.Claims.Survey,
	}
	d.Title = "page.thanks.title"
	if !d.Recorded {
		d.Title = questionKey(d.L, v.Claims.Survey)
		d.Script = ratingJSURL
	}
	h.pages.render(w, http.StatusOK, "answer.html", d)
}

// team shows an incident's timeline to the team, from the link in an
// alert email. It changes nothing, and a rating link cannot open it.
func (h *Handler) team(w http.ResponseWriter, r *http.Request) {
	inc, err := h.svc.TeamView(r.Context(), r.PathValue("token"))
	if err != nil {
		h.linkError(w, r, err, false)
		return
	}
	d := pageData{L: h.lang(r.Header.Get("Accept-Language")), Title: "page.team.title", Wide: true, Incident: inc}
	for step, a := range inc.Answers {
		d.Answers = append(d.Answers, teamAnswer{Step: step, Answer: a})
	}
	slices.SortFunc(d.Answers, func(a, b teamAnswer) int { return strings.Compare(a.Step, b.Step) })
	h.pages.render(w, http.StatusOK, "team.html", d)
}

// linkError answers a bad, expired or failing link: a friendly page (or
// JSON for rating.js) that changes nothing.
func (h *Handler) linkError(w http.ResponseWriter, r *http.Request, err error, asJSON bool) {
	code := h.linkStatus(err)
	title, msg := "page.invalid.title", "page.invalid.body"
	switch {
	case code == http.StatusGone:
		title, msg = "page.expired.title", "page.expired.body"
	case code >= 500:
		title, msg = "page.error.title", "page.error.body"
		h.log.ErrorContext(r.Context(), "link failed", "route", r.Pattern, "error", err)
	}
	if asJSON {
		privatePage(w.Header())
		WriteJSON(w, code, errorReply{Error: http.StatusText(code)})
		return
	}
	h.pages.render(w, code, "message.html", pageData{L: h.lang(r.Header.Get("Accept-Language")), Title: title, Message: msg})
}

// linkStatus maps a link error to a friendly status: 410 for an expired
// link, 404 for a tampered or unknown one, 500 otherwise.
func (h *Handler) linkStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, links.ErrExpired):
		return http.StatusGone
	case errors.Is(err, app.ErrBadLink), errors.Is(err, app.ErrNoContacts):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// questionKey is the catalog key of the survey's question: the page's
// own, else the email's (ask.nps, ask.ces), so both ask the same.
func questionKey(l *i18n.Lang, k domain.SurveyKind) string {
	for _, key := range []string{"page." + string(k) + ".question", "ask." + string(k)} {
		if l.Has(key) {
			return key
		}
	}
	return "page.csat.question"
}

func question(l *i18n.Lang, k domain.SurveyKind) string { return l.T(questionKey(l, k)) }

// scaleEnds are the labels of a scale's two ends, for NPS and CES, whose
// numbers alone do not say which end is good: the page's own end labels
// where the catalog has them, else the names of the lowest and highest
// scores (the email's wording), else one line describing the scale.
func scaleEnds(l *i18n.Lang, k domain.SurveyKind) []string {
	if k == domain.SurveyCSAT || k == domain.SurveyNone {
		return nil
	}
	lo, hi := k.Range()
	for _, pair := range [][2]string{
		{"page." + string(k) + ".low", "page." + string(k) + ".high"},
		{"score." + string(k) + "." + strconv.Itoa(lo), "score." + string(k) + "." + strconv.Itoa(hi)},
	} {
		if l.Has(pair[0]) && l.Has(pair[1]) {
			return []string{l.T(pair[0]), l.T(pair[1])}
		}
	}
	if l.Has("scale." + string(k)) {
		return []string{l.T("scale." + string(k))}
	}
	return nil
}

// scoreLabel names a score ("Very happy") where the catalog has a name.
func scoreLabel(l *i18n.Lang, k domain.SurveyKind, score int) string {
	key := "score." + string(k) + "." + strconv.Itoa(score)
	if l.Has(key) {
		return l.T(key)
	}
	return ""
}

// reasonLabel translates a reason code; a code of the operator's own
// policy without a translation shows as itself.
func reasonLabel(l *i18n.Lang, code string) string {
	if key := "reason." + code; l.Has(key) {
		return l.T(key)
	}
	return code
}

// tOr translates key, or gives fallback (English) where the catalog
// lacks the key.
func tOr(l *i18n.Lang, key, fallback string) string {
	if l.Has(key) {
		return l.T(key)
	}
	return fallback
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
