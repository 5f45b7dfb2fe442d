package render

import (
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/aftercare/aftercare/shared/i18n"
)

// hostileMarker is appended to every customer string: the HTML must show
// it as text, never as markup.
const hostileMarker = `<script>alert(1)</script>"><img src=x onerror=alert(1)>'><svg onload=alert(1)>`

// markup lists the elements and attributes of a document.
func markup(t testing.TB, doc string) (tags, attrs map[string]bool) {
	t.Helper()
	tags, attrs = map[string]bool{}, map[string]bool{}
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return tags, attrs
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			tags[string(name)] = true
			for more {
				var key, val []byte
				key, val, more = z.TagAttr()
				attrs[string(key)] = true
				if v := strings.ToLower(string(val)); strings.HasPrefix(strings.TrimSpace(v), "javascript:") {
					t.Fatalf("attribute %s=%q", key, val)
				}
			}
		}
	}
}

// templateMarkup is the markup the templates themselves write, with benign
// data: the only markup a rendered email may hold.
func templateMarkup(t testing.TB, r *Renderer) (tags, attrs map[string]bool) {
	tags, attrs = map[string]bool{}, map[string]bool{}
	for _, gc := range goldenCases() {
		out, err := r.Render(context.Background(), gc.req)
		if err != nil {
			t.Fatal(err)
		}
		tg, at := markup(t, out.HTML)
		for k := range tg {
			tags[k] = true
		}
		for k := range at {
			attrs[k] = true
		}
	}
	return tags, attrs
}

// textMarkup are fragments of the templates' HTML that must never reach
// the plain-text part.
var textMarkup = []string{"<table", "<td", "<tr", "<p>", "<p ", "<br", "<a ", "<div", "<span", "<style", "<!doctype", "<html", "<body", "&lt;", "&gt;", "&#34;", "&#39;", "&amp;"}

// FuzzRender renders every template with hostile customer strings (name,
// title, location, agent, comment, reply, reasons, email, reference). The
// HTML may hold only the templates' own elements and attributes, so
// nothing a customer wrote became markup; the subject stays one line; and
// the plain-text part shows the customer's words as typed (it is
// text/plain, which no client renders as HTML, and TestEscaping pins that)
// but none of the templates' HTML nor any HTML escaping of them.
func FuzzRender(f *testing.F) {
	f.Add(uint8(0), "María", "Sunset sailing", "Old Port", "Nikos", "late\nboat", "thanks", "waiting")
	f.Add(uint8(5), hostileMarker, hostileMarker, hostileMarker, hostileMarker, hostileMarker, hostileMarker, hostileMarker)
	f.Add(uint8(2), "\u202Eevil", "A & B <b>", "\"'", "`${x}`", "{{.Hermes}}", "]]><!--", "<!channel>")
	f.Add(uint8(3), strings.Repeat("é", 120), strings.Repeat("<", 120), "\r\n\r\n", "\x00\x1b", "&amp;&lt;", "&#60;script&#62;", "")
	r := testRenderer(testBrand)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range templates {
			if !yield(k) {
				return
			}
		}
	})
	okTags, okAttrs := templateMarkup(f, r)
	f.Fuzz(func(t *testing.T, which uint8, name, title, location, agent, comment, reply, reason string) {
		template := names[int(which)%len(names)]
		req := goldenRequest(template, i18n.Codes()[int(which)/len(names)%len(i18n.Codes())])
		req.CustomerName, req.Title, req.Location, req.Agent = name+hostileMarker, hostileMarker+title, location+hostileMarker, agent
		req.Comment, req.ReplyText = comment+"\n"+hostileMarker, hostileMarker+reply
		req.Reasons = []string{reason, hostileMarker, "waiting"}
		req.CustomerEmail, req.Ref, req.Provider = name+"@example.com", title+hostileMarker, agent
		out, err := r.Render(context.Background(), req)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		tags, attrs := markup(t, out.HTML)
		for tag := range tags {
			if !okTags[tag] {
				t.Fatalf("%s: element <%s> is not one the template writes", template, tag)
			}
		}
		for a := range attrs {
			if !okAttrs[a] {
				t.Fatalf("%s: attribute %s is not one the template writes", template, a)
			}
		}
		low := strings.ToLower(out.HTML)
		for _, bad := range []string{"<script", "<img src=x", `"><img`, "<svg", "onerror=alert(1)>"} {
			if strings.Contains(low, bad) {
				t.Fatalf("%s: HTML holds %q", template, bad)
			}
		}
		if strings.ContainsAny(out.Subject, "\r\n\u202E") {
			t.Fatalf("%s: subject %q", template, out.Subject)
		}
		inputs := strings.ToLower(strings.Join([]string{name, title, location, agent, comment, reply, reason}, "\x00"))
		lowText := strings.ToLower(out.Text)
		for _, m := range textMarkup {
			if strings.Contains(lowText, m) && !strings.Contains(inputs, m) && !strings.Contains(strings.ToLower(hostileMarker), m) {
				t.Fatalf("%s: the text part holds %q:\n%s", template, m, out.Text)
			}
		}
	})
}
