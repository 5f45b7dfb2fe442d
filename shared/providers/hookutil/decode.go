package hookutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/aftercare/aftercare/shared/providers"
)

// Decode unmarshals a webhook body into v, which must be a pointer to a
// struct. A failure says where the mistake is: a syntax error by line and
// column, a wrong type by the field's path as written in the sender's JSON
// ("payload.uid must be a JSON string, not number"); both wrap
// providers.ErrMalformed (400). A string that v reads but that is not
// Unicode text (an invalid UTF-8 byte, or a \uD800-style surrogate escape
// without its other half), which encoding/json would silently store as
// U+FFFD, is an invalid field instead: domain.ErrInvalidEvent with a
// *domain.FieldError naming its path ("payload.attendees[0].name"), also a
// 400. Unknown fields are ignored, whatever they hold: senders add fields.
func Decode(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return fmt.Errorf("%w: body is empty; expected a JSON object", providers.ErrMalformed)
	case trimmed[0] != '{':
		return fmt.Errorf("%w: body must be a JSON object", providers.ErrMalformed)
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return checkText(body, reflect.TypeOf(v))
	}
	return decodeError(body, err)
}

// decodeError explains a json.Unmarshal error. It is a function of its own
// so that the targets of errors.As, which escape, cost nothing when the
// body decodes.
func decodeError(body []byte, err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		line, col := position(body, syntaxErr.Offset)
		return fmt.Errorf("%w: invalid JSON at line %d, column %d: %v", providers.ErrMalformed, line, col, syntaxErr)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the top level"
		}
		want := "a JSON value of another type"
		if typeErr.Type != nil {
			want = "a JSON " + jsonKind(typeErr.Type.Kind().String())
		}
		return fmt.Errorf("%w: %s must be %s, not %s", providers.ErrMalformed, field, want, typeErr.Value)
	default:
		return fmt.Errorf("%w: %w", providers.ErrMalformed, err)
	}
}

// jsonKind names a Go kind in JSON terms for the sender.
func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "ptr", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "int", "int64", "float64", "uint", "uint64":
		return "number"
	case "bool":
		return "boolean"
	default:
		return goKind
	}
}

// position converts a json.SyntaxError offset (the bytes read up to and
// including the offending one) into the 1-based line and column of that
// byte, counted in bytes, which is what editors show.
func position(body []byte, offset int64) (line, col int) {
	offset = max(1, min(offset, int64(len(body))))
	before := body[:offset]
	line = bytes.Count(before[:len(before)-1], []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before[:len(before)-1], '\n') - 1
	return line, col
}

// textType is what a Text is reported as when it gets another JSON type.
var textType = reflect.TypeFor[string]()

// Text is a JSON string that also accepts a number (kept as written) or
// null (empty). Helpdesk bodies are written by admins with placeholders, and
// "id": {{ticket.id}} without quotes is as common as with them.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return nil
	case string(b) == "null":
		*t = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*t = Text(n.String())
		return nil
	}
	kind := "object"
	switch b[0] {
	case '[':
		kind = "array"
	case 't', 'f':
		kind = "bool"
	}
	return &json.UnmarshalTypeError{Value: kind, Type: textType}
}
