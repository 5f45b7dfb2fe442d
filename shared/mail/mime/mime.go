// Package mime writes a mail.Message as an RFC 5322 message: headers,
// RFC 2047 encoded words for non-ASCII names and subjects, and a
// multipart/alternative body with the plain-text and HTML parts in UTF-8.
// The .eml outbox and the SMTP sender share it, so what the local runtime
// shows is byte for byte what a mail server would receive.
//
// Every header value is reduced to one line before it is written: names,
// subjects and custom values come partly from customers, and a CR or LF in
// any of them must never start a header of its own. Bidi controls are
// dropped from it too (domain.CleanText), even where the domain already
// did, so that no name displays as another in a mail client.
//
// Every line of a built message fits RFC 5322's 998 octets whatever the
// input, and header lines fit 78 wherever folding can make them: display
// names are capped at MaxName runes; a name or subject that is not plain
// ASCII, holds a word too long to fold, or looks like an RFC 2047 encoded
// word is written as short encoded words (so "=?utf-8?q?x?=" typed by a
// customer reads back as typed); a body line too long for 7bit is sent
// quoted-printable; and an address, message id or custom value that no
// folding could fit is refused with ErrInvalid.
package mime

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
)

// TagPrefix starts the header each mail.Message tag becomes: tag "step"
// is written as "X-Aftercare-Step", so the outbox and any mailbox can tell
// which incident and step a message belongs to.
const TagPrefix = "X-Aftercare-"

// ErrInvalid is wrapped by every error about a message that cannot be
// built as given; sending it again will not help.
var ErrInvalid = errors.New("invalid message")

// Limits that keep every header line within RFC 5322's 998 octets.
const (
	// MaxName is the most runes of a display name written in From, To or
	// Reply-To; a longer one is cut, ending in "…". Nobody's name is
	// longer, and a mail client shows fewer.
	MaxName = mail.MaxName
	// maxAddress is RFC 5321's limit on a forward path, less the brackets.
	maxAddress = 254
	// maxWord bounds a word of a header that cannot be encoded (a custom
	// value, a tag, the message id): the header name, the word and the
	// folding must fit in 998 octets.
	maxWord = 900
	// maxEncodedWord bounds one RFC 2047 encoded word (RFC 2047 allows 75),
	// so that "Reply-To: " and one word fit in 78 octets.
	maxEncodedWord = 66
	// maxBodyLine is the longest body line sent as 7bit; a longer one
	// makes its part quoted-printable.
	maxBodyLine = 998
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// reserved headers are written from Message fields or by the MIME
// encoder; a custom header may not replace them.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Message-Id": true, "Reply-To": true, "Sender": true, "Return-Path": true,
	"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true,
	"Content-Disposition": true, "Content-Id": true, "Received": true,
}

var (
	headerNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,75}$`)
	messageIDRE  = regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`)
)

