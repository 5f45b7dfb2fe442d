package mime

import (
	"bytes"
	"errors"
	stdmime "mime"
	netmail "net/mail"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
)

// hostile are display names and subjects that customers and booking
// systems have sent, or could: each must give a message whose every line
// fits RFC 5322's 998 octets, that parses back to the same text (names
// capped at MaxName runes), and that says nothing in a header it did not
// mean to.
var hostile = map[string]string{
	"500 quotes":            strings.Repeat(`"`, 500),
	"500 backslashes":       strings.Repeat(`\`, 500),
	"quotes and escapes":    strings.Repeat(`\"`, 300),
	"2000-char word":        strings.Repeat("a", 2000),
	"2000-char greek word":  strings.Repeat("α", 2000),
	"2000-char emoji word":  strings.Repeat("😀", 2000),
	"long words":            strings.Repeat(strings.Repeat("b", 90)+" ", 30),
	"CR LF":                 "Eve\r\nBcc: victim@example.com\r\n\r\nbody",
	"bare CR":               "Eve\rBcc: victim@example.com",
	"RFC 2047 lookalike":    "=?utf-8?q?Bcc=3A_victim=40example=2Ecom?=",
	"B lookalike":           "=?UTF-8?B?QmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?= tail",
	"lookalike in quotes":   `"=?utf-8?q?Admin?=" <admin@bank.example>`,
	"angle address spoof":   "Support <support@bank.example>",
	"commas and semicolons": "Doe, Jane; Roe, Richard: group;",
	"arabic":                "محمد بن عبد الله",
	"chinese":               strings.Repeat("王小明", 60),
	"devanagari":            "क्षत्रिय अर्जुन",
	"mixed":                 "María Παπαδοπούλου 王 👩\u200D💻",
	"bidi override":         "Eve\u202Egpj.exe",
	"bidi isolates":         "\u2066Admin\u2069 \u200Fteam\u200E \u061C",
	"C1 and DEL":            "a\u0085b\u009bc\x7fd",
	"tabs and spaces":       "\t  lots   of\t\tspace  ",
	"exactly 100 runes":     strings.Repeat("x", 100),
	"101 runes":             strings.Repeat("y", 101),
	"100 runes then space":  strings.Repeat("z", 99) + " " + strings.Repeat("z", 10),
	"null bytes":            "nul\x00name",
	"invalid UTF-8":         "bad\xff\xfename",
	"only bidi":             "\u202E\u202C",
	"encoded-word chars":    "?= =? _ = ?",
}

// wantText is what a hostile subject must read as: one line, no controls
// and no bidi marks; wantName is that cut to MaxName runes, with an
// ellipsis, for a display name.
func wantText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\u200E', r == '\u200F', r == '\u061C':
		case r < 0x20, r == 0x7F, r >= 0x80 && r <= 0x9F:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func wantName(s string) string {
	s = wantText(s)
	if utf8.RuneCountInString(s) > MaxName {
		s = strings.TrimSpace(string([]rune(s)[:MaxName-1])) + "…"
	}
	return s
}

// checkLines fails t for a line over 998 octets, or, in the headers, over
// 78 where the header holds no single word longer than that.
func checkLines(t *testing.T, raw []byte) {
	t.Helper()
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Fatalf("line %d is %d octets: %.80s…", i+1, len(line), line)
		}
	}
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		if len(line) > 78 && !bytes.HasPrefix(line, []byte("Message-Id:")) && !bytes.Contains(line, []byte("@")) {
			t.Errorf("header line is %d octets: %s", len(line), line)
		}
		for _, c := range line {
			if c > 127 {
				t.Fatalf("header is not 7-bit: %q", line)
			}
		}
	}
}

