// Package render turns a follow-up step into a branded, localized email:
// an HTML part laid out by hermes with Aftercare's own theme, and a
// plain-text part for clients that prefer it. It knows nothing about
// sending; the mail adapters take its output as is.
//
// Customer-supplied text (names, titles, locations, agents, comments,
// replies, reasons) only ever reaches hermes as template data, which
// html/template escapes; it never goes into FreeMarkdown or any other path
// that hermes leaves unescaped.
//
// Most templates are written to the customer. One, team_alert, is written
// to the operator's own staff, in the team's language, and is the only one
// that shows a customer's address or words back.
package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/matcornic/hermes/v2"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/draft"
)

// The value types of the rendering port live in package draft, which
// links nothing heavy, so that a composition naming them need not link
// hermes; these aliases keep render's API whole.
type (
	Brand    = draft.Brand
	Request  = draft.Request
	Rating   = draft.Rating
	Rendered = draft.Rendered
)

// Defaults used when the Brand leaves a field empty.
const (
	DefaultName  = draft.DefaultName
	DefaultColor = draft.DefaultColor
)

// ErrUnknownTemplate is returned for a template name no builder exists for;
// a policy naming it is misconfigured, so retrying cannot help.
var ErrUnknownTemplate = errors.New("unknown email template")

// Renderer renders emails for one brand. It holds no per-message state,
// and the theme's templates, parsed once per process, are only executed,
// so one Renderer may serve any number of goroutines.
type Renderer struct {
	brand Brand
	copy  *i18n.Set        // the catalogs, with the operator's overrides
	now   func() time.Time // for the default copyright year
}

// Option adjusts a Renderer when it is made.
type Option func(*Renderer)

// WithCopy makes the Renderer write with the operator's own wording (an
// i18n.Set built with overrides) instead of the catalogs as shipped. It is
// per Renderer, so two brands in one process can word things differently.
// A nil Set keeps the shipped catalogs.
func WithCopy(s *i18n.Set) Option {
	return func(r *Renderer) {
		if s != nil {
			r.copy = s
		}
	}
}

