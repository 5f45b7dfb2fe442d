package ses

import (
	"errors"
	"fmt"
	"mime"
	netmail "net/mail"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"golang.org/x/net/idna"

	"github.com/aftercare/aftercare/shared/mail"
)

// SES limits on custom headers and tags (API reference: MessageHeader,
// MessageTag, and the header-fields page of the developer guide).
const (
	maxHeaders        = 15
	maxHeaderName     = 126
	maxHeaderValue    = 870
	maxTagLen         = 256
	charsetUTF8       = "UTF-8"
	messageIDHeader   = "X-Aftercare-Message-ID"
	tagReplacementChr = '_'
)

// reservedHeaders are the headers SES sets itself and refuses as custom
// headers with Simple content. Most of them have a proper field in the
// request; Date and Message-ID are SES's alone.
var reservedHeaders = map[string]bool{
	"bcc": true, "cc": true, "content-disposition": true, "content-type": true,
	"date": true, "from": true, "message-id": true, "mime-version": true,
	"reply-to": true, "return-path": true, "subject": true, "to": true,
	// Ours: carries mail.Message.MessageID.
	strings.ToLower(messageIDHeader): true,
}

// simpleMessage builds the Simple content: SES then writes the MIME
// structure (multipart/alternative, transfer encodings, RFC 2047 subject)
// from the UTF-8 strings, which is less to get wrong than a raw message.
func simpleMessage(m mail.Message) (*types.Message, error) {
	if strings.TrimSpace(m.Subject) == "" {
		return nil, errors.New("empty subject")
	}
	if m.HTML == "" && m.Text == "" {
		return nil, errors.New("no body: need HTML or text")
	}
	headers, err := messageHeaders(m.Headers, m.MessageID)
	if err != nil {
		return nil, err
	}
	body := &types.Body{}
	if m.HTML != "" {
		body.Html = utf8Content(m.HTML)
	}
	if m.Text != "" {
		body.Text = utf8Content(m.Text)
	}
	// Attachments ride in the Simple content too (SES v2 writes the
	// multipart/mixed structure), base64 so any bytes survive.
	var attachments []types.Attachment
	for _, a := range m.Attachments {
		if err := a.Check(); err != nil {
			return nil, err
		}
		attachments = append(attachments, types.Attachment{
			FileName: aws.String(a.Name), RawContent: a.Data, ContentType: aws.String(a.ContentType),
			ContentDisposition:      types.AttachmentContentDispositionAttachment,
			ContentTransferEncoding: types.AttachmentContentTransferEncodingBase64,
		})
	}
	return &types.Message{
		Subject:     utf8Content(m.Subject),
		Body:        body,
		Headers:     headers,
		Attachments: attachments,
	}, nil
}

func utf8Content(s string) *types.Content {
	return &types.Content{Data: aws.String(s), Charset: aws.String(charsetUTF8)}
}

func destination(to string) *types.Destination {
	return &types.Destination{ToAddresses: []string{to}}
}

func content(m *types.Message) *types.EmailContent {
	return &types.EmailContent{Simple: m}
}

