package replies

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxHTML bounds the HTML the stripper parses, so that a hostile body
// costs little; a real reply's HTML, quoted thread included, is rarely a
// tenth of this. Beyond it the tail is ignored, which can only drop
// quoted history, never the customer's words at the top.
const maxHTML = 512 << 10

// htmlAction says what the stripper does with an element.
type htmlAction int

const (
	keep htmlAction = iota
	// skip drops the element and its content: a quote or a signature
	// that may be followed by more of the customer's words (inline
	// replies between Apple Mail's or Gmail's quotes).
	skip
	// stop drops the element and everything after it in document order:
	// markers such as Outlook's divRplyFwdMsg, after which the quoted
	// message follows as siblings, not as children.
	stop
)

// classify is how each client marks quoted history and signatures.
func classify(n *html.Node) htmlAction {
	id := strings.ToLower(attr(n, "id"))
	class := strings.ToLower(attr(n, "class"))
	switch {
	// Gmail: div.gmail_quote (attribution + blockquote.gmail_quote) and
	// div.gmail_signature; Thunderbird: div.moz-cite-prefix, .moz-signature.
	// Outlook and others prefix classes they copy ("x_gmail_quote").
	// ProtonMail: div.protonmail_quote, .protonmail_signature_block.
	case classSuffix(class, "gmail_quote"), classSuffix(class, "gmail_signature"),
		attr(n, "data-smartmail") == "gmail_signature",
		classSuffix(class, "moz-cite-prefix"), classSuffix(class, "moz-signature"),
		classSuffix(class, "protonmail_quote"), classSuffix(class, "protonmail_signature_block"):
		return skip
	// Apple Mail (type="cite"), Gmail, Thunderbird and most others quote
	// in a blockquote; in a reply that is never the customer's own words.
	case n.DataAtom == atom.Blockquote:
		return skip
	// Yahoo: div.yahoo_quoted, or with the per-message prefix Yahoo adds
	// to every class and id, ".ydp3f2a1b0cyahoo_quoted".
	case classSuffix(class, "yahoo_quoted"), strings.Contains(id, "yahoo_quoted"):
		return skip
	// Outlook on the web and new Outlook: #appendonsend, then an <hr>,
	// then #divRplyFwdMsg with the header block, then the quoted message
	// as siblings. Replies to replies carry them again as "x_divRplyFwdMsg".
	case strings.HasSuffix(id, "divrplyfwdmsg"), strings.HasSuffix(id, "appendonsend"),
		id == "mail-editor-reference-message-container", hasClass(class, "outlookmessageheader"),
		id == "stopspelling":
		return stop
	// Outlook signatures.
	case id == "signature", id == "ms-outlook-mobile-signature",
		strings.HasPrefix(id, "ymail_") && strings.HasSuffix(id, "_signature"), hasClass(class, "yahoo-signature"):
		return skip
	// Outlook for Windows (Word HTML): a div with a top border holding
	// "From: … Sent: … To: … Subject:", then the quoted message.
	case n.DataAtom == atom.Div || n.DataAtom == atom.P:
		if style := strings.ToLower(attr(n, "style")); strings.Contains(style, "border-top") &&
			isFromLabel(textPrefix(n, 60)) {
			return stop
		}
	}
	return keep
}

// isFromLabel reports whether s starts with a From label of any language
// ("From:", "Von:", "De :", "От:").
func isFromLabel(s string) bool {
	kind, _, _, ok := labelOf(s)
	return ok && kind == labelFrom
}

// htmlToText renders the text of an HTML body. With strip, quotes and
// signatures are left out (see classify).
func htmlToText(src string, strip bool) string {
	text, _ := renderHTML(src, strip)
	return text
}

// renderHTML is htmlToText, and reports whether stripping found a quote
// or signature container. It walks the tree without recursion, so deeply
// nested input cannot exhaust the stack.
func renderHTML(src string, strip bool) (string, bool) {
	if len(src) > maxHTML {
		src, _ = truncate(src, maxHTML)
	}
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// x/net/html refuses documents nested deeper than 512 elements.
		// Their text still counts: render it flat, leaving quotes to the
		// text rules.
		return flatText(src), false
	}
	var w textWriter
	found := false
	n := doc
	for n != nil {
		descend := true
		if n.Type == html.ElementNode {
			if invisible(n) {
				descend = false
			} else if strip {
				switch classify(n) {
				case skip:
					descend, found = false, true
					if isBlock(n.DataAtom) {
						// A ">" line stands for the quote left out, so
						// that the text rules know a quote follows an
						// attribution, and the words around it stay apart.
						w.lineStart()
						w.b.WriteString(">\n")
					}
				case stop:
					return w.String(), true
				}
			}
		}
		if descend {
			w.enter(n)
			if n.FirstChild != nil {
				n = n.FirstChild
				continue
			}
			w.leave(n)
		}
		// Next in document order: a sibling, or the sibling of the
		// nearest ancestor that has one, leaving each ancestor on the way.
		for n != nil && n.NextSibling == nil {
			n = n.Parent
			if n != nil {
				w.leave(n)
			}
		}
		if n != nil {
			n = n.NextSibling
		}
	}
	return w.String(), found
}