func TestHostileNamesAndSubjects(t *testing.T) {
	for name, s := range hostile {
		t.Run(name, func(t *testing.T) {
			m := message()
			m.To.Name, m.Subject, m.From.Name = s, s, s
			m.ReplyTo = (&netmail.Address{Name: strings.ToValidUTF8(s, ""), Address: "desk@seabreeze.example"}).String()
			raw := build(t, m)
			checkLines(t, raw)

			msg, err := netmail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"To", "From"} {
				list, err := msg.Header.AddressList(h)
				if err != nil || len(list) != 1 {
					t.Fatalf("%s = %q: %v", h, msg.Header.Get(h), err)
				}
				if got, want := list[0].Name, wantName(s); got != want {
					t.Errorf("%s name = %q, want %q", h, got, want)
				}
			}
			if to, _ := msg.Header.AddressList("To"); to[0].Address != m.To.Address {
				t.Errorf("To address = %q", to[0].Address)
			}
			var dec stdmime.WordDecoder
			subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if subj != wantText(s) {
				t.Errorf("Subject = %q, want %q", subj, wantText(s))
			}
			if strings.ContainsAny(subj+msg.Header.Get("To"), "\u202E\u2066\u200F\r\n") {
				t.Errorf("a control reached the headers: %q / %q", subj, msg.Header.Get("To"))
			}
			for _, h := range []string{"Bcc", "Cc"} {
				if _, ok := msg.Header[h]; ok {
					t.Fatalf("injected %s header", h)
				}
			}

			// enmime, as the replies parser reads mail, agrees, except that
			// it decodes a display name a second time after net/mail has
			// (header.go, "less strict decoder"), so a name that itself
			// looks like an encoded word reads as what it encodes there,
			// however it is written; net/mail, above, reads it as typed.
			env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			to, err := env.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != m.To.Address ||
				(to[0].Name != wantName(s) && !strings.Contains(wantName(s), "=?")) {
				t.Errorf("enmime To = %v (%v), want %q", to, err, wantName(s))
			}
			if got := env.GetHeader("Subject"); got != wantText(s) {
				t.Errorf("enmime Subject = %q, want %q", got, wantText(s))
			}
		})
	}
}

// TestSubjectsAreNotCapped: a long subject is folded, not cut.
func TestSubjectsAreNotCapped(t *testing.T) {
	for _, s := range []string{strings.Repeat("Πώς τα πήγαμε; ", 40), strings.Repeat("a", 2000), strings.Repeat("word ", 400), "=?utf-8?q?x?= literally"} {
		m := message()
		m.Subject = s
		raw := build(t, m)
		checkLines(t, raw)
		env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := env.GetHeader("Subject"); got != OneLine(s) {
			t.Errorf("Subject = %.60q…, want %.60q…", got, OneLine(s))
		}
	}
}

// TestLongBodyLines: a body line over 998 octets, which 7bit cannot carry,
// is sent quoted-printable and comes back whole.
func TestLongBodyLines(t *testing.T) {
	m := message()
	m.Text = strings.Repeat("a", 5000) + "\n" + strings.Repeat(`&#34;`, 500) + "\n"
	m.HTML = "<p>" + strings.Repeat("b", 3000) + "</p>"
	raw := build(t, m)
	checkLines(t, raw)
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ReplaceAll(env.Text, "\r\n", "\n") != m.Text || env.HTML != m.HTML {
		t.Fatalf("bodies changed: %d/%d bytes", len(env.Text), len(env.HTML))
	}
}

// TestUnfoldableValues: a header word that no folding can fit in 998
// octets is refused, not written.
func TestUnfoldableValues(t *testing.T) {
	long := strings.Repeat("x", 1000)
	for name, modify := range map[string]func(m *mail.Message){
		"custom header": func(m *mail.Message) {
			m.Headers = map[string]string{"List-Unsubscribe": "<https://x.example/" + long + ">"}
		},
		"tag":          func(m *mail.Message) { m.Tags = map[string]string{"step": long} },
		"message id":   func(m *mail.Message) { m.MessageID = "<" + long + "@x.example>" },
		"to address":   func(m *mail.Message) { m.To.Address = long + "@x.example" },
		"from address": func(m *mail.Message) { m.From.Address = long + "@x.example" },
	} {
		m := message()
		modify(&m)
		if _, err := Build(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Build = %v, want ErrInvalid", name, err)
		}
	}
	// Non-ASCII values are encoded words, which fold.
	m := message()
	m.Tags = map[string]string{"step": strings.Repeat("é", 1000)}
	checkLines(t, build(t, m))
}

func TestErrorsQuoteInputShort(t *testing.T) {
	long := strings.Repeat("x", 2000)
	for name, modify := range map[string]func(m *mail.Message){
		"to":          func(m *mail.Message) { m.To.Address = long },
		"reply-to":    func(m *mail.Message) { m.ReplyTo = long },
		"message id":  func(m *mail.Message) { m.MessageID = long },
		"header name": func(m *mail.Message) { m.Headers = map[string]string{long: "x"} },
		"tag name":    func(m *mail.Message) { m.Tags = map[string]string{long: "x"} },
	} {
		m := message()
		modify(&m)
		_, err := Build(m)
		if !errors.Is(err, ErrInvalid) || len(err.Error()) >= 200 {
			t.Errorf("%s: Build = %d bytes of error: %.80v", name, len(err.Error()), err)
		}
	}
}
