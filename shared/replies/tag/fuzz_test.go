package tag

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/mail"
)

// FuzzAddressParse: no panics, and whatever verifies is exactly what For
// makes for the incident and step it names (one spelling per address, up
// to case and display form).
func FuzzAddressParse(f *testing.F) {
	a := testAddresses(f)
	for _, s := range []string{
		a.For("inc_aaaaaaaaaaaaaaaa", "thanks-1"),
		a.For(domain.IncidentID("aftercare", "T-88"), "csat-12"),
		"Care <" + strings.ToUpper(a.For("inc_7777777777777777", "nps-1")) + ">",
		"care@seabreeze.example",
		"care+@seabreeze.example",
		"care+thanks-1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa@seabreeze.example",
		"\"care+x\"@seabreeze.example",
		"=?utf-8?q?x?= <care+a@seabreeze.example>",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		inc, step, err := a.Parse(s)
		if err != nil {
			return
		}
		want, err := a.Address(inc, step)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, %q, which For cannot make: %v", s, inc, step, err)
		}
		local, domainPart, ok := mail.SplitAddress(s)
		if !ok || !strings.EqualFold(local+"@"+domainPart, want) {
			t.Fatalf("Parse(%q) verified, but For makes %q", s, want)
		}
	})
}
