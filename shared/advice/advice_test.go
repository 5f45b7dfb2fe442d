package advice

import (
	"errors"
	"strings"
	"testing"
)

const sample = `{
  "entries": [
    {"name": "kayak-chania", "match": {"title": "kayak", "location": "Χανιά"},
     "text": {"en": "Bring a swimsuit.", "es": "Trae bañador.", "el": "Φέρτε μαγιό."}},
    {"name": "families", "match": {"tags": ["Family", "kids"]}, "text": {"en": "Child seats are free."}},
    {"match": {"provider": "calendly", "kind": "booking"}, "text": {"en": "Online: the link is in your invitation."}}
  ],
  "default": {"text": {"en": "Please arrive 10 minutes early.", "es": "Llega 10 minutos antes."}}
}`

func TestFor(t *testing.T) {
	a, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		b         Booking
		locale    string
		want, who string
	}{
		{"substring of title and location, any case, final sigma", Booking{Title: "Sunset KAYAK tour", Location: "Παλιό λιμάνι, ΧΑΝΙΆ"}, "es", "Trae bañador.", "kayak-chania"},
		{"one field missing: no match, next entries, then the default", Booking{Title: "Kayak tour", Location: "Rethymno"}, "es", "Llega 10 minutos antes.", "default"},
		{"regional locale falls back to its language", Booking{Title: "kayak", Location: "Chania Χανιά"}, "es-MX", "Trae bañador.", "kayak-chania"},
		{"unknown language falls back to en", Booking{Title: "kayak", Location: "Χανιά"}, "de", "Bring a swimsuit.", "kayak-chania"},
		{"underscore locale", Booking{Title: "kayak", Location: "Χανιά"}, "el_GR", "Φέρτε μαγιό.", "kayak-chania"},
		{"every listed tag, ignoring case", Booking{Tags: []string{"kids", "family", "vip"}}, "en", "Child seats are free.", "families"},
		{"one tag of two is not enough", Booking{Tags: []string{"family"}, Provider: "calendly", Kind: "booking"}, "en", "Online: the link is in your invitation.", "entries[2]"},
		{"first match wins", Booking{Title: "kayak", Location: "Χανιά", Tags: []string{"family", "kids"}}, "en", "Bring a swimsuit.", "kayak-chania"},
		{"provider is equality, not substring", Booking{Provider: "calendly-eu", Kind: "booking"}, "en", "Please arrive 10 minutes early.", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, who := a.For(tt.b, tt.locale)
			if got != tt.want || who != tt.who {
				t.Errorf("For = %q from %q, want %q from %q", got, who, tt.want, tt.who)
			}
		})
	}
	noDefault, err := Parse([]byte(`{"entries":[{"match":{"title":"x"},"text":{"en":"X"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, who := noDefault.For(Booking{Title: "y"}, "en"); got != "" || who != "" {
		t.Errorf("no match, no default: %q %q, want nothing", got, who)
	}
	var none *Advice
	if got, _ := none.For(Booking{Title: "x"}, "en"); got != "" {
		t.Errorf("nil advice gave %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct{ json, want string }{
		"unknown field":      {`{"entries":[{"match":{"titel":"kayak"},"text":{"en":"x"}}]}`, `unknown field "titel"`},
		"unknown top field":  {`{"entries":[],"defaults":{}}`, `unknown field "defaults"`},
		"empty match":        {`{"entries":[{"name":"all","match":{},"text":{"en":"x"}}]}`, `entries[0] ("all").match: set at least one`},
		"no en":              {`{"entries":[{"match":{"title":"a"},"text":{"es":"x"}}]}`, `entries[0].text: "en" is required`},
		"empty text":         {`{"entries":[{"match":{"title":"a"},"text":{"en":"x","es":"  "}}]}`, `entries[0].text.es: empty`},
		"bad locale":         {`{"entries":[{"match":{"title":"a"},"text":{"en":"x","Spanish":"y"}}]}`, `not a locale`},
		"bad kind":           {`{"entries":[{"match":{"kind":"order"},"text":{"en":"x"}}]}`, `entries[0].match.kind`},
		"padded tag":         {`{"entries":[{"match":{"tags":[" kids"]},"text":{"en":"x"}}]}`, `entries[0].match.tags[0]`},
		"padded title":       {`{"entries":[{"match":{"title":"kayak "},"text":{"en":"x"}}]}`, `entries[0].match.title`},
		"too long":           {`{"entries":[{"match":{"title":"a"},"text":{"en":"` + strings.Repeat("x", 2001) + `"}}]}`, `longer than 2000`},
		"default without en": {`{"entries":[],"default":{"text":{"es":"x"}}}`, `default.text: "en" is required`},
		"second entry named": {`{"entries":[{"match":{"title":"a"},"text":{"en":"x"}},{"name":"b","match":{"title":"b"},"text":{}}]}`, `entries[1] ("b").text`},
		"not JSON":           {`entries: []`, `invalid advice file`},
		"trailing":           {`{"entries":[]} {}`, `trailing data`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

// BenchmarkFor measures matching against 200 entries, the most a file may
// hold, when only the default matches.
func BenchmarkFor(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"entries":[`)
	for i := range 200 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"match":{"title":"tour` + strings.Repeat("x", i%10) + `","location":"nowhere","tags":["a","b"]},"text":{"en":"x"}}`)
	}
	sb.WriteString(`],"default":{"text":{"en":"d"}}}`)
	a, err := Parse([]byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	bk := Booking{Title: "Sunset kayak tour in Chania", Location: "Old Port, Χανιά", Tags: []string{"family"}}
	for b.Loop() {
		if got, _ := a.For(bk, "el-GR"); got != "d" {
			b.Fatal(got)
		}
	}
}