// Build encodes m. A zero Date means now; an empty MessageID gets a random
// one (callers that report the id should set it first, see NewMessageID).
// It fails with ErrInvalid for a message that no retry could send.
func Build(m mail.Message) ([]byte, error) {
	from, err := address("from", m.From)
	if err != nil {
		return nil, err
	}
	to, err := address("to", m.To)
	if err != nil {
		return nil, err
	}
	if m.Text == "" && m.HTML == "" {
		return nil, invalid("no body")
	}
	// The builder gets bare addresses; the address headers and the
	// subject are written below, encoded and foldable.
	b := enmime.Builder().From("", from.Address).To("", to.Address)
	var replyTo netmail.Address
	if m.ReplyTo != "" {
		rt, err := netmail.ParseAddress(OneLine(m.ReplyTo))
		if err != nil {
			return nil, invalid("reply-to %s: %v", domain.Quote(m.ReplyTo), err)
		}
		if replyTo, err = address("reply-to", *rt); err != nil {
			return nil, err
		}
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	b = b.Date(date)

	id := m.MessageID
	if id == "" {
		id = NewMessageID(from.Address)
	}
	if !messageIDRE.MatchString(id) || len(id) > maxWord {
		return nil, invalid("message id %s is not <local@domain>", domain.Quote(id))
	}
	b = b.Header("Message-ID", id)

	for name, value := range m.Headers {
		if !headerNameRE.MatchString(name) {
			return nil, invalid("header name %s", domain.Quote(name))
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if reserved[canon] || strings.HasPrefix(canon, TagPrefix) {
			return nil, invalid("header %s is set by the mailer", canon)
		}
		v, err := headerValue(canon, value)
		if err != nil {
			return nil, err
		}
		b = b.Header(canon, v)
	}
	for key, value := range m.Tags {
		name, err := TagHeader(key)
		if err != nil {
			return nil, err
		}
		v, err := headerValue(name, value)
		if err != nil {
			return nil, err
		}
		b = b.Header(name, v)
	}
	if m.Text != "" {
		b = b.Text([]byte(crlf(m.Text)))
	}
	if m.HTML != "" {
		b = b.HTML([]byte(crlf(m.HTML)))
	}
	// Attachments make the message multipart/mixed around the
	// alternative bodies; enmime base64-encodes what is not plain text.
	for _, a := range m.Attachments {
		if err := a.Check(); err != nil {
			return nil, invalid("%v", err)
		}
		b = b.AddAttachment(a.Data, a.ContentType, a.Name)
	}
	root, err := b.Build()
	if err != nil {
		return nil, invalid("%v", err)
	}
	h := root.Header
	h.Set("From", formatAddress(from))
	h.Set("To", formatAddress(to))
	h.Set("Subject", unstructured(m.Subject))
	if replyTo.Address != "" {
		h.Set("Reply-To", formatAddress(replyTo))
	}
	// 7bit cannot carry a line over 998 octets; quoted-printable can.
	_ = root.DepthMatchAll(func(p *enmime.Part) bool {
		if longLine(p.Content) {
			p.WithEncoder(quotedPrintable)
		}
		return false
	})
	var buf bytes.Buffer
	if err := root.Encode(&buf); err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return buf.Bytes(), nil
}

// TagHeader is the header a tag is written as ("step" → "X-Aftercare-Step").
func TagHeader(key string) (string, error) {
	k := strings.ReplaceAll(key, "_", "-")
	if !headerNameRE.MatchString(k) {
		return "", invalid("tag name %s", domain.Quote(key))
	}
	return textproto.CanonicalMIMEHeaderKey(TagPrefix + k), nil
}

// address checks an envelope address and makes its display name one
// line of at most MaxName runes.
func address(field string, a netmail.Address) (netmail.Address, error) {
	if a.Address == "" {
		return a, invalid("%s: no address", field)
	}
	p, err := netmail.ParseAddress("<" + a.Address + ">")
	if err != nil || p.Address != a.Address {
		return a, invalid("%s: %s is not a plain email address", field, domain.Quote(a.Address))
	}
	if len(a.Address) > maxAddress {
		return a, invalid("%s: address is longer than %d octets", field, maxAddress)
	}
	return netmail.Address{Name: DisplayName(a.Name), Address: a.Address}, nil
}

// DisplayName is mail.DisplayName.
func DisplayName(name string) string { return mail.DisplayName(name) }

// formatAddress writes a checked address for a header: a plain-ASCII name
// as a quoted string, anything else as encoded words, so that folding can
// keep every line short and no reader decodes what the customer typed.
func formatAddress(a netmail.Address) string {
	addr := (&netmail.Address{Address: a.Address}).String() // <local@domain>
	switch {
	case a.Name == "":
		return addr
	case plain(quoted(a.Name)):
		return (&netmail.Address{Name: a.Name, Address: a.Address}).String()
	}
	return encodeWords(a.Name, maxEncodedWord) + " " + addr
}

// quoted is name as a quoted string, as net/mail writes it.
func quoted(name string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
}

// unstructured writes a subject: as it is when it is plain, else as
// encoded words.
func unstructured(s string) string {
	s = OneLine(s)
	if plain(s) {
		return s
	}
	return encodeWords(s, maxEncodedWord)
}

// plain reports whether s can be written as it is and folded: printable
// ASCII, no word longer than an encoded word, and nothing a reader would
// take for an encoded word.
func plain(s string) bool {
	if strings.Contains(s, "=?") {
		return false
	}
	word := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			word = 0
		case c < ' ' || c > '~':
			return false
		default:
			if word++; word > maxEncodedWord {
				return false
			}
		}
	}
	return true
}