// messageHeaders validates and encodes the custom headers, sorted by name so
// the same message always yields the same request. A header SES would refuse
// is an error here rather than a BadRequestException later: it is a bug in
// the caller, and a clear message names the header. The deterministic
// message id rides along as X-Aftercare-Message-ID when there is room.
// Header values are never quoted in errors: List-Unsubscribe may hold a
// mailto: address.
func messageHeaders(extra map[string]string, messageID string) ([]types.MessageHeader, error) {
	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	slices.Sort(names)

	out := make([]types.MessageHeader, 0, len(names)+1)
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if !validHeaderName(name) {
			return nil, fmt.Errorf("header name %q is not 1-%d printable ASCII characters without a colon", name, maxHeaderName)
		}
		lower := strings.ToLower(name)
		if reservedHeaders[lower] {
			return nil, fmt.Errorf("header %s is set by SES or this adapter and cannot be sent as a custom header", name)
		}
		if seen[lower] {
			return nil, fmt.Errorf("header %s given twice (header names are case-insensitive)", name)
		}
		seen[lower] = true
		value, err := headerValue(extra[name])
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		if value == "" {
			// SES requires a value of at least one character, and an empty
			// header says nothing.
			continue
		}
		out = append(out, types.MessageHeader{Name: aws.String(name), Value: aws.String(value)})
	}
	if len(out) > maxHeaders {
		return nil, fmt.Errorf("%d custom headers, SES allows %d", len(out), maxHeaders)
	}
	if messageID != "" && len(out) < maxHeaders {
		// Informational only, so a bad id is dropped rather than failing the send.
		if value, err := headerValue(messageID); err == nil && value != "" {
			out = append(out, types.MessageHeader{Name: aws.String(messageIDHeader), Value: aws.String(value)})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// validHeaderName mirrors SES's pattern ^[!-9;-@A-~]+$ with its length cap.
func validHeaderName(name string) bool {
	if name == "" || len(name) > maxHeaderName {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < '!' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// headerValue turns v into what SES accepts: printable ASCII, at most 870
// characters. Line breaks and tabs become spaces, so a value cannot inject a
// header. Non-ASCII text is RFC 2047 Q-encoded, which suits unstructured
// headers; structured ones such as List-Unsubscribe must already be ASCII
// (percent-encoded URLs), as the RFCs require.
func headerValue(v string) (string, error) {
	v = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, v))
	if !printableASCII(v) {
		v = mime.QEncoding.Encode("utf-8", v)
		if !printableASCII(v) {
			return "", errors.New("value has characters that cannot be encoded")
		}
	}
	if len(v) > maxHeaderValue {
		return "", fmt.Errorf("value is %d characters encoded, SES allows %d", len(v), maxHeaderValue)
	}
	return v, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// formatAddress renders a for SES: a display name in RFC 2047 when it is not
// ASCII (net/mail does this), an internationalised domain in punycode. SES
// does not support SMTPUTF8, so a non-ASCII local part cannot be sent at
// all. Errors never include the address.
func formatAddress(a netmail.Address) (string, error) {
	addr := strings.TrimSpace(a.Address)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", errors.New("not an email address")
	}
	local, domain := addr[:at], addr[at+1:]
	if !printableASCII(local) {
		return "", errors.New("local part is not ASCII (SES does not support SMTPUTF8)")
	}
	if !printableASCII(domain) {
		ascii, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return "", errors.New("domain is not a valid internationalised domain name")
		}
		domain = ascii
	}
	addr = local + "@" + domain
	if strings.TrimSpace(a.Name) == "" {
		// net/mail would write "<addr>"; the bare form is the one SES documents.
		return addr, nil
	}
	return (&netmail.Address{Name: mail.DisplayName(a.Name), Address: addr}).String(), nil
}

// formatAddressList parses a header-style list ("Team <team@x>, y@x") and
// formats each address like formatAddress.
func formatAddressList(list string) ([]string, error) {
	parsed, err := netmail.ParseAddressList(list)
	if err != nil {
		// net/mail's errors can quote the input; keep addresses out.
		return nil, errors.New("cannot parse address list")
	}
	out := make([]string, 0, len(parsed))
	for _, a := range parsed {
		s, err := formatAddress(*a)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// emailTags turns m.Tags into SES message tags. SES allows only
// [A-Za-z0-9_-] up to 256 characters in names and values, so every other
// character becomes '_' and the rest is cut: deterministic, so events for the
// same incident always carry the same tag. Tags that end up empty are
// dropped; when two names collide after sanitising, the first in sorted
// order wins.
func emailTags(tags map[string]string) []types.MessageTag {
	names := make([]string, 0, len(tags))
	for name := range tags {
		names = append(names, name)
	}
	slices.Sort(names)

	var out []types.MessageTag
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		n, v := sanitizeTag(name), sanitizeTag(tags[name])
		if n == "" || v == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, types.MessageTag{Name: aws.String(n), Value: aws.String(v)})
	}
	return out
}

func sanitizeTag(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == maxTagLen {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune(tagReplacementChr)
		}
	}
	return b.String()
}
