package render

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/i18n"
)

// fragments is every run of words, 12 characters or more, of one
// language's catalog messages, split at their placeholders. An English one
// that shows up in another language's email is a message that fell back
// to English, unless that language says the very same thing (a cognate).
func fragments(t *testing.T, code string) []string {
	t.Helper()
	names, err := filepath.Glob("../../i18n/catalog/" + code + "/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("%s catalogs: %v", code, err)
	}
	verb := regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z]`)
	var out []string
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(raw, &msgs); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, m := range msgs {
			for _, part := range verb.Split(m, -1) {
				if part = strings.TrimSpace(part); len(part) >= 12 {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

// TestNoEnglishFallback renders every template in every language but
// English and fails on any English sentence in the subject, HTML or text
// (a message copied across untranslated) and on any raw catalog key (a
// message missing from that language's catalog, which prints as its key):
// this is where a guest would see either.
func TestNoEnglishFallback(t *testing.T) {
	english := fragments(t, "en")
	r := testRenderer(testBrand)
	for _, code := range i18n.Codes()[1:] {
		own := map[string]bool{}
		for _, f := range fragments(t, code) {
			own[f] = true
		}
		var frags []string
		for _, f := range english {
			if !own[f] {
				frags = append(frags, f)
			}
		}
		for _, template := range Templates() {
			out, err := r.Render(context.Background(), Sample(template, code))
			if err != nil {
				t.Fatalf("%s/%s: %v", template, code, err)
			}
			if out.Lang != code {
				t.Errorf("%s/%s: rendered in %q", template, code, out.Lang)
			}
			noRawKeys(t, out)
			all := out.Subject + "\n" + out.HTML + "\n" + out.Text
			for _, f := range frags {
				if strings.Contains(all, f) {
					t.Errorf("%s/%s: English text %q", template, code, f)
				}
			}
		}
	}
}

// TestWithCopy shows an operator's override in the email it belongs to,
// and only in the Renderer it was given to.
func TestWithCopy(t *testing.T) {
	ov, err := i18n.ParseOverrides([]byte(`{"de": {"thank_you.subject.name": "Danke für Ihren Aufenthalt, %s!"}}`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := i18n.New(ov)
	if err != nil {
		t.Fatal(err)
	}
	custom := New(testBrand, WithCopy(set))
	req := Sample("thank_you", "de-DE")
	out, err := custom.Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Danke für Ihren Aufenthalt, María Papadopoulou!"; out.Subject != want {
		t.Errorf("subject = %q, want %q", out.Subject, want)
	}
	plain, err := New(testBrand).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Subject == out.Subject {
		t.Error("the override reached a Renderer it was not given to")
	}
	if got := New(testBrand, WithCopy(nil)); got.copy != i18n.Default() {
		t.Error("WithCopy(nil) did not keep the shipped catalogs")
	}
}