// flatText renders HTML with a tokenizer alone, for documents the tree
// builder refuses: text, with line breaks at <br> and block tags, minus
// script and style.
func flatText(src string) string {
	var w textWriter
	z := html.NewTokenizer(strings.NewReader(src))
	hidden := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if hidden == 0 {
				w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch a := atom.Lookup(name); {
			case a == atom.Script || a == atom.Style || a == atom.Head || a == atom.Title:
				hidden++
			case a == atom.Br:
				w.b.WriteByte('\n')
			case isBlock(a):
				w.lineStart()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch a := atom.Lookup(name); {
			case a == atom.Script || a == atom.Style || a == atom.Head || a == atom.Title:
				if hidden > 0 {
					hidden--
				}
			case isBlock(a):
				w.lineStart()
			}
		}
	}
}

// invisible elements never carry the customer's words.
func invisible(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Head, atom.Script, atom.Style, atom.Title, atom.Template, atom.Noscript, atom.Object, atom.Svg:
		return true
	}
	style := strings.ToLower(strings.ReplaceAll(attr(n, "style"), " ", ""))
	return strings.Contains(style, "display:none") || attr(n, "hidden") != ""
}

// textWriter collapses whitespace as a browser would and breaks lines at
// block boundaries and <br>.
type textWriter struct {
	b     strings.Builder
	pre   int  // depth inside <pre>
	space bool // a collapsed space is pending
}

func (w *textWriter) enter(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
	case html.ElementNode:
		switch {
		case n.DataAtom == atom.Br:
			w.b.WriteByte('\n')
			w.space = false
		case n.DataAtom == atom.Pre:
			w.pre++
			w.lineStart()
		case isBlock(n.DataAtom):
			w.lineStart()
		case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
			w.space = true
		}
	}
}

func (w *textWriter) leave(n *html.Node) {
	if n.Type != html.ElementNode {
		return
	}
	if n.DataAtom == atom.Pre {
		w.pre--
	}
	if n.DataAtom == atom.Pre || isBlock(n.DataAtom) {
		w.lineStart()
	}
}

func (w *textWriter) text(s string) {
	if w.pre > 0 {
		w.b.WriteString(s)
		return
	}
	for _, r := range s {
		if unicode.IsSpace(r) && r != '\u00a0' {
			w.space = true
			continue
		}
		if w.space && w.b.Len() > 0 && !w.atLineStart() {
			w.b.WriteByte(' ')
		}
		w.space = false
		w.b.WriteRune(r)
	}
}

// lineStart ends the current line unless it is empty.
func (w *textWriter) lineStart() {
	w.space = false
	if w.b.Len() > 0 && !w.atLineStart() {
		w.b.WriteByte('\n')
	}
}

func (w *textWriter) atLineStart() bool {
	s := w.b.String()
	return s == "" || s[len(s)-1] == '\n'
}

func (w *textWriter) String() string { return w.b.String() }

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Blockquote, atom.Li, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
		atom.Tr, atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Hr, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Aside,
		atom.Nav, atom.Main, atom.Address, atom.Center, atom.Figure, atom.Figcaption, atom.Body, atom.Html:
		return true
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(classes, want string) bool {
	for _, c := range strings.Fields(classes) {
		if c == want {
			return true
		}
	}
	return false
}

func classSuffix(classes, suffix string) bool {
	for _, c := range strings.Fields(classes) {
		if strings.HasSuffix(c, suffix) {
			return true
		}
	}
	return false
}

// textPrefix returns about the first max bytes of n's text, trimmed,
// enough to recognise a "From:" label without walking a whole subtree.
func textPrefix(n *html.Node, max int) string {
	var b strings.Builder
	c := n.FirstChild
	for c != nil && b.Len() < max {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		if c.FirstChild != nil {
			c = c.FirstChild
			continue
		}
		for c != nil && c != n && c.NextSibling == nil {
			c = c.Parent
		}
		if c == nil || c == n {
			break
		}
		c = c.NextSibling
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\u00a0' {
			return ' '
		}
		return r
	}, b.String()))
}
