// Package smtp sends mail through any SMTP relay (a mail provider, a local
// Mailpit or MailHog, Postfix). It lets the local runtime deliver real
// email without AWS, and gives self-hosters an alternative to SES.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"time"

	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/mime"
)

// Config says how to reach the relay.
type Config struct {
	// Addr is the relay's host:port, e.g. "smtp.example.com:587".
	Addr string
	// Username and Password, when set, log in with AUTH PLAIN. net/smtp
	// refuses to send them in the clear except to localhost, so remote
	// relays need StartTLS.
	Username, Password string
	// StartTLS requires the connection to be upgraded before anything else
	// is said; a relay that does not offer it is an error, never a silent
	// fallback to plain text.
	StartTLS bool
	// Timeout bounds one whole send, from dialling to QUIT, so a stalled
	// relay cannot hold a Lambda until it times out. Default 30s.
	Timeout time.Duration
	// TLSConfig customises STARTTLS (a private CA, say). ServerName
	// defaults to Addr's host.
	TLSConfig *tls.Config
	// HelloName is the name given in EHLO; default "localhost". Some
	// relays want the sending host's real name.
	HelloName string
}

// DefaultTimeout bounds a send when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Sender delivers messages over SMTP, one connection per message: sends
// are spread out in time, so a pooled connection would mostly sit idle.
type Sender struct {
	cfg Config
}

var _ mail.Sender = (*Sender)(nil)

// New returns a Sender for the relay.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	return &Sender{cfg: cfg}
}

// Send delivers m to m.To with envelope sender m.From.Address and returns
// its Message-ID (generated if m has none). A 5xx reply wraps
// mail.ErrPermanent, as does a message that cannot be built; 4xx replies,
// network failures and timeouts are returned plain, to be retried.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	if m.MessageID == "" {
		m.MessageID = mime.NewMessageID(m.From.Address)
	}
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	raw, err := mime.Build(m)
	if err != nil {
		if errors.Is(err, mime.ErrInvalid) {
			return "", fmt.Errorf("smtp: %w: %w", mail.ErrPermanent, err)
		}
		return "", fmt.Errorf("smtp: %w", err)
	}
	if err := s.deliver(ctx, m.From.Address, m.To.Address, raw); err != nil {
		return "", err
	}
	return m.MessageID, nil
}

// deliver runs one SMTP conversation.
func (s *Sender) deliver(ctx context.Context, from, to string, raw []byte) error {
	host, _, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: address %q: %w", s.cfg.Addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: dial %s: %w", s.cfg.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Cancelling ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return classify(ctx, "greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return classify(ctx, "EHLO", err)
	}
	if s.cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp: %s does not offer STARTTLS, which the configuration requires", s.cfg.Addr)
		}
		if err := c.StartTLS(s.tlsConfig(host)); err != nil {
			return classify(ctx, "STARTTLS", err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("smtp: %s does not offer AUTH, but a username is configured", s.cfg.Addr)
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			return classify(ctx, "AUTH", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return classify(ctx, "MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify(ctx, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify(ctx, "DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return classify(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify(ctx, "end of DATA", err)
	}
	// The relay has accepted the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

func (s *Sender) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		cfg = s.cfg.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

// classify wraps a failed step: a 5xx reply is permanent, anything else
// (4xx, a dropped connection, a timeout) may succeed later.
func classify(ctx context.Context, stage string, err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 && reply.Code <= 599 {
		return fmt.Errorf("smtp %s: %w: %w", stage, mail.ErrPermanent, err)
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("smtp %s: %w (%w)", stage, cerr, err)
	}
	return fmt.Errorf("smtp %s: %w", stage, err)
}
