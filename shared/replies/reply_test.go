package replies

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// The fixtures in testdata were written by hand in the shapes each client
// produces; their reply addresses are signed with testKey for the
// incidents and steps below (see TestFixtureAddresses).
var (
	testKey = []byte("aftercare-test-reply-key-0123456789abcdef")
	oldKey  = []byte("aftercare-old--reply-key-0123456789abcdef")
)

func testAddresses(t testing.TB) *Addresses {
	t.Helper()
	a, err := NewAddresses("care@seabreeze.example", testKey)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

type fixture struct {
	file      string
	from      string
	subject   string
	inReplyTo string
	text      string // exact expected Reply.Text
	lang      string
	incident  string // expected from Match; "" when matchErr is set
	step      string
	matchErr  error
	automatic bool
	untrusted bool // Untrusted() reports it bad
	survey    domain.SurveyKind
	score     int // expected Score(Text, survey); 0 = does not score
}

var fixtures = []fixture{
	{
		file: "gmail_en.eml", from: "john.smith@example.com", subject: "Re: How was your Sunset sailing?",
		inReplyTo: "<thanks-1.inc_eqyhacdiutslyyq6@seabreeze.example>",
		text: "Hi Eleni,\n\nThe sunset sailing was wonderful - the kids loved the dolphins.\n" +
			"One thing: the pickup was 20 minutes late.\n\nThanks again,\nJohn",
		lang: "en", incident: "inc_eqyhacdiutslyyq6", step: "thanks-1", survey: domain.SurveyCSAT,
	},
	{
		file: "gmail_el.eml", from: "maria.p@example.gr", subject: "Re: Σας ευχαριστούμε, Μαρία! Πώς σας φάνηκε;",
		inReplyTo: "<thanks-1.inc_24kyiouxjvjha23j@seabreeze.example>",
		text: "Καλημέρα σας,\n\nΗ εκδρομή ήταν υπέροχη, ο Νίκος ήταν εξαιρετικός ξεναγός.\n" +
			"Θα ξαναέρθουμε σίγουρα το καλοκαίρι!\n\nΜαρία",
		lang: "el", incident: "inc_24kyiouxjvjha23j", step: "thanks-1",
	},
	{
		file: "outlook_es.eml", from: "jose.nunez@example.es", subject: "RE: ¿Qué tal le atendimos?",
		inReplyTo: "<csat-1.inc_yr3gos4inpxi2r5s@seabreeze.example>",
		text: "Hola:\n\nEl problema con la factura sigue sin resolverse. Me han cobrado dos veces la reserva.\n" +
			"¿Pueden revisarlo, por favor?\n\nUn saludo,\nJosé",
		lang: "es", incident: "inc_yr3gos4inpxi2r5s", step: "csat-1", survey: domain.SurveyCSAT,
	},
	{
		file: "outlook_desktop_en.eml", from: "peter.jones@example.co.uk", subject: "RE: Did we solve your problem?",
		inReplyTo: "<csat-2.inc_jdbdglibxskacbnt@seabreeze.example>",
		text: "Hello,\n\nYes, the replacement arrived on Tuesday and works fine.\n" +
			"Thank you for sorting it out so quickly.\n\nKind regards,\nPeter Jones",
		lang: "en", incident: "inc_jdbdglibxskacbnt", step: "csat-2",
	},
	{
		file: "outlook_el_plain.eml", from: "g.antoniou@example.gr", subject: "ΑΠ: Θα μας προτείνατε σε έναν φίλο;",
		inReplyTo: "<nps-1.inc_7kjk3vbz3q24u7k5@seabreeze.example>",
		text:      "Καλησπέρα,\n\nΣας προτείνω ήδη σε φίλους. Μόνο το Wi-Fi στο λιμάνι δεν δούλευε.\n\nΓιώργος",
		lang:      "el", incident: "inc_7kjk3vbz3q24u7k5", step: "nps-1", survey: domain.SurveyNPS,
	},
	{
		file: "apple_el.eml", from: "katerina.l@example.gr", subject: "Re: Σας ευχαριστούμε! Πώς σας φάνηκε;",
		inReplyTo: "<thanks-1.inc_ybiiv6nskeijpctu@seabreeze.example>",
		text:      "Όλα ήταν υπέροχα! Το φαγητό στο σκάφος ήταν το καλύτερο της εβδομάδας.\nΕυχαριστούμε πολύ την Ελένη.",
		lang:      "el", incident: "inc_ybiiv6nskeijpctu", step: "thanks-1",
	},
	{
		file: "apple_es_score.eml", from: "lucia.f@example.es", subject: "Re: ¿Qué tal le atendimos?",
		inReplyTo: "<csat-1.inc_7hyeordb6tmxco4d@seabreeze.example>",
		text:      "5",
		lang:      "es", incident: "inc_7hyeordb6tmxco4d", step: "csat-1", survey: domain.SurveyCSAT, score: 5,
	},
	{
		file: "apple_mac_en.eml", from: "anna.berg@example.se", subject: "Re: How was your Sunset sailing?",
		inReplyTo: "<thanks-1.inc_eqyhacdiutslyyq6@seabreeze.example>",
		text:      "Lovely trip, thank you.\nCould you send us the photos Nikos took?\n\nAnna",
		lang:      "en", incident: "inc_eqyhacdiutslyyq6", step: "thanks-1",
	},
	{
		file: "yahoo_es.eml", from: "carmen.ruiz@yahoo.example", subject: "Re: ¡Gracias, Carmen! ¿Qué tal fue?",
		inReplyTo: "<thanks-1.inc_uqzrddhb5r5ff5uu@seabreeze.example>",
		text: "Buenas tardes:\n\nLa excursión estuvo muy bien organizada y el guía fue muy amable.\n" +
			"Lo único: el autobús no tenía aire acondicionado.\n\nCarmen",
		lang: "es", incident: "inc_uqzrddhb5r5ff5uu", step: "thanks-1",
	},
	{
		file: "plain_en.eml", from: "sam@example.org", subject: "Re: Was the bag delivered?",
		inReplyTo: "<csat-1.inc_7hyeordb6tmxco4d@seabreeze.example>",
		text:      "Yes, this morning, thank you.\n\nNo, all good.",
		lang:      "en", incident: "inc_7hyeordb6tmxco4d", step: "csat-1", survey: domain.SurveyCSAT,
	},
	{
		file: "bcc_es.eml", from: "jose.nunez@example.es", subject: "RE: ¿Qué tal le atendimos?",
		text: "Ya está todo correcto, muchas gracias.",
		lang: "es", incident: "inc_yr3gos4inpxi2r5s", step: "csat-1",
	},
	{
		file: "forged_en.eml", from: "mallory@example.net", subject: "Re: How was your Sunset sailing?",
		text: "1", matchErr: ErrForged, survey: domain.SurveyCSAT, score: 1,
	},
	{
		file: "notours_en.eml", from: "new@example.com", subject: "Do you have boats on Saturday?",
		text: "Hello, do you have a boat free on Saturday for 6 people?", lang: "en", matchErr: ErrNotOurs,
	},
	{
		file: "autoreply_en.eml", from: "dana@example.com", subject: "Automatic reply: Would you recommend us to a friend?",
		inReplyTo: "<nps-1.inc_7kjk3vbz3q24u7k5@seabreeze.example>",
		text:      "I am out of the office until 30 November with no access to email.",
		lang:      "en", incident: "inc_7kjk3vbz3q24u7k5", step: "nps-1", automatic: true,
	},
	{
		// A valid reply address, the customer's From, and SES's verdict
		// that the From domain did not authenticate it.
		file: "ses_dmarc_fail_en.eml", from: "john.smith@example.com", subject: "Re: How was your Sunset sailing?",
		text: "1", incident: "inc_eqyhacdiutslyyq6", step: "thanks-1", untrusted: true,
		survey: domain.SurveyCSAT, score: 1,
	},
	{
		// Authenticated, but not the customer: From stays Mallory whatever
		// Sender and Reply-To say; the caller compares it with SameAddress.
		file: "ses_other_sender_en.eml", from: "mallory@evil.example", subject: "Re: How was your Sunset sailing?",
		text: "The tour was a scam, everyone should ask for a refund.", lang: "en",
		incident: "inc_eqyhacdiutslyyq6", step: "thanks-1",
	},
	{
		file: "dsn_en.eml", from: "MAILER-DAEMON@mx.example.com", subject: "Undelivered Mail Returned to Sender",
		text: "This is the mail system at host mx.example.com.\n\n" +
			"I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.",
		lang: "en", incident: "inc_eqyhacdiutslyyq6", step: "thanks-1", automatic: true,
	},
	{
		// Only the subject tells: no auto-reply header at all.
		file: "oof_de.eml", from: "jonas.weber@example.de", subject: "Abwesenheitsnotiz: How was your Sunset sailing?",
		inReplyTo: "<thanks-1.inc_eqyhacdiutslyyq6@seabreeze.example>",
		text:      "Ich bin bis zum 30. November nicht im Büro und habe keinen Zugriff auf meine E-Mails.",
		incident:  "inc_eqyhacdiutslyyq6", step: "thanks-1", automatic: true,
	},
	{
		file: "oof_el.eml", from: "maria.p@example.gr", subject: "ΑΠ: ΑΥΤΟΜΑΤΗ ΑΠΑΝΤΗΣΗ: Σας ευχαριστούμε, Μαρία! Πώς σας φάνηκε;",
		inReplyTo: "<thanks-1.inc_24kyiouxjvjha23j@seabreeze.example>",
		text:      "Θα λείπω από το γραφείο μέχρι τις 30 Νοεμβρίου.",
		lang:      "el", incident: "inc_24kyiouxjvjha23j", step: "thanks-1", automatic: true,
	},
	{
		// A rating that came through a mailing list: it scores, but it is
		// list mail, not the customer writing to us.
		file: "list_en.eml", from: "sam@example.org", subject: "[family-trips] Re: Was the bag delivered?",
		text: "5", incident: "inc_7hyeordb6tmxco4d", step: "csat-1", automatic: true,
		survey: domain.SurveyCSAT, score: 5,
	},
}

func TestParseFixtures(t *testing.T) {
	addrs := testAddresses(t)
	for _, f := range fixtures {
		t.Run(strings.TrimSuffix(f.file, ".eml"), func(t *testing.T) {
			raw := readFixture(t, f.file)
			r, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != f.text {
				t.Errorf("Text =\n%q\nwant\n%q", r.Text, f.text)
			}
			if r.From.Address != f.from {
				t.Errorf("From = %q, want %q", r.From.Address, f.from)
			}
			if r.Subject != f.subject {
				t.Errorf("Subject = %q, want %q", r.Subject, f.subject)
			}
			if r.InReplyTo != f.inReplyTo {
				t.Errorf("InReplyTo = %q, want %q", r.InReplyTo, f.inReplyTo)
			}
			if r.Lang != f.lang {
				t.Errorf("Lang = %q, want %q", r.Lang, f.lang)
			}
			if r.Automatic != f.automatic {
				t.Errorf("Automatic = %v (%q), want %v", r.Automatic, r.AutomaticReason, f.automatic)
			}
			if reason, bad := r.Untrusted(); bad != f.untrusted {
				t.Errorf("Untrusted() = %q, %v; want %v", reason, bad, f.untrusted)
			}
			if r.Date.IsZero() || r.MessageID == "" {
				t.Errorf("Date = %v, MessageID = %q: want both", r.Date, r.MessageID)
			}
			if !bytes.Equal(r.Raw, raw) || r.Truncated {
				t.Errorf("Raw kept = %v, Truncated = %v", bytes.Equal(r.Raw, raw), r.Truncated)
			}
			// Full is the whole text, so it holds the customer's words and
			// (for every reply here) more: the quote or the signature.
			if r.Text != "" && !strings.Contains(r.Full, strings.SplitN(r.Text, "\n", 2)[0]) {
				t.Errorf("Full does not contain the start of Text:\n%s", r.Full)
			}

			inc, step, err := addrs.Match(Candidates(r)...)
			if f.matchErr != nil {
				if !errors.Is(err, f.matchErr) {
					t.Errorf("Match error = %v, want %v", err, f.matchErr)
				}
			} else if err != nil || inc != f.incident || step != f.step {
				t.Errorf("Match = %q, %q, %v; want %q, %q", inc, step, err, f.incident, f.step)
			}

			if f.survey != domain.SurveyNone {
				got, ok := Score(r.Text, f.survey)
				if ok != (f.score != 0) || got != f.score {
					t.Errorf("Score = %d, %v; want %d", got, ok, f.score)
				}
			}
		})
	}
}

// TestHTMLPartsAgree strips the HTML part of every fixture that has one
// and expects the same words as from the text part, so each client's HTML
// structure is tested on its own, not only as a fallback.
func TestHTMLPartsAgree(t *testing.T) {
	for _, f := range fixtures {
		r, err := Parse(readFixture(t, f.file))
		if err != nil {
			t.Fatal(err)
		}
		if r.HTML == "" {
			continue
		}
		t.Run(strings.TrimSuffix(f.file, ".eml"), func(t *testing.T) {
			got, _ := stripText(htmlToText(r.HTML, true), "")
			if got != f.text {
				t.Errorf("from HTML:\n%q\nwant\n%q", got, f.text)
			}
		})
	}
}

// TestFixtureAddresses documents where the fixtures' addresses come from.
func TestFixtureAddresses(t *testing.T) {
	a := testAddresses(t)
	for ref, want := range map[string]string{
		"BK-1042": "care+thanks-1-eqyhacdiutslyyq664hp5ugunussk@seabreeze.example",
		"T-7":     "care+csat-1-7hyeordb6tmxco4drwweigyyxzgwi@seabreeze.example",
	} {
		step := "thanks-1"
		if strings.HasPrefix(ref, "T-") {
			step = "csat-1"
		}
		if got := a.For(domain.IncidentID("aftercare", ref), step); got != want {
			t.Errorf("For(%s) = %q, want %q", ref, got, want)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	r, err := Parse(readFixture(t, "gmail_en.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 21, 9, 12, 44, 0, time.UTC); !r.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", r.Date, want)
	}
	if want := []string{"<thanks-1.inc_eqyhacdiutslyyq6@seabreeze.example>"}; len(r.References) != 1 || r.References[0] != want[0] {
		t.Errorf("References = %q, want %q", r.References, want)
	}
	if r.From.Name != "John Smith" {
		t.Errorf("From.Name = %q", r.From.Name)
	}
	if want := "care+thanks-1-eqyhacdiutslyyq664hp5ugunussk@seabreeze.example"; len(r.Recipients) != 1 || r.Recipients[0] != want {
		t.Errorf("Recipients = %q, want [%q]", r.Recipients, want)
	}

	r, err = Parse(readFixture(t, "bcc_es.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if r.From.Name != "José Núñez" { // RFC 2047 in ISO-8859-1
		t.Errorf("From.Name = %q", r.From.Name)
	}
	// Delivered-To and X-Original-To name the same mailbox: listed once.
	if len(r.Recipients) != 1 {
		t.Errorf("Recipients = %q, want one", r.Recipients)
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, MaxMessage+1)
	if _, err := Parse(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(%d bytes) error = %v, want ErrTooLarge", len(big), err)
	}
	if _, err := Read(bytes.NewReader(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(%d bytes) error = %v, want ErrTooLarge", len(big), err)
	}

	long := strings.Repeat("Ωραία εκδρομή, ευχαριστούμε. ", 2000) // ≈ 110 KB of two-byte runes
	msg := "From: a@example.com\r\nTo: care@seabreeze.example\r\nSubject: x\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + long
	r, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Text) > MaxText || !r.Truncated || !strings.HasPrefix(long, r.Text) {
		t.Errorf("Text is %d bytes (max %d), Truncated = %v, prefix of input = %v",
			len(r.Text), MaxText, r.Truncated, strings.HasPrefix(long, r.Text))
	}
}

func TestParseMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":            "",
		"headers only":     "From: a@example.com\r\n",
		"broken multipart": "Content-Type: multipart/alternative\r\n\r\nno boundary",
		"garbage":          "\x00\xff\xfe binary \x01",
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Parse([]byte(raw))
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("error = %v, want ErrMalformed", err)
				}
				return
			}
			if len(r.Text) > MaxText {
				t.Errorf("Text is %d bytes", len(r.Text))
			}
		})
	}
}

func TestAutomatic(t *testing.T) {
	base := "From: a@example.com\r\nTo: care@seabreeze.example\r\nSubject: x\r\n"
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"Auto-Submitted: no\r\n", false},
		{"Auto-Submitted: auto-replied\r\n", true},
		{"Auto-Submitted: auto-generated\r\n", true},
		{"X-Autoreply: yes\r\n", true},
		{"Precedence: bulk\r\n", true},
		{"Precedence: auto_reply\r\n", true},
		{"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n", true},
	} {
		body := "\r\nhello\r\n"
		if strings.Contains(tc.header, "multipart") {
			body = "\r\n--b\r\nContent-Type: text/plain\r\n\r\nundeliverable\r\n--b--\r\n"
		}
		r, err := Parse([]byte(base + tc.header + body))
		if err != nil {
			t.Fatal(err)
		}
		if r.Automatic != tc.want {
			t.Errorf("%q: Automatic = %v, want %v", tc.header, r.Automatic, tc.want)
		}
	}
}
