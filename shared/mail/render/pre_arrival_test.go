package render

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// preArrivalRequest fills a pre_arrival golden request: a kayak tour in
// Chania for a customer in Athens, with the operator's advice.

func TestPreArrivalGolden(t *testing.T) {
	r := testRenderer(testBrand)
	for _, locale := range []string{"en", "el", "es"} {
		t.Run(locale, func(t *testing.T) {
			out, err := r.Render(context.Background(), goldenRequest("pre_arrival", locale))
			if err != nil {
				t.Fatal(err)
			}
			if out.Lang != locale {
				t.Errorf("Lang = %q", out.Lang)
			}
			noRawKeys(t, out)
			if strings.Contains(out.HTML+out.Text+out.Subject, "pre_arrival.") {
				t.Errorf("a raw catalog key is shown")
			}
			base := filepath.Join("testdata", "pre_arrival."+locale)
			golden(t, base+".html.golden", out.HTML)
			golden(t, base+".txt.golden", "Subject: "+out.Subject+"\n\n"+out.Text)
		})
	}
}

func TestPreArrivalContent(t *testing.T) {
	r := testRenderer(testBrand)
	full := goldenRequest("pre_arrival", "en")
	mapURL := "https://www.google.com/maps/search/?api=1&query=" + url.QueryEscape(full.Location)
	tests := []struct {
		name     string
		req      func(Request) Request
		subject  string
		has, not []string
	}{
		{
			name:    "local time and zone, place with map link, who, advice, calendar note",
			req:     func(r Request) Request { return r },
			subject: "See you soon at “Sunset kayak tour”: what to know",
			has: []string{
				"We look forward to welcoming you to “Sunset kayak tour” on Wednesday, 25 November 2026 at 16:30.",
				"Wednesday, 25 November 2026, 16:30–19:30 (Europe/Athens time)",
				"Old Port, Chania & Pier 3", "Nikos", "Who will meet you",
				mapURL,
				"Bring a swimsuit, a towel and sun cream. We provide life jackets.",
				"Meet at the blue kiosk 15 minutes early.",
				"(.ics)",
			},
			not: []string{"One click"},
		},
		{
			name: "a zone across DST and another date line: New York's local date",
			req: func(r Request) Request {
				r.TimeZone, r.EndsAt = "America/New_York", time.Time{}
				r.StartsAt = time.Date(2026, 3, 9, 3, 30, 0, 0, time.UTC) // 23:30 EDT on the 8th
				return r
			},
			has: []string{"Sunday, 8 March 2026, 23:30 (America/New York time)"},
			not: []string{"–"},
		},
		{
			name: "no advice, no place, no agent, no start: no empty sections",
			req: func(r Request) Request {
				r.Advice, r.Location, r.Agent, r.Title, r.StartsAt, r.EndsAt = "", "", "", "", time.Time{}, time.Time{}
				return r
			},
			subject: "See you soon: what to know before you come",
			has:     []string{"We look forward to welcoming you soon."},
			not:     []string{"Good to know", "google.com/maps", "Who will meet you", "When", "Where", ".ics"},
		},
		{
			name: "a meeting link is no place on a map",
			req:  func(r Request) Request { r.Location = "https://meet.example/abc"; return r },
			has:  []string{"https://meet.example/abc"},
			not:  []string{"google.com/maps", "Open the map"},
		},
		{
			name:    "Spanish for es-MX",
			req:     func(r Request) Request { r.Locale = "es-MX"; r.TimeZone = "Europe/Madrid"; return r },
			subject: "Hasta pronto en «Sunset kayak tour»: lo que conviene saber",
			has:     []string{"el miércoles, 25 de noviembre de 2026 a las 15:30", "(hora de Europe/Madrid)", "Abrir el mapa"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(context.Background(), tt.req(full))
			if err != nil {
				t.Fatal(err)
			}
			if tt.subject != "" && out.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", out.Subject, tt.subject)
			}
			for _, s := range tt.has {
				if !strings.Contains(out.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, out.Text)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(out.Text, s) || strings.Contains(out.HTML, s) {
					t.Errorf("shows %q", s)
				}
			}
		})
	}
	// The map link is an attribute: its query is encoded, the & escaped.
	out, _ := r.Render(context.Background(), full)
	if !strings.Contains(out.HTML, `href="https://www.google.com/maps/search/?api=1&amp;query=Old&#43;Port%2C&#43;Chania&#43;%26&#43;Pier&#43;3"`) &&
		!strings.Contains(out.HTML, `href="https://www.google.com/maps/search/?api=1&amp;query=Old+Port%2C+Chania+%26+Pier+3"`) {
		t.Errorf("HTML lacks the encoded map link:\n%s", out.HTML)
	}
}

// BenchmarkPreArrival measures one pre_arrival email, both parts.
func BenchmarkPreArrival(b *testing.B) {
	r := testRenderer(testBrand)
	req := goldenRequest("pre_arrival", "el")
	for b.Loop() {
		if _, err := r.Render(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