// headerValue makes a custom header's value one line that folds: ASCII as
// it is, when no word is too long to fold; anything else as encoded words.
func headerValue(name, value string) (string, error) {
	v := OneLine(value)
	ascii := true
	for i := 0; i < len(v) && ascii; i++ {
		ascii = v[i] >= ' ' && v[i] <= '~'
	}
	if !ascii {
		// Short enough words that "Name: word" fits in 78 octets.
		return encodeWords(v, max(24, 78-len(name)-len(": "))), nil
	}
	for w := range strings.FieldsSeq(v) {
		if len(w) > maxWord {
			return "", invalid("header %s: a word of %d octets cannot be folded", name, len(w))
		}
	}
	return v, nil
}

// encodeWords writes s as RFC 2047 encoded words of at most limit
// characters (at least 24), separated by spaces (which readers drop between encoded
// words), each holding whole characters: Q encoding when s is mostly
// ASCII, B otherwise. Every character is encoded or phrase-safe, so the
// result may stand in a display name as well as in a subject.
func encodeWords(s string, limit int) string {
	const overhead = len("=?utf-8?q??=")
	unsafe := 0
	for i := 0; i < len(s); i++ {
		if !qSafe(s[i]) {
			unsafe++
		}
	}
	useB := unsafe*3 > len(s)
	var out strings.Builder
	var word []byte
	size := overhead // of the encoded word being filled
	flush := func() {
		if len(word) == 0 {
			return
		}
		if out.Len() > 0 {
			out.WriteByte(' ')
		}
		if useB {
			out.WriteString("=?utf-8?b?" + base64.StdEncoding.EncodeToString(word) + "?=")
		} else {
			out.WriteString("=?utf-8?q?")
			for _, c := range word {
				switch {
				case c == ' ':
					out.WriteByte('_')
				case qSafe(c):
					out.WriteByte(c)
				default:
					fmt.Fprintf(&out, "=%02X", c)
				}
			}
			out.WriteString("?=")
		}
		word, size = word[:0], overhead
	}
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		ch := s[i : i+n]
		i += n
		grow := 0
		if useB {
			grow = base64.StdEncoding.EncodedLen(len(word)+len(ch)) - base64.StdEncoding.EncodedLen(len(word))
		} else {
			for j := 0; j < len(ch); j++ {
				grow += 3
				if qSafe(ch[j]) || ch[j] == ' ' {
					grow -= 2
				}
			}
		}
		if size+grow > limit {
			flush()
			if useB {
				grow = base64.StdEncoding.EncodedLen(len(ch))
			}
		}
		word = append(word, ch...)
		size += grow
	}
	flush()
	return out.String()
}

// qSafe reports whether c may stand for itself in a Q-encoded word in a
// phrase (RFC 2047, section 5, rule 3).
func qSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '!' || c == '*' || c == '+' || c == '-' || c == '/'
}

// quotedPrintable makes a part quoted-printable whatever its content.
var quotedPrintable = enmime.NewEncoder(enmime.ForceQuotedPrintableCte(true))

// longLine reports whether content has a line 7bit cannot carry.
func longLine(content []byte) bool {
	for len(content) > 0 {
		line, rest, _ := bytes.Cut(content, []byte("\n"))
		if len(bytes.TrimSuffix(line, []byte("\r"))) > maxBodyLine {
			return true
		}
		content = rest
	}
	return false
}

// NewMessageID returns a random, globally unique Message-ID in the sending
// domain, for messages that did not bring their own.
func NewMessageID(from string) string {
	domain := "aftercare.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" && !strings.ContainsAny(d, "<>@ \t\r\n") {
		domain = d
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// OneLine is mail.OneLine.
func OneLine(s string) string { return mail.OneLine(s) }

// crlf gives a body the CRLF line ends RFC 5322 requires; bare CR or LF
// would be rewritten differently by every relay.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
