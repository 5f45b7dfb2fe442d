package render

import (
	"bytes"
	"html/template"
	"sync"

	"github.com/jaytaylor/html2text"
	"github.com/matcornic/hermes/v2"
)

// hermes (v2.1.0) parses its theme's template again on every
// GenerateHTML and GeneratePlainText call, after building sprig's whole
// function map and merging its defaults into the receiver with mergo. That
// was most of a render's time (BenchmarkRender: 0.9 ms before, 0.25 ms
// after), and the receiver writes are why a shared *Hermes races. generate does what hermes' generateTemplate does, in the
// same order and with the same libraries, but executes templates parsed
// once per process:
//
//   - the data is hermes' own root value, hermes.Template{Hermes, Email};
//   - the HTML is not given to premailer while DisableCSSInlining is set
//     (Render always sets it; otherwise hermes renders that part itself);
//   - the plain-text template is executed as HTML, like hermes does, and
//     handed to html2text with hermes' options (PrettyTables).
//
// What is left out is what the theme never reads: the defaults hermes
// merges in (Greeting "Hi", Product.TroubleText, empty instead of nil
// Intros/Dictionary/Outros; Title, Signature and TextDirection are always
// set by Render) and the template functions (sprig, url, safe), which the
// theme does not call: a template that did would fail to parse, and so
// every render and test. TestSameAsHermes renders every golden case
// through stock hermes too and requires the same bytes.

// parsedTheme is the theme's templates, parsed once. A parsed
// html/template may be executed by any number of goroutines at once (its
// one-time escaping pass is locked), and nothing here ever modifies them.
type parsedTheme struct {
	html, text *template.Template
}

var parsed = sync.OnceValues(func() (*parsedTheme, error) {
	var th theme
	html, err := template.New("hermes").Parse(th.HTMLTemplate())
	if err != nil {
		return nil, err
	}
	text, err := template.New("hermes").Parse(th.PlainTextTemplate())
	if err != nil {
		return nil, err
	}
	return &parsedTheme{html: html, text: text}, nil
})

// bufs recycles the buffers templates execute into; a rendered part is
// 5–10 KB, and each is copied out as a string before the buffer returns.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// generate renders both parts of an email the way h.GenerateHTML and
// h.GeneratePlainText would, with the theme's parsed templates. h must
// carry Aftercare's theme; it is read, never written.
func generate(h hermes.Hermes, email hermes.Email) (html, text string, err error) {
	t, err := parsed()
	if err != nil {
		return "", "", err
	}
	data := hermes.Template{Hermes: h, Email: email}
	b := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(b)

	b.Reset()
	if err := t.html.Execute(b, data); err != nil {
		return "", "", err
	}
	html = b.String()
	if !h.DisableCSSInlining {
		// The theme inlines its own styles. Were inlining ever wanted,
		// hermes itself (premailer) renders the part, the slow way.
		if html, err = h.GenerateHTML(email); err != nil {
			return "", "", err
		}
	}

	b.Reset()
	if err := t.text.Execute(b, data); err != nil {
		return "", "", err
	}
	text, err = html2text.FromString(b.String(), html2text.Options{PrettyTables: true})
	if err != nil {
		return "", "", err
	}
	return html, text, nil
}
