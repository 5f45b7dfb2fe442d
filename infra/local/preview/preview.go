// Package preview renders every email template in every language with
// sample data, so that an operator can review the wording (their own, with
// copy overrides, or the catalogs') and the layout before a guest sees
// them, and send any one of them to an address to see it in a real mail
// client. The dev console's /dev/preview and `aftercare-admin preview`
// both use it.
//
// It renders render.Sample requests: the same data the golden files are
// made from, so what the preview shows is what the tests pin.
package preview

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/i18n"
	outmail "github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/render"
)

// Item is one template rendered in one language.
type Item struct {
	Template string
	Locale   string
	render.Rendered
}

// Name is the item's file name stem, "<template>.<locale>".
func (it Item) Name() string { return it.Template + "." + it.Locale }

// Select checks a choice of templates and languages against what exists
// and returns it, every template or language for an empty one, so that a
// typo ("thankyou", "gr") is an error naming what there is rather than an
// empty preview.
func Select(template, locale string) (templates, locales []string, err error) {
	templates, locales = render.Templates(), i18n.Codes()
	if template != "" {
		if !slices.Contains(templates, template) {
			return nil, nil, fmt.Errorf("preview: no template %q (have %s)", template, strings.Join(templates, ", "))
		}
		templates = []string{template}
	}
	if locale != "" {
		if !slices.Contains(locales, locale) {
			return nil, nil, fmt.Errorf("preview: no language %q (have %s)", locale, strings.Join(locales, ", "))
		}
		locales = []string{locale}
	}
	return templates, locales, nil
}

// Render renders each template in each language, templates first, with
// the sample data of render.Sample.
func Render(r *render.Renderer, templates, locales []string) ([]Item, error) {
	out := make([]Item, 0, len(templates)*len(locales))
	for _, t := range templates {
		for _, l := range locales {
			it, err := One(r, t, l)
			if err != nil {
				return nil, err
			}
			out = append(out, it)
		}
	}
	return out, nil
}

// One renders template in locale with sample data.
func One(r *render.Renderer, template, locale string) (Item, error) {
	out, err := r.Render(context.Background(), render.Sample(template, locale))
	if err != nil {
		return Item{}, fmt.Errorf("preview %s.%s: %w", template, locale, err)
	}
	return Item{Template: template, Locale: locale, Rendered: out}, nil
}

// Send mails one item to to through any mailer (the outbox, SMTP, SES).
// It carries the tag preview=<template>-<locale> (the header
// X-Aftercare-Preview; SES message tags allow no dot) instead of an
// incident and step, and its sample links lead nowhere real, so it can
// never be mistaken for a customer's email in the provider's event stream.
func Send(ctx context.Context, m outmail.Sender, it Item, from, to mail.Address, now time.Time) (string, error) {
	msg := outmail.Message{
		From: from, To: to, Subject: it.Subject, HTML: it.HTML, Text: it.Text, Date: now,
		Tags: map[string]string{"preview": it.Template + "-" + it.Locale},
	}
	id, err := m.Send(ctx, msg)
	if err != nil {
		return "", fmt.Errorf("preview: send %s: %w", it.Name(), err)
	}
	return id, nil
}

// WriteDir writes each item as <template>.<locale>.html and .txt (the
// subject first) into dir, and an index.html showing them side by side, a
// row per template and a column per language.
func WriteDir(dir string, items []Item) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	for _, it := range items {
		if err := os.WriteFile(filepath.Join(dir, it.Name()+".html"), []byte(it.HTML), 0o644); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
		text := "Subject: " + it.Subject + "\n\n" + it.Text
		if err := os.WriteFile(filepath.Join(dir, it.Name()+".txt"), []byte(text), 0o644); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := indexTmpl.Execute(&buf, Grid(items)); err != nil {
		return fmt.Errorf("preview: index: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	return nil
}

// Row is one template in every language shown, for a side-by-side view.
type Row struct {
	Template string
	Items    []Item
}

// Grid groups items by template, in the order given.
func Grid(items []Item) []Row {
	var rows []Row
	for _, it := range items {
		if len(rows) == 0 || rows[len(rows)-1].Template != it.Template {
			rows = append(rows, Row{Template: it.Template})
		}
		rows[len(rows)-1].Items = append(rows[len(rows)-1].Items, it)
	}
	return rows
}

// The index frames each email's own file with sandbox and no permissions:
// an email's markup cannot run script in the reviewer's browser.
var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aftercare email preview</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem;background:#f5f6f8}
.row{display:flex;gap:1rem;overflow-x:auto;padding-bottom:1rem}
figure{margin:0;flex:0 0 420px}figcaption{font-size:.85rem;margin:.3rem 0}
iframe{width:420px;height:640px;border:1px solid #dde2e7;background:#fff}</style></head>
<body><h1>Email preview</h1>
{{range .}}<h2 id="{{.Template}}">{{.Template}}</h2><div class="row">
{{range .Items}}<figure><figcaption><strong>{{.Locale}}</strong> · {{.Subject}} · <a href="{{.Name}}.txt">text</a></figcaption>
<iframe sandbox src="{{.Name}}.html" title="{{.Name}}" loading="lazy"></iframe></figure>
{{end}}</div>
{{end}}</body></html>
`))
