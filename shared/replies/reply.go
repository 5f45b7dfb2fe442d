// Package replies reads the emails customers send back in answer to a
// follow-up: it routes them to their incident and step through a signed
// plus address (Addresses), keeps only what the customer wrote — not the
// history their mail client quoted nor their signature (Parse) — and
// recognises a reply that is only a rating (Score). It also says what
// must stop a reply from counting as the customer's words: mail no
// person wrote (Reply.Automatic), a sender who is not the customer
// (Reply.From, SameAddress) and the receiving service's judgement of the
// message (Reply.Verdict, Reply.Untrusted).
//
// Everything here is pure: no I/O, no logging. A Reply holds email
// addresses and message text, so callers must keep it out of logs.
package replies

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	"github.com/jhillyerd/enmime/v2"
)

// Size limits. MaxMessage refuses what no customer types (SES itself
// accepts 40 MB, mostly attachments we do not want); MaxText and MaxFull
// keep a stored answer well inside a DynamoDB item (400 KB) however long
// the customer or the quoted thread is.
const (
	MaxMessage = 10 << 20
	MaxText    = 10 << 10
	MaxFull    = 256 << 10
)

// Errors from Parse and Read.
var (
	ErrTooLarge  = errors.New("message too large")
	ErrMalformed = errors.New("malformed message")
)

// Reply is one email a customer sent back.
type Reply struct {
	// From is the author: the one mailbox of the From field, as written
	// (compare it with SameAddress, not ==). Sender and Reply-To never
	// replace it. It is the zero Address if From is absent, unparseable,
	// repeated or lists several mailboxes. The reply address ties a reply
	// to an incident, but anyone who has seen it can write to it: only
	// when From is the customer's address (SameAddress) and the message
	// is not Untrusted (DMARC vouches for From on AWS) are these the
	// customer's words.
	From netmail.Address
	// Recipients are the candidates for our reply address, in the order
	// Addresses.Match tries them: the delivery headers (Delivered-To,
	// X-Original-To, Envelope-To, which survive forwarding from another
	// mailbox to ours), then To and Cc.
	Recipients []string
	Subject    string
	MessageID  string   // "<id@host>", as in the header
	InReplyTo  string   // the Message-ID answered, "<id@host>"
	References []string // the thread, oldest first
	Date       time.Time
	// Text is the customer's new words: quotes, attributions, forwarded
	// messages and signatures removed, at most MaxText bytes.
	Text string
	// Full is the whole text of the message as decoded (the text part, or
	// the HTML part rendered as text if there is none), at most MaxFull
	// bytes; kept so that a wrong cut can be seen and fixed.
	Full string
	// HTML is the decoded HTML part, if any, unstripped.
	HTML string
	// Raw is the message as received (the slice given to Parse, not a
	// copy), for the record.
	Raw []byte
	// Lang is a guess at the language of Text: "en", "el" or "es" from
	// its script and common words, else the language of the first quote
	// marker found (any language of markers.json, e.g. "de"), else "".
	Lang string
	// Automatic is set for mail no person wrote: out-of-office and other
	// auto-replies, delivery reports, bulk and list mail (RFC 3834), by
	// their headers, their sender or their subject (see automatic). It
	// must never be taken as the customer's answer or rating.
	Automatic bool
	// AutomaticReason says which sign made the message Automatic, e.g.
	// "Auto-Submitted: auto-replied", "Return-Path: <>", "List-Id
	// (mailing list)" or `subject: de "abwesenheitsnotiz"`; "" when it is
	// not. It holds no address or free text from the message: safe to log.
	AutomaticReason string
	// Verdict is what SES concluded about the message when it received
	// it (DMARC, SPF, DKIM, spam, virus); see Verdict and Untrusted.
	Verdict Verdict
	// Truncated is set when Text or Full was cut to its limit.
	Truncated bool
}

// parser skips enmime's own HTML-to-text conversion: we render HTML
// ourselves, after removing quotes, and do not want a second, different
// rendering in Envelope.Text. It also trusts a part's declared charset:
// by default enmime runs statistical detection on every part and lets a
// confident guess override the declaration, which every client we care
// about writes correctly, and which a guess on a few lines of Greek or
// Spanish can get wrong. Parts without a charset are read as UTF-8 when
// they are valid UTF-8, else detected (see redecodeUndeclared).
var parser = sync.OnceValue(func() *enmime.Parser {
	return enmime.NewParser(enmime.DisableTextConversion(true), enmime.DisableCharacterDetection(true))
})

// Read reads a message of at most MaxMessage bytes from r and parses it.
func Read(r io.Reader) (*Reply, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxMessage+1))
	if err != nil {
		return nil, fmt.Errorf("replies: read message: %w", err)
	}
	return Parse(raw)
}

