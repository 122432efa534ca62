package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// DecodeParams decodes JSON-RPC params into dst, returning a -32602 *Error
// that names the problem.
//
// Params may be by-name (an object, decoded with unknown fields rejected so
// typos are reported instead of silently ignored) or by-position (an array).
// When dst points to a struct and params is an array, element i is decoded
// into the struct's i-th exported field (fields tagged `json:"-"` are
// skipped); missing trailing elements leave fields zero, which gives
// Ethereum-style optional trailing parameters. Absent or null params leave
// dst untouched.
func DecodeParams(params json.RawMessage, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		// Programmer error, but reporting it as internal keeps the node up.
		return &Error{Code: CodeInternal, Message: "DecodeParams needs a non-nil pointer"}
	}
	params = bytes.TrimSpace(params)
	if len(params) == 0 || string(params) == "null" {
		return nil
	}
	switch params[0] {
	case '[':
		if rv.Elem().Kind() == reflect.Struct {
			return decodePositional(params, rv.Elem())
		}
	case '{':
	default:
		return InvalidParams("params must be an array or an object")
	}
	if err := exactNames(params, rv.Type()); err != nil {
		return InvalidParams("invalid params: %v", err)
	}
	if err := strictUnmarshal(params, dst); err != nil {
		return InvalidParams("invalid params: %s", cleanJSONError(err))
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// exactNames refuses object members that encoding/json would match to a
// field only case-insensitively ("Chain" for "chain"): member names are
// exact, in params as in the request object. Unknown members are left to
// DisallowUnknownFields; types with their own UnmarshalJSON are theirs.
func exactNames(data []byte, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if data[0] != '{' || json.Unmarshal(data, &members) != nil {
			return nil // the decoder reports what is wrong
		}
		fields := map[string]reflect.Type{}
		jsonFields(t, fields)
		for name, v := range members {
			ft, ok := fields[name]
			if !ok {
				for want := range fields {
					if strings.EqualFold(want, name) {
						return fmt.Errorf("member %q: names are case-sensitive, write %q", name, want)
					}
				}
				continue
			}
			if err := exactNames(v, ft); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		var elems []json.RawMessage
		if data[0] != '[' || json.Unmarshal(data, &elems) != nil {
			return nil
		}
		for _, e := range elems {
			if err := exactNames(e, t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Map:
		var members map[string]json.RawMessage
		if data[0] != '{' || json.Unmarshal(data, &members) != nil {
			return nil
		}
		for _, v := range members {
			if err := exactNames(v, t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields collects a struct's JSON member names and their types,
// flattening untagged embedded structs as encoding/json does.
func jsonFields(t reflect.Type, out map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonFields(ft, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if !hasTag || name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
}

func decodePositional(params json.RawMessage, sv reflect.Value) error {
	var elems []json.RawMessage
	if err := json.Unmarshal(params, &elems); err != nil {
		return InvalidParams("invalid params: %s", cleanJSONError(err))
	}
	fields := positionalFields(sv.Type())
	if len(elems) > len(fields) {
		return InvalidParams("too many params: got %d, want at most %d", len(elems), len(fields))
	}
	for i, raw := range elems {
		f := fields[i]
		if err := exactNames(raw, sv.Field(f.index).Type()); err != nil {
			return InvalidParams("param %d (%s): %v", i, f.name, err)
		}
		if err := strictUnmarshal(raw, sv.Field(f.index).Addr().Interface()); err != nil {
			return InvalidParams("param %d (%s): %s", i, f.name, cleanJSONError(err))
		}
	}
	return nil
}

type posField struct {
	index int
	name  string
}

func positionalFields(t reflect.Type) []posField {
	var out []posField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		out = append(out, posField{index: i, name: name})
	}
	return out
}

func strictUnmarshal(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	// Decode stops after the first value; trailing bytes mean the caller
	// handed us something that is not a single JSON value.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after params")
	}
	return nil
}

// cleanJSONError strips the "json: " prefix so messages read naturally
// inside our own error text.
func cleanJSONError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
