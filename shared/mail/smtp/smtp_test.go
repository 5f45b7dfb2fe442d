package smtp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
)

// received is one message as the server saw it.
type received struct {
	From string
	To   []string
	User string
	TLS  bool
	Data []byte
}

// backend is an in-memory SMTP server backend. Its reject fields make a
// stage answer with an error, as a real relay would.
type backend struct {
	mu         sync.Mutex
	got        []received
	needAuth   bool
	user, pass string
	rejectMail error
	rejectRcpt error
	rejectData error
}

func (b *backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{b: b, msg: received{TLS: isTLS}}, nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.got...)
}

type session struct {
	b   *backend
	msg received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.msg.User = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.b.needAuth && s.msg.User == "" {
		return gosmtp.ErrAuthRequired
	}
	if s.b.rejectMail != nil {
		return s.b.rejectMail
	}
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if s.b.rejectRcpt != nil {
		return s.b.rejectRcpt
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.rejectData != nil {
		return s.b.rejectData
	}
	s.msg.Data = data
	s.b.mu.Lock()
	s.b.got = append(s.b.got, s.msg)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.msg = received{User: s.msg.User, TLS: s.msg.TLS} }
func (s *session) Logout() error { return nil }

// serve starts a real SMTP server on a loopback port for the test.
func serve(t *testing.T, b *backend, configure ...func(*gosmtp.Server)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are expected here
	for _, f := range configure {
		f(srv)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

func message() mail.Message {
	return mail.Message{
		From:      netmail.Address{Name: "Sea Breeze Tours", Address: "care@seabreeze.example"},
		To:        netmail.Address{Name: "José Núñez", Address: "jose@example.es"},
		ReplyTo:   "desk@seabreeze.example",
		Subject:   "¡Gracias, José! ¿Qué tal fue?",
		Text:      "Hola, José:\n1 – Muy mal: https://care.example/r/1\n",
		HTML:      "<p>Hola, José:</p>",
		MessageID: "<thanks-1.inc_abc@seabreeze.example>",
		Date:      time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		Tags:      map[string]string{"incident": "inc_abc", "step": "thanks-1"},
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://care.example/u/tok>, <mailto:care+unsubscribe-abc@seabreeze.example?subject=unsubscribe>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	}
}

func TestSend(t *testing.T) {
	b := &backend{}
	addr := serve(t, b)
	id, err := New(Config{Addr: addr, Timeout: 5 * time.Second}).Send(context.Background(), message())
	if err != nil {
		t.Fatal(err)
	}
	if id != "<thanks-1.inc_abc@seabreeze.example>" {
		t.Errorf("id = %q, want the Message-ID", id)
	}
	got := b.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "care@seabreeze.example" || len(r.To) != 1 || r.To[0] != "jose@example.es" {
		t.Errorf("envelope MAIL FROM %q RCPT TO %q, want care@seabreeze.example → jose@example.es", r.From, r.To)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	for header, want := range map[string]string{
		"Subject":              "¡Gracias, José! ¿Qué tal fue?",
		"To":                   "José Núñez <jose@example.es>",
		"Message-Id":           "<thanks-1.inc_abc@seabreeze.example>",
		"Reply-To":             "<desk@seabreeze.example>",
		"X-Aftercare-Incident": "inc_abc",
		"X-Aftercare-Step":     "thanks-1",
		// RFC 8058, as the receiving mailbox reads it.
		"List-Unsubscribe":      "<https://care.example/u/tok>, <mailto:care+unsubscribe-abc@seabreeze.example?subject=unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	} {
		if got := env.GetHeader(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if !strings.Contains(env.Text, "1 – Muy mal: https://care.example/r/1") {
		t.Errorf("text part = %q", env.Text)
	}
	if env.HTML != "<p>Hola, José:</p>" {
		t.Errorf("HTML part = %q", env.HTML)
	}
}

func TestGeneratedMessageID(t *testing.T) {
	b := &backend{}
	m := message()
	m.MessageID = ""
	id, err := New(Config{Addr: serve(t, b)}).Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(b.messages()[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if id == "" || env.GetHeader("Message-Id") != id {
		t.Errorf("returned id %q, message has %q", id, env.GetHeader("Message-Id"))
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name      string
		user      string
		pass      string
		wantErr   bool
		permanent bool
	}{
		{"right credentials", "mailer", "s3cret", false, false},
		{"wrong password", "mailer", "nope", true, true},
		{"no credentials", "", "", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &backend{needAuth: true, user: "mailer", pass: "s3cret"}
			addr := serve(t, b)
			_, err := New(Config{Addr: addr, Username: tc.user, Password: tc.pass}).Send(context.Background(), message())
			if (err != nil) != tc.wantErr {
				t.Fatalf("Send error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if got := errors.Is(err, mail.ErrPermanent); got != tc.permanent {
					t.Errorf("errors.Is(%v, ErrPermanent) = %v, want %v", err, got, tc.permanent)
				}
				return
			}
			if got := b.messages(); len(got) != 1 || got[0].User != "mailer" {
				t.Errorf("server saw %+v, want one message from user mailer", got)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	smtpErr := func(code int, msg string) error {
		return &gosmtp.SMTPError{Code: code, EnhancedCode: gosmtp.EnhancedCodeNotSet, Message: msg}
	}
	tests := []struct {
		name      string
		b         *backend
		permanent bool
	}{
		{"RCPT 550 unknown user", &backend{rejectRcpt: smtpErr(550, "no such user")}, true},
		{"RCPT 451 greylisted", &backend{rejectRcpt: smtpErr(451, "try again later")}, false},
		{"RCPT 452 mailbox full", &backend{rejectRcpt: smtpErr(452, "mailbox full")}, false},
		{"MAIL 553 sender rejected", &backend{rejectMail: smtpErr(553, "sender not allowed")}, true},
		{"MAIL 421 shutting down", &backend{rejectMail: smtpErr(421, "shutting down")}, false},
		{"DATA 554 spam", &backend{rejectData: smtpErr(554, "looks like spam")}, true},
		{"DATA 552 too large", &backend{rejectData: smtpErr(552, "message too large")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Addr: serve(t, tc.b)}).Send(context.Background(), message())
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, mail.ErrPermanent); got != tc.permanent {
				t.Errorf("errors.Is(%v, ErrPermanent) = %v, want %v", err, got, tc.permanent)
			}
			if len(tc.b.messages()) != 0 {
				t.Error("server stored a rejected message")
			}
		})
	}
}

func TestStartTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	withTLS := func(s *gosmtp.Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.AllowInsecureAuth = false // credentials only after STARTTLS
	}

	t.Run("upgrades and authenticates", func(t *testing.T) {
		b := &backend{needAuth: true, user: "mailer", pass: "s3cret"}
		addr := serve(t, b, withTLS)
		s := New(Config{Addr: addr, StartTLS: true, Username: "mailer", Password: "s3cret",
			TLSConfig: &tls.Config{RootCAs: pool}})
		if _, err := s.Send(context.Background(), message()); err != nil {
			t.Fatal(err)
		}
		if got := b.messages(); len(got) != 1 || !got[0].TLS || got[0].User != "mailer" {
			t.Errorf("server saw %+v, want one authenticated message over TLS", got)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		addr := serve(t, &backend{}, withTLS)
		_, err := New(Config{Addr: addr, StartTLS: true}).Send(context.Background(), message())
		if err == nil || errors.Is(err, mail.ErrPermanent) {
			t.Errorf("Send error = %v, want a (retryable) certificate error", err)
		}
	})
	t.Run("required but not offered", func(t *testing.T) {
		b := &backend{}
		addr := serve(t, b)
		_, err := New(Config{Addr: addr, StartTLS: true}).Send(context.Background(), message())
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("Send error = %v, want a STARTTLS error", err)
		}
		if len(b.messages()) != 0 {
			t.Error("message sent without the required TLS")
		}
	})
}

func TestNetworkFailures(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = New(Config{Addr: addr}).Send(context.Background(), message())
		if err == nil || errors.Is(err, mail.ErrPermanent) {
			t.Errorf("Send error = %v, want a retryable error", err)
		}
	})
	t.Run("silent server times out", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				defer c.Close()
				time.Sleep(5 * time.Second) // never greets
			}
		}()
		start := time.Now()
		_, err = New(Config{Addr: l.Addr().String(), Timeout: 200 * time.Millisecond}).Send(context.Background(), message())
		if err == nil || errors.Is(err, mail.ErrPermanent) {
			t.Errorf("Send error = %v, want a retryable error", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Send took %v despite a 200ms timeout", d)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := New(Config{Addr: serve(t, &backend{})}).Send(ctx, message())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send error = %v, want context.Canceled", err)
		}
	})
}

func TestInvalidMessageIsPermanent(t *testing.T) {
	b := &backend{}
	m := message()
	m.To.Address = "not an address"
	_, err := New(Config{Addr: serve(t, b)}).Send(context.Background(), m)
	if !errors.Is(err, mail.ErrPermanent) {
		t.Errorf("Send error = %v, want mail.ErrPermanent", err)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "aftercare test relay"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
