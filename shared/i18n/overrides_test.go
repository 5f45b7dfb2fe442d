package i18n

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOverridesApplyPerSet(t *testing.T) {
	ov, err := ParseOverrides([]byte(`{
		"de": {"thank_you.subject": "Danke für Ihren Aufenthalt!", "page.thanks.body": "%[2]d? Sie gaben %[1]d."},
		"en": {"thank_you.intro": "Thank you for staying with us."}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ov)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.For("de-AT").T("thank_you.subject"), "Danke für Ihren Aufenthalt!"; got != want {
		t.Errorf("override de: %q, want %q", got, want)
	}
	if got, want := s.For("de").T("page.thanks.body", 4, 5), "5? Sie gaben 4."; got != want {
		t.Errorf("reordered override: %q, want %q", got, want)
	}
	if got, want := s.For("en").T("thank_you.intro"), "Thank you for staying with us."; got != want {
		t.Errorf("override en: %q, want %q", got, want)
	}
	// Keys not overridden keep the catalog's words.
	if got, want := s.For("de").T("thank_you.ask"), For("de").T("thank_you.ask"); got != want {
		t.Errorf("untouched key: %q, want %q", got, want)
	}
	// The default set is not affected: overrides belong to their Set.
	if got := For("de").T("thank_you.subject"); got == "Danke für Ihren Aufenthalt!" {
		t.Error("an override leaked into the package-level catalogs")
	}
	if got := Default().For("en").T("thank_you.intro"); got != "Thank you for joining us." {
		t.Errorf("Default() en = %q", got)
	}
}

func TestOverridesRefused(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string // every fragment must appear in the error
	}{
		{"unknown language", `{"nl": {"thank_you.subject": "Bedankt!"}}`, []string{`"nl": not a supported language`}},
		{"unknown key", `{"de": {"thank_you.subjekt": "Danke!"}}`, []string{`de: "thank_you.subjekt": no such key`}},
		{"lost placeholder", `{"fr": {"email.signer": "L’équipe"}}`, []string{`fr: "email.signer": placeholders none`, "[1:s]"}},
		{"wrong verb", `{"it": {"page.thanks.body": "Ci ha dato %s su %d."}}`, []string{`it: "page.thanks.body": placeholders [1:s 2:d]`}},
		{"extra placeholder", `{"en": {"thank_you.subject": "Thanks %s!"}}`, []string{`en: "thank_you.subject": placeholders [1:s]`}},
		{"empty", `{"pt": {"thank_you.subject": "  "}}`, []string{`pt: "thank_you.subject": empty message`}},
		{"not an object", `{"de": "Danke"}`, []string{"copy overrides"}},
		{"several at once", `{"de": {"a.b": "x"}, "xx": {}}`, []string{`de: "a.b"`, `"xx"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseOverrides([]byte(tc.json))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// New validates too, so a Set built from a hand-made map is safe.
	if _, err := New(Overrides{"de": {"nope": "x"}}); err == nil {
		t.Error("New accepted an unknown key")
	}
}

func TestLoadOverrides(t *testing.T) {
	if ov, err := LoadOverrides(""); err != nil || ov != nil {
		t.Fatalf("empty path: %v, %v", ov, err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "copy.json")
	if err := os.WriteFile(good, []byte(`{"el": {"page.thanks.title": "Ευχαριστούμε πολύ!"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ov, err := LoadOverrides(good)
	if err != nil || ov["el"]["page.thanks.title"] != "Ευχαριστούμε πολύ!" {
		t.Fatalf("LoadOverrides = %v, %v", ov, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"el": {"no.key": "x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOverrides(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: error %v does not name the file", err)
	}
	if _, err := LoadOverrides(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
	if ov, err := ParseOverrides([]byte(" \n")); err != nil || ov != nil {
		t.Errorf("blank overrides: %v, %v", ov, err)
	}
}
