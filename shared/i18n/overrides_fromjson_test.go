package i18n

import (
	"strings"
	"testing"
)

// The operator's wording as the compositions read it at start: none is the
// catalogs as shipped, a good file is laid over them, and a key that does
// not exist is refused, named.
func TestFromJSON(t *testing.T) {
	if s, err := FromJSON("  "); err != nil || s != Default() {
		t.Fatalf("no copy: %v, %v", s, err)
	}
	s, err := FromJSON(`{"fr": {"thank_you.subject": "Merci pour votre séjour\u00a0!"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.For("fr-FR").T("thank_you.subject"); got != "Merci pour votre séjour\u00a0!" {
		t.Errorf("copy not applied: %q", got)
	}
	if got := Default().For("fr-FR").T("thank_you.subject"); strings.Contains(got, "séjour\u00a0!") && got == "Merci pour votre séjour\u00a0!" {
		t.Errorf("the overrides leaked into the shipped catalogs: %q", got)
	}
	if _, err := FromJSON(`{"fr": {"thank_you.sujet": "Merci"}}`); err == nil || !strings.Contains(err.Error(), `fr: "thank_you.sujet": no such key`) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := FromJSON(`{"fr": `); err == nil {
		t.Fatal("broken JSON accepted")
	}
}
