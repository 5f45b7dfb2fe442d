package replies

import (
	"strings"
	"testing"
)

func TestUndeclaredCharset(t *testing.T) {
	const head = "From: Ana <ana@example.com>\r\nTo: care@example.com\r\nSubject: Re: hola\r\n"
	tests := []struct {
		name, msg, want string
	}{
		{"no MIME headers at all, UTF-8 (the dev console's paste box)",
			head + "\r\nSí, ya las recogí.\r\n", "Sí, ya las recogí."},
		{"text/plain without charset, UTF-8",
			head + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSí, ya las recogí. Ñandú.\r\n", "Sí, ya las recogí. Ñandú."},
		{"declared US-ASCII but UTF-8 bytes",
			head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nΤέλεια, ευχαριστώ.\r\n", "Τέλεια, ευχαριστώ."},
		{"quoted-printable without charset, UTF-8",
			head + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nS=C3=AD, ya las recog=C3=AD.\r\n", "Sí, ya las recogí."},
		{"base64 without charset, UTF-8",
			head + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nU8OtLCB5YSBsYXMgcmVjb2fDrS4=\r\n", "Sí, ya las recogí."},
		{"multipart, the text part without charset",
			head + "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nMuy bien, gracias. ¿Mañana?\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Muy bien</p>\r\n--b--\r\n", "Muy bien, gracias. ¿Mañana?"},
		{"not UTF-8 and no charset: a legacy charset, not mojibake",
			head + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nS\xed, ya las recog\xed. Muchas gracias por todo, se\xf1or.\r\n", "Sí, ya las recogí. Muchas gracias por todo, señor."},
		{"HTML without a MIME charset names its own in a meta tag",
			head + "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><head><meta charset=\"iso-8859-7\"></head><body><p>\xd4\xdd\xeb\xe5\xe9\xe1.</p></body></html>\r\n", "Τέλεια."},
		{"the same inside a multipart message",
			head + "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-7\"></head><body><p>\xd4\xdd\xeb\xe5\xe9\xe1.</p></body></html>\r\n--b--\r\n", "Τέλεια."},
		{"a declared charset is still obeyed",
			head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nS\xed, ya las recog\xed.\r\n", "Sí, ya las recogí."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.msg))
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tc.want {
				t.Errorf("Text = %q, want %q", r.Text, tc.want)
			}
			if strings.ContainsAny(r.Text, "Ã\uFFFD") {
				t.Errorf("Text %q is mis-decoded", r.Text)
			}
		})
	}
}