// New returns a Renderer for the brand, filling in defaults for the
// fields left empty.
func New(b Brand, opts ...Option) *Renderer {
	r := &Renderer{brand: draft.WithDefaults(b), copy: i18n.Default(), now: time.Now}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Templates lists the names of the emails this package can render, sorted,
// so that a preview or a test can show every one of them, including
// templates added later, without a list of its own to keep up to date.
func Templates() []string {
	out := make([]string, 0, len(templates))
	for name := range templates {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Has reports whether template names an email this package can render, so
// that a policy can be checked when it is loaded rather than when a step fires.
func (r *Renderer) Has(template string) bool {
	_, ok := templates[template]
	return ok
}

// Render writes the email a request describes. It fails only on requests
// that no retry would fix: an unknown template or a malformed rating link.
func (r *Renderer) Render(_ context.Context, req Request) (Rendered, error) {
	m, err := r.compose(req)
	if err != nil {
		return Rendered{}, err
	}
	html, text, err := generate(m.hermes, m.email)
	if err != nil {
		return Rendered{}, fmt.Errorf("render %q: %w", req.Template, err)
	}
	return Rendered{
		Subject: m.subject,
		HTML:    html,
		Text:    tidyText(text),
		Lang:    m.lang,
	}, nil
}

// message is an email before layout: what hermes' templates are given,
// plus the subject and language.
type message struct {
	hermes  hermes.Hermes
	email   hermes.Email
	subject string
	lang    string
}

// compose translates and checks a request into a message.
func (r *Renderer) compose(req Request) (message, error) {
	tpl, ok := templates[req.Template]
	if !ok {
		return message{}, fmt.Errorf("render %q: %w", req.Template, ErrUnknownTemplate)
	}
	if req.Survey == domain.SurveyNone {
		req.Survey = tpl.survey
	}
	l := r.copy.For(req.Locale)
	in := sanitize(req)
	var choices []choice
	if tpl.ratings {
		var err error
		if choices, err = r.choices(l, req); err != nil {
			return message{}, fmt.Errorf("render %q: %w", req.Template, err)
		}
	}
	c := tpl.build(l, in)

	v := &view{
		Lang:      l.Code(),
		Preheader: c.preheader,
		Choices:   choices,
		Color:     r.brand.Color,
		TextColor: textColorFor(r.brand.Color),
		Signer:    r.brand.Signature,
		Footer:    l.T("email.footer"),
		Compact:   len(choices) > maxRoomy,
		Stacked:   len(choices) <= maxRoomy && stacked(choices),
		Quotes:    c.quotes,
		Button:    c.button,
		Team:      c.team,
	}
	if len(choices) > 0 {
		v.Question, v.Hint = question(l, req.Survey, c.ask)
	}
	if v.Signer == "" {
		v.Signer = l.T("email.signer", r.brand.Name)
	}
	if c.team {
		footer := "team_alert.footer"
		if c.footer != "" {
			footer = c.footer
		}
		v.Footer = l.T(footer, r.brand.Name)
	} else if in.UnsubscribeURL != "" {
		v.Unsubscribe = &button{Text: l.T("email.unsubscribe"), URL: in.UnsubscribeURL}
	}
	copyright := draft.CopyrightLine(r.brand, r.now())
	// A Hermes per message: its theme carries this message's view. It is
	// passed by value and only read (generate), so nothing is shared
	// between calls.
	h := hermes.Hermes{
		Theme:         &theme{view: v},
		TextDirection: hermes.TDLeftToRight,
		Product: hermes.Product{
			Name: r.brand.Name, Link: r.brand.Link, Logo: r.brand.Logo, Copyright: copyright,
		},
		// The theme writes its styles inline; premailer would only cost time.
		DisableCSSInlining: true,
	}
	email := hermes.Email{Body: hermes.Body{
		Title:      c.greeting,
		Intros:     c.intros,
		Dictionary: c.details,
		Outros:     c.outros,
		Signature:  l.T("email.signoff"),
	}}
	return message{hermes: h, email: email, subject: oneLine(c.subject), lang: l.Code()}, nil
}

// question is what the rating row asks, and a hint for scales whose
// buttons show bare numbers.
func question(l *i18n.Lang, s domain.SurveyKind, ask string) (q, hint string) {
	if spec, ok := s.Spec(); ok && spec.Ask != "" {
		return l.T(spec.Ask), l.T(spec.Scale)
	}
	return ask, ""
}

// Rating rows must stay usable on a phone, where the email body is about
// 240 CSS pixels wide.
const (
	// maxLabelled is the most buttons that can carry words: CES's seven or
	// NPS's eleven labels would wrap into unreadable columns, so longer
	// scales show numbers, and the hint and the text part carry the words.
	maxLabelled = 5
	// maxRoomy is the most buttons that keep the usual gaps; beyond it
	// (NPS) the row is compacted so that eleven numbers still fit.
	maxRoomy = 7
)

// choices validates the rating links and orders them worst to best.
func (r *Renderer) choices(l *i18n.Lang, req Request) ([]choice, error) {
	if len(req.Ratings) == 0 {
		return nil, nil
	}
	out := make([]choice, 0, len(req.Ratings))
	seen := map[int]bool{}
	for _, rt := range req.Ratings {
		if req.Survey != domain.SurveyNone {
			if err := req.Survey.Check(rt.Score); err != nil {
				return nil, fmt.Errorf("rating: %w", err)
			}
		}
		if seen[rt.Score] {
			return nil, fmt.Errorf("rating: score %d given twice", rt.Score)
		}
		seen[rt.Score] = true
		if err := checkURL(rt.URL); err != nil {
			return nil, fmt.Errorf("rating %d: %w", rt.Score, err)
		}
		num := strconv.Itoa(rt.Score)
		label := clean(rt.Label, maxLabel)
		if key := "score." + string(req.Survey) + "." + num; label == "" && req.Survey != domain.SurveyNone && l.Has(key) {
			label = l.T(key)
		}
		if label == "" {
			label = num
		}
		line := label
		if label != num {
			line = num + " – " + label
		}
		out = append(out, choice{Score: rt.Score, Label: label, URL: rt.URL, Line: line})
	}
	slices.SortFunc(out, func(a, b choice) int { return cmp.Compare(a.Score, b.Score) })
	width := strconv.Itoa(int(math.Floor(100/float64(len(out))))) + "%"
	for i := range out {
		out[i].Width = width
		out[i].Button = out[i].Label
		if len(out) > maxLabelled {
			out[i].Button = strconv.Itoa(out[i].Score)
		}
	}
	return out, nil
}

// textColorFor picks black or white button text, whichever contrasts more
// with a hex background; named colours get white.
func textColorFor(bg string) string {
	hex := strings.TrimPrefix(bg, "#")
	if len(hex) == len(bg) {
		return "#ffffff"
	}
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return "#ffffff"
	}
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	lum := 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
	// Contrast with white is 1.05/(lum+0.05), with black (lum+0.05)/0.05;
	// they are equal at lum ≈ 0.179.
	if lum > 0.179 {
		return "#111827"
	}
	return "#ffffff"
}
