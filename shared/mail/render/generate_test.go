package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/matcornic/hermes/v2"
)

// TestSameAsHermes renders every golden case, and a hostile one, both
// through generate (templates parsed once) and through stock hermes
// (GenerateHTML and GeneratePlainText, which parse the theme afresh and
// merge their defaults), and requires the same bytes: the fast path must
// not change what the theme renders.
func TestSameAsHermes(t *testing.T) {
	r := testRenderer(testBrand)
	cases := goldenCases()
	hostile := goldenRequest("team_alert", "el")
	hostile.CustomerName, hostile.Title = `<script>alert(1)</script>`, `"><img src=x>`
	hostile.Comment = "a <b>\n\n& c"
	cases = append(cases, goldenCase{"hostile", "el", hostile})
	for _, gc := range cases {
		t.Run(gc.name+"_"+gc.locale, func(t *testing.T) {
			m, err := r.compose(gc.req)
			if err != nil {
				t.Fatal(err)
			}
			html, text, err := generate(m.hermes, m.email)
			if err != nil {
				t.Fatal(err)
			}
			h := m.hermes
			wantHTML, err := h.GenerateHTML(m.email)
			if err != nil {
				t.Fatal(err)
			}
			h = m.hermes
			wantText, err := h.GeneratePlainText(m.email)
			if err != nil {
				t.Fatal(err)
			}
			if html != wantHTML {
				t.Errorf("HTML differs from hermes' own rendering")
			}
			if text != wantText {
				t.Errorf("text differs from hermes' own rendering:\n%s\nwant:\n%s", text, wantText)
			}
		})
	}
}

// TestParallel renders every golden case from many goroutines at once
// through one Renderer, released together, and compares each result with
// its golden files. Under -race it proves that the templates parsed once
// (and escaped on first use) are shared safely and that no render state
// is shared between calls.
func TestParallel(t *testing.T) {
	type want struct{ html, text string }
	cases := goldenCases()
	wants := make([]want, len(cases))
	for i, gc := range cases {
		base := filepath.Join("testdata", gc.name+"."+gc.locale)
		html, err := os.ReadFile(base + ".html.golden")
		if err != nil {
			t.Fatal(err)
		}
		text, err := os.ReadFile(base + ".txt.golden")
		if err != nil {
			t.Fatal(err)
		}
		wants[i] = want{string(html), string(text)}
	}
	// A fresh Renderer; the templates may already be parsed by an earlier
	// test, which is what production sees after the first email.
	r := testRenderer(testBrand)
	const rounds = 4
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range rounds * len(cases) {
		wg.Go(func() {
			n := i % len(cases)
			gc := cases[n]
			<-start
			out, err := r.Render(context.Background(), gc.req)
			if err != nil {
				t.Errorf("%s.%s: %v", gc.name, gc.locale, err)
				return
			}
			if out.HTML != wants[n].html {
				t.Errorf("%s.%s (goroutine %d): HTML differs from the golden file", gc.name, gc.locale, i)
			}
			if got := "Subject: " + out.Subject + "\n\n" + out.Text; got != wants[n].text {
				t.Errorf("%s.%s (goroutine %d): text differs from the golden file", gc.name, gc.locale, i)
			}
		})
	}
	close(start)
	wg.Wait()
}

func BenchmarkRender(b *testing.B) {
	r := New(testBrand)
	req := goldenRequest("thank_you", "el")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderVsHermes renders the thank-you email (Greek, five rating
// links) with Aftercare's renderer and the same content with stock hermes
// and its default theme: greeting, intros, the "where" row, the question
// and one action (button) per rating link, the outro and the footer line
// as outros, the sign-off, and both parts, HTML (CSS inlined, hermes'
// default) and plain text. Ours starts from the Request (translation,
// sanitising, validation included); hermes is given the finished Email,
// so the ratio is, if anything, in hermes' favour. The hermes-default
// sub-benchmark reports, as "x-aftercare", how many times slower stock
// hermes is than the mean of the aftercare runs (when those ran).
func BenchmarkRenderVsHermes(b *testing.B) {
	r := New(testBrand)
	req := goldenRequest("thank_you", "el")
	m, err := r.compose(req)
	if err != nil {
		b.Fatal(err)
	}
	v := m.hermes.Theme.(*theme).View()
	body := m.email.Body
	body.Outros = append(append([]string(nil), body.Outros...), v.Footer)
	for i, c := range v.Choices {
		a := hermes.Action{Button: hermes.Button{Color: v.Color, TextColor: v.TextColor, Text: c.Label, Link: c.URL}}
		if i == 0 {
			a.Instructions = v.Question
		}
		body.Actions = append(body.Actions, a)
	}
	stock := hermes.Email{Body: body}
	product := m.hermes.Product
	renderStock := func() (string, string, error) {
		// A fresh Hermes per email, as a server sharing none would use it.
		h := hermes.Hermes{Theme: new(hermes.Default), Product: product}
		html, err := h.GenerateHTML(stock)
		if err != nil {
			return "", "", err
		}
		text, err := h.GeneratePlainText(stock)
		return html, text, err
	}
	// Same content: every rating link and every line of ours is in hermes'.
	html, text, err := renderStock()
	if err != nil {
		b.Fatal(err)
	}
	for _, rt := range req.Ratings {
		if !strings.Contains(html, strings.ReplaceAll(rt.URL, "&", "&amp;")) || !strings.Contains(text, rt.URL) {
			b.Fatalf("stock hermes output lacks rating link %s", rt.URL)
		}
	}
	for _, s := range append(append(append([]string{body.Title, v.Question}, body.Intros...), body.Outros...), body.Dictionary[0].Value) {
		if !strings.Contains(text, s) {
			b.Fatalf("stock hermes text lacks %q", s)
		}
	}

	// ns/op of the "aftercare" runs so far: with -count, each
	// sub-benchmark runs all its rounds before the next one starts.
	var ours, runs float64
	b.Run("aftercare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Render(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		ours += float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		runs++
	})
	b.Run("hermes-default", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := renderStock(); err != nil {
				b.Fatal(err)
			}
		}
		if runs > 0 {
			theirs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(theirs/(ours/runs), "x-aftercare")
		}
	})
}
