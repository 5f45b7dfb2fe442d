package hookutil

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/providers"
)

type nested struct {
	Customer struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"customer"`
	Attendees []struct {
		Name string `json:"name"`
	} `json:"attendees"`
	Tags  []string        `json:"tags"`
	Extra map[string]any  `json:"extra"`
	Raw   json.RawMessage `json:"raw"`
	Any   any             `json:"any"`
	ID    Text            `json:"id"`
	embedded
}

type embedded struct {
	UID string `json:"uid"`
}

// TestDecodeRefusesTextThatIsNotUnicode: an invalid byte or a lone
// surrogate escape is an invalid field, named by its path as written,
// instead of a U+FFFD stored in its place.
func TestDecodeRefusesTextThatIsNotUnicode(t *testing.T) {
	tests := []struct{ body, field string }{
		{`{"customer":{"name":"Mar` + "\xff" + `a"}}`, "customer.name"},
		{`{"customer":{"email":"a@b.gr","name":"\ud800"}}`, "customer.name"},
		{`{"Customer":{"NAME":"\udfff"}}`, "customer.name"}, // json matches names without case
		{`{"attendees":[{"name":"ok"},{"name":"x` + "\xc3" + `"}]}`, "attendees[1].name"},
		{`{"tags":["a","b","\ud83d\u0041"]}`, "tags[2]"},
		{`{"extra":{"deep":{"list":[1,"` + "\xed\xa0\x80" + `"]}}}`, "extra.deep.list[1]"},
		{`{"raw":{"value":"\udc00"}}`, "raw.value"},
		{`{"any":["\ud800\"x"]}`, "any[0]"},
		{`{"id":"` + "\xff" + `"}`, "id"},
		{`{"uid":"\uD83D"}`, "uid"},
		{"{\n  \"customer\" : {\n    \"name\" :\t\"\\ud83d\"\n  }\n}", "customer.name"},
		{`{"customer":{"name":"ok","email":"` + "\x80" + `"}}`, "customer.email"},
	}
	for _, tt := range tests {
		var v nested
		err := Decode([]byte(tt.body), &v)
		var fe *domain.FieldError
		if !errors.Is(err, domain.ErrInvalidEvent) || !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Decode(%q) = %v; want invalid %s", tt.body, err, tt.field)
			continue
		}
		if errors.Is(err, providers.ErrMalformed) {
			t.Errorf("Decode(%q) = %v is in two error classes", tt.body, err)
		}
	}
}

// TestDecodeKeepsUnicode: valid text of any script, surrogate pairs
// escaped either case, and bad text in fields the target does not read
// (senders add fields, and may fill them carelessly) all decode.
func TestDecodeKeepsUnicode(t *testing.T) {
	body := `{"customer":{"name":"Μαρία \ud83d\ude00 \uD83D\uDE00 😀 \u00e9\ufffd"},"notes":"` + "\xff" + `","unknown":{"x":["\ud800"]}}`
	var v nested
	if err := Decode([]byte(body), &v); err != nil {
		t.Fatalf("Decode = %v", err)
	}
	if want := "Μαρία 😀 😀 😀 é\ufffd"; v.Customer.Name != want {
		t.Fatalf("name = %q, want %q", v.Customer.Name, want)
	}
}

// TestDecodeBadKeys: a key that is not text, where the target reads every
// key (a map), is named by its object; elsewhere it matches no field.
func TestDecodeBadKeys(t *testing.T) {
	var v nested
	err := Decode([]byte(`{"extra":{"`+"\xff"+`":1}}`), &v)
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != "extra" {
		t.Fatalf("Decode = %v; want extra named", err)
	}
	if err := Decode([]byte(`{"customer":{"`+"\xff"+`":1}}`), &v); err != nil {
		t.Fatalf("Decode(bad key the struct ignores) = %v", err)
	}
	var m map[string]any
	if err := Decode([]byte(`{"\ud800":1}`), &m); !errors.Is(err, providers.ErrMalformed) {
		t.Fatalf("Decode(bad top-level key) = %v; want ErrMalformed", err)
	}
}

// TestDecodePathsAreShort: a hostile key in a path is cut, so the 400 does
// not echo a 2,000-character key back.
func TestDecodePathsAreShort(t *testing.T) {
	var v nested
	err := Decode([]byte(`{"extra":{"`+strings.Repeat("k", 2000)+`":"\ud800"}}`), &v)
	var fe *domain.FieldError
	if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "extra.kkkk") {
		t.Fatalf("Decode = %v", err)
	}
	if len(err.Error()) >= 200 {
		t.Fatalf("error is %d bytes", len(err.Error()))
	}
}

func TestErrorsQuoteInputShort(t *testing.T) {
	_, err := ParseTime(strings.Repeat("9", 2000))
	if err == nil || len(err.Error()) >= 200 {
		t.Fatalf("ParseTime error is %d bytes", len(err.Error()))
	}
	if _, err := OptionalTime("x", strings.Repeat("9", 2000)); err == nil || len(err.Error()) >= 200 {
		t.Fatalf("OptionalTime error is %d bytes", len(err.Error()))
	}
}
