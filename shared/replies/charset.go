package replies

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"github.com/jhillyerd/enmime/v2"
	htmlcharset "golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// A text part that declares no charset (or US-ASCII, RFC 822's default,
// while it holds 8-bit bytes) is, from every modern client and from our
// dev console, UTF-8. enmime's statistical guess on a few lines often
// says ISO-8859-1 instead and turns "Sí, ya las recogí" into "SÃ, ya las
// recogÃ". Such parts are decoded again here: as UTF-8 when they are
// valid UTF-8, else (HTML) in the charset a <meta> tag names, else in the
// charset chardet detects, else Windows-1252.

// rawParser reads parts without decoding them, to get at the bytes of
// parts whose charset was guessed.
var rawParser = sync.OnceValue(func() *enmime.Parser {
	return enmime.NewParser(enmime.DisableTextConversion(true), enmime.RawContent(true))
})

// undeclared reports whether p is a text part whose content was decoded
// from an undeclared charset and came out other than plain ASCII.
func undeclared(p *enmime.Part) bool {
	if !strings.HasPrefix(p.ContentType, "text/") || p.Disposition == "attachment" || isASCII(p.Content) {
		return false
	}
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
	if err != nil {
		return p.Header.Get("Content-Type") == ""
	}
	cs := strings.ToLower(strings.TrimSpace(params["charset"]))
	return cs == "" || cs == "us-ascii" || cs == "ascii"
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// redecodeUndeclared decodes again, from raw, the parts of root whose
// charset was not declared. It changes nothing when there are none.
func redecodeUndeclared(root *enmime.Part, raw []byte) error {
	targets := map[string]*enmime.Part{}
	_ = root.DepthMatchAll(func(p *enmime.Part) bool {
		if undeclared(p) {
			targets[p.PartID] = p
		}
		return false
	})
	if len(targets) == 0 {
		return nil
	}
	rawRoot, err := rawParser().ReadParts(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("re-read parts: %w", err)
	}
	_ = rawRoot.DepthMatchAll(func(rp *enmime.Part) bool {
		p, ok := targets[rp.PartID]
		if !ok {
			return false
		}
		body, err := transferDecode(rp.Content, rp.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return false // keep enmime's reading
		}
		text, cs := decodeUndeclared(body, p.ContentType)
		p.Content, p.Charset = text, cs
		// The content is UTF-8 now; say so, or enmime would convert an
		// HTML body again from the charset of its <meta> tag.
		params := map[string]string{}
		for k, v := range p.ContentTypeParams {
			params[k] = v
		}
		params["charset"] = "utf-8"
		p.Header.Set("Content-Type", mime.FormatMediaType(p.ContentType, params))
		return false
	})
	return nil
}

// transferDecode undoes a part's Content-Transfer-Encoding.
func transferDecode(b []byte, cte string) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err != nil {
			return nil, fmt.Errorf("quoted-printable: %w", err)
		}
		return out, nil
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, b)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			return nil, fmt.Errorf("base64: %w", err)
		}
		return out[:n], nil
	}
	return b, nil
}

// metaPrescan is how far into an HTML part the HTML standard looks for a
// <meta> charset.
const metaPrescan = 1024

// minDetectConfidence is chardet's confidence (0-100) above which its
// guess is used rather than Windows-1252, the usual legacy charset.
const minDetectConfidence = 50

// decodeUndeclared turns text of unknown charset into UTF-8, and says
// which charset it read it as.
func decodeUndeclared(b []byte, contentType string) ([]byte, string) {
	if utf8.Valid(b) {
		return b, "utf-8"
	}
	if contentType == "text/html" && bytes.Contains(bytes.ToLower(b[:min(len(b), metaPrescan)]), []byte("charset")) {
		// An HTML part may name its charset in a <meta> tag, which the
		// HTML standard's prescan finds.
		if e, name, _ := htmlcharset.DetermineEncoding(b, contentType); name != "utf-8" {
			if out, err := e.NewDecoder().Bytes(b); err == nil {
				return out, name
			}
		}
	}
	var enc encoding.Encoding = charmap.Windows1252
	name := "windows-1252"
	d := chardet.NewTextDetector()
	if contentType == "text/html" {
		d = chardet.NewHtmlDetector()
	}
	if r, err := d.DetectBest(b); err == nil && r.Confidence >= minDetectConfidence {
		if e, err := htmlindex.Get(r.Charset); err == nil && !strings.EqualFold(r.Charset, "utf-8") {
			enc, name = e, strings.ToLower(r.Charset)
		}
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return bytes.ToValidUTF8(b, []byte("\uFFFD")), "utf-8"
	}
	return out, name
}
