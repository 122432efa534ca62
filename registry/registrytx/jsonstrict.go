package registrytx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// object is a decoded JSON object that remembers its key order.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) get(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }

// parseStrictJSON decodes one JSON value into nil, bool, json.Number,
// string, []any or *object. Unlike encoding/json's defaults it rejects
// what lets two readers see different documents: invalid UTF-8 (silently
// replaced otherwise), duplicate object keys (last-wins in Go, varying
// elsewhere), trailing data, and nesting deeper than MaxJSONDepth.
func parseStrictJSON(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("not valid UTF-8")
	}
	if v, ok := parseFast(b); ok {
		return v, nil
	}
	return parseTokens(b)
}

// parseTokens is parseStrictJSON on valid UTF-8 through encoding/json's
// tokenizer: the reference that parseFast must agree with, and the
// source of every error message.
func parseTokens(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, depth int) (any, error) {
	if depth > MaxJSONDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", MaxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of JSON")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				if _, dup := o.vals[k]; dup {
					return nil, fmt.Errorf("duplicate object key %q", k)
				}
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k)
				o.vals[k] = v
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

// CompactJSON returns b without insignificant whitespace and without
// HTML escaping, the form device records store.
func CompactJSON(b []byte) []byte {
	c, _ := compactJSON(b)
	return c
}

// compactLen is the length of b's compacted form, or len(b) if b is not
// JSON (the parser then says what is wrong).
func compactLen(b []byte) int {
	_, n := compactJSON(b)
	return n
}

// compactJSON returns CompactJSON(b) and compactLen(b) from one pass.
func compactJSON(b []byte) ([]byte, int) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return append([]byte(nil), b...), len(b)
	}
	return buf.Bytes(), buf.Len()
}
