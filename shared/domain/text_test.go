package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"María Pérez", "María Pérez"},
		{"Μαρία Παπαδοπούλου", "Μαρία Παπαδοπούλου"},
		{"محمد", "محمد"},
		{"line one\nline\ttwo", "line one\nline\ttwo"},
		// Trojan Source: "evil\u202Egpj.exe" displays as "evilexe.jpg".
		{"evil\u202Egpj.exe", "evilgpj.exe"},
		{"\u202A\u202B\u202C\u202D\u202Ename", "name"},
		{"\u2066a\u2067b\u2068c\u2069", "abc"},
		{"\u200Eleft\u200Fright\u061C", "leftright"},
		{"bell\a nul\x00 esc\x1b del\x7f cr\r", "bell nul esc del cr"},
		{"c1\u0085\u009b[31m", "c1[31m"},
		// Kept: joiners needed by Indic and emoji, and non-breaking space.
		{"क्‍ष 👩\u200D💻 a\u00A0b", "क्‍ष 👩\u200D💻 a\u00A0b"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Invalid UTF-8 is not this function's business: it is kept as is.
	if got := CleanText("a\xffb\u202E"); got != "a\xffb" {
		t.Errorf("CleanText(invalid) = %q", got)
	}
}

func TestEventClean(t *testing.T) {
	e := validEvent()
	e.Customer.Name = "\u202Emaria\u202C "
	e.Title = "Sunset\u2067 sailing\x00"
	e.Location = "Harbour\u200F"
	e.Agent = "\u2066Eleni\u2069"
	e.Ref = "BK-1\u202E"
	e.ID = "msg_1\x1b"
	e.Customer.Email = "maria@example.com\u200E"
	e.Customer.Locale = "es-ES\u200F"
	e.Customer.TimeZone = "\u202AEurope/Madrid"
	got := e.Clean()
	want := validEvent()
	want.Customer.Name, want.Title, want.Location, want.Agent = "maria", "Sunset sailing", "Harbour", "Eleni"
	if got != want {
		t.Fatalf("Clean() = %+v\nwant %+v", got, want)
	}
	if v := validEvent(); v.Clean() != v {
		t.Fatal("Clean changed a clean event")
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("booking.done"); got != `"booking.done"` {
		t.Errorf("Quote(short) = %s", got)
	}
	forty := strings.Repeat("é", 40)
	if got := Quote(forty); got != `"`+forty+`"` {
		t.Errorf("Quote(40 runes) = %s", got)
	}
	got := Quote(strings.Repeat("é", 2000))
	if got != `"`+forty+`"…` {
		t.Errorf("Quote(2000 runes) = %s", got)
	}
	if got := Quote("a\u202Eb\n"); got != `"a\u202eb\n"` {
		t.Errorf("Quote escapes controls: %s", got)
	}
	if got := Quote(strings.Repeat("\xff", 100)); !utf8.ValidString(got) || len(got) > 200 {
		t.Errorf("Quote(invalid) = %s", got)
	}
}