// Options is what a caller knows about the conversation that helps tell
// the customer's words from the history their client quoted.
type Options struct {
	// Sent is the text of the email the customer answers, as we sent
	// it. A block of the reply that reproduces it is quoted history,
	// whatever marks it or if nothing does. Empty: unknown.
	Sent string
}

// Parse decodes a MIME message and extracts the customer's words (see
// ParseWith), knowing nothing of the message it answers.
func Parse(raw []byte) (*Reply, error) {
	return ParseWith(raw, Options{})
}

// ParseWith decodes a MIME message and extracts the customer's words. It
// prefers the text/plain part, which every major client sends alongside
// HTML and which quotes with ">" and plain markers; HTML alone is
// stripped by its structure (see classify), rendered as text, then
// stripped as text too.
func ParseWith(raw []byte, opt Options) (*Reply, error) {
	if len(raw) > MaxMessage {
		return nil, fmt.Errorf("replies: %w: over %d bytes", ErrTooLarge, MaxMessage)
	}
	root, err := parser().ReadParts(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("replies: %w: %v", ErrMalformed, err)
	}
	if err := redecodeUndeclared(root, raw); err != nil {
		return nil, fmt.Errorf("replies: %w: %v", ErrMalformed, err)
	}
	env, err := parser().EnvelopeFromPart(root)
	if err != nil {
		return nil, fmt.Errorf("replies: %w: %v", ErrMalformed, err)
	}
	r := &Reply{
		Subject:    oneLine(env.GetHeader("Subject")),
		MessageID:  strings.TrimSpace(env.GetHeader("Message-Id")),
		InReplyTo:  firstID(env.GetHeader("In-Reply-To")),
		References: strings.Fields(env.GetHeader("References")),
		HTML:       env.HTML,
		Raw:        raw,
		From:       sender(env),
		Verdict:    verdict(env),
	}
	r.AutomaticReason = automatic(env, r.From.Address)
	r.Automatic = r.AutomaticReason != ""
	if d, err := env.Date(); err == nil {
		r.Date = d
	}
	r.Recipients = recipients(env)

	if strings.TrimSpace(env.Text) != "" {
		r.Full = normalizeNewlines(env.Text)
	} else if env.HTML != "" {
		r.Full = trimLines(normalizeNewlines(htmlToText(env.HTML, false)))
	}
	text, markerLang := stripBody(env.Text, env.HTML, opt.Sent)
	var cutText, cutFull bool
	r.Text, cutText = truncate(text, MaxText)
	r.Full, cutFull = truncate(strings.TrimSpace(r.Full), MaxFull)
	r.Truncated = cutText || cutFull
	r.Lang = guessLang(r.Text)
	if r.Lang == "" {
		r.Lang = markerLang
	}
	return r, nil
}

// stripBody returns the customer's words in a message's text part or,
// when it has none, its HTML part, and the language of the first quote
// marker found. sent is the text of the email answered, or "".
//
// When the text part shows no history at all but the HTML part holds a
// quote container (a blockquote, Gmail's or Outlook's markers), the HTML
// part's structure is trusted over the text part's lack of markers: some
// clients write the quoted thread into the text part bare.
func stripBody(text, html, sent string) (string, string) {
	if strings.TrimSpace(text) != "" {
		got, lang, cut := stripTextCut(text, sent)
		if cut || html == "" {
			return got, lang
		}
		if rendered, found := renderHTML(html, true); found {
			if h, hl := stripText(rendered, sent); strings.TrimSpace(h) != "" {
				return h, hl
			}
		}
		return got, lang
	}
	if html != "" {
		return stripText(htmlToText(html, true), sent)
	}
	return "", ""
}

// recipientHeaders are searched for our reply address, most reliable
// first. Delivered-To and X-Original-To are added by the receiving
// servers and name the mailbox the message actually reached, even when a
// customer's copy went elsewhere first and was forwarded to us.
var recipientHeaders = []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Forwarded-To", "To", "Cc"}

func recipients(env *enmime.Envelope) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		a = strings.TrimSpace(a)
		if strings.Contains(a, "@") && !seen[strings.ToLower(a)] && len(out) < 100 {
			seen[strings.ToLower(a)] = true
			out = append(out, a)
		}
	}
	for _, h := range recipientHeaders {
		for _, v := range env.GetHeaderValues(h) {
			list, err := enmime.ParseAddressList(v)
			if err != nil || len(list) == 0 {
				// MTAs write Delivered-To as a bare address that strict
				// parsers sometimes refuse; try it as it is. (A group
				// such as "undisclosed-recipients:;" has no "@": skipped.)
				for _, f := range strings.Split(v, ",") {
					add(strings.Trim(strings.TrimSpace(f), "<>"))
				}
				continue
			}
			for _, a := range list {
				if a != nil {
					add(a.Address)
				}
			}
		}
	}
	return out
}

// trimLines drops trailing spaces from each line: rendered HTML leaves
// them where Outlook wrote "&nbsp;" for an empty paragraph.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

func firstID(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
