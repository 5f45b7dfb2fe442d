package hookutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aftercare/aftercare/shared/providers"
)

// checkText finds the first string in body, a JSON document that t (the
// type it was decoded into) reads, that is not Unicode text, and names it
// by its path. It walks the tokens, following t so that fields the target
// ignores are ignored here too; below a value that t does not describe
// field by field (any, json.RawMessage, a map, a type with its own
// UnmarshalJSON) every string counts. It runs after a successful
// json.Unmarshal, so body is known to be one well-formed value.
func checkText(body []byte, t reflect.Type) error {
	if utf8.Valid(body) && !hasSurrogateEscape(body) {
		return nil // the common case: nothing to look for
	}
	w := walker{body: body, dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	return w.value(t, "", modeTyped)
}

// mode says which strings below a value matter.
type mode int

const (
	modeTyped mode = iota // follow the Go type
	modeAll               // every string, keys too
	modeSkip              // none: the target ignores this value
)

type walker struct {
	body []byte
	dec  *json.Decoder
	// end is the input offset after the previous token, where the search
	// for the next string's opening quote starts.
	end int64
}

// token reads the next token and, for a string, the bytes of it as written
// (quotes included), which the decoded string no longer shows.
func (w *walker) token() (json.Token, []byte, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", providers.ErrMalformed, err)
	}
	start, end := w.end, w.dec.InputOffset()
	w.end = end
	var raw []byte
	if _, ok := tok.(string); ok {
		// Between the previous token and this one lie only whitespace,
		// a colon and a comma: the first quote opens the string.
		seg := w.body[start:end]
		raw = seg[bytes.IndexByte(seg, '"'):]
	}
	return tok, raw, nil
}

// value reads one value of Go type t (nil when unknown) at path.
func (w *walker) value(t reflect.Type, path string, m mode) error {
	tok, raw, err := w.token()
	if err != nil {
		return err
	}
	if m == modeTyped {
		t, m = resolve(t)
	}
	switch tok := tok.(type) {
	case string:
		if m != modeSkip {
			if reason := badText(raw); reason != "" {
				return Invalid(path, reason)
			}
		}
		return nil
	case json.Delim:
		switch tok {
		case '{':
			return w.object(t, path, m)
		case '[':
			var elem reflect.Type
			if m == modeTyped && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			} else if m == modeTyped {
				m = modeSkip // a type error would have stopped Unmarshal
			}
			for i := 0; w.dec.More(); i++ {
				if err := w.value(elem, path+"["+strconv.Itoa(i)+"]", m); err != nil {
					return err
				}
			}
			_, _, err := w.token() // ]
			return err
		}
	}
	return nil // number, bool, null
}

// object reads an object's members after its '{'.
func (w *walker) object(t reflect.Type, path string, m mode) error {
	var fields map[string]field
	isMap := m == modeTyped && t.Kind() == reflect.Map
	if m == modeTyped && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	} else if m == modeTyped && !isMap {
		m = modeSkip
	}
	for w.dec.More() {
		tok, raw, err := w.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		childT, childM, name := reflect.Type(nil), m, shorten(key)
		switch {
		case m == modeAll || isMap:
			if reason := badText(raw); reason != "" {
				if path == "" {
					return fmt.Errorf("%w: an object key at the top level %s", providers.ErrMalformed, reason)
				}
				return Invalid(path, "has a key that "+reason)
			}
			if isMap {
				childT = t.Elem()
			}
		case m == modeTyped:
			f, ok := lookup(fields, key)
			if !ok {
				childM = modeSkip
				break
			}
			childT, name = f.typ, f.name
		}
		if err := w.value(childT, join(path, name), childM); err != nil {
			return err
		}
	}
	_, _, err := w.token() // }
	return err
}

// resolve says how to follow a value of type t: field by field (structs,
// slices, maps of those), or all of it (a type that decodes itself, an
// interface, a raw message).
func resolve(t reflect.Type) (reflect.Type, mode) {
	if t == nil {
		return nil, modeAll
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshaler) {
			return t, modeAll
		}
		t = t.Elem()
	}
	if t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) || t.Kind() == reflect.Interface {
		return t, modeAll
	}
	return t, modeTyped
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// field is a struct field as encoding/json sees it.
type field struct {
	name string // the JSON name, as the sender writes it
	typ  reflect.Type
}

// jsonFields lists t's JSON fields by name, with the fields of embedded
// structs promoted as encoding/json promotes them (the shallower wins).
func jsonFields(t reflect.Type) map[string]field {
	out := map[string]field{}
	var add func(t reflect.Type, depth int, depths map[string]int)
	add = func(t reflect.Type, depth int, depths map[string]int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft, depth+1, depths)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if d, seen := depths[name]; !seen || depth < d {
				depths[name] = depth
				out[name] = field{name: name, typ: sf.Type}
			}
		}
	}
	add(t, 0, map[string]int{})
	return out
}

// lookup finds the field encoding/json would fill from key: the exact
// name, or else one equal under Unicode case folding.
func lookup(fields map[string]field, key string) (field, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	for name, f := range fields {
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return field{}, false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// maxKey bounds a key as shown in a path: paths go back to the sender.
const maxKey = 40

func shorten(key string) string {
	if utf8.RuneCountInString(key) <= maxKey {
		return key
	}
	return string([]rune(key)[:maxKey]) + "…"
}

// hasSurrogateEscape reports whether body may hold a \uD800–\uDFFF escape.
func hasSurrogateEscape(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += j + 2
		if i < len(body) && (body[i] == 'd' || body[i] == 'D') {
			return true
		}
	}
}

// badText says why raw, a JSON string as written (quotes included), is not
// Unicode text, or returns "".
func badText(raw []byte) string {
	if !utf8.Valid(raw) {
		return "is not valid UTF-8"
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue // a two-character escape
		}
		r := hex4(raw[i+1:])
		i += 4
		switch {
		case utf16.IsSurrogate(r) && r >= 0xDC00:
			return fmt.Sprintf(`has a UTF-16 low surrogate \u%04x without the high one before it; it is not valid UTF-8 text`, r)
		case utf16.IsSurrogate(r):
			next := rune(-1)
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				next = hex4(raw[i+3:])
			}
			if next < 0xDC00 || next > 0xDFFF {
				return fmt.Sprintf(`has a UTF-16 high surrogate \u%04x without the low one after it; it is not valid UTF-8 text`, r)
			}
			i += 6
		}
	}
	return ""
}

// hex4 reads the four hex digits of a \u escape (json.Unmarshal has
// already checked them).
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(v)
}
