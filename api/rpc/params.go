package rpc

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// DecodeParams decodes params into dst, a pointer to a struct. Params may
// be an object (by name, unknown fields refused) or an array (by position,
// onto the struct's fields in order). Absent or null params leave dst as is.
func DecodeParams(params json.RawMessage, dst any) error {
	params = bytes.TrimSpace(params)
	if len(params) == 0 || string(params) == "null" {
		return nil
	}
	if params[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(params, &items); err != nil {
			return InvalidParams("params: %v", err)
		}
		v := reflect.ValueOf(dst)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			if len(items) != 1 {
				return InvalidParams("expected one positional parameter, got %d", len(items))
			}
			if err := json.Unmarshal(items[0], dst); err != nil {
				return InvalidParams("params[0]: %v", err)
			}
			return nil
		}
		st := v.Elem()
		var fields []reflect.Value
		var names []string
		collectFields(st, &fields, &names)
		if len(items) > len(fields) {
			return InvalidParams("too many positional parameters: %d given, at most %d (%v)", len(items), len(fields), names)
		}
		for i, item := range items {
			if err := json.Unmarshal(item, fields[i].Addr().Interface()); err != nil {
				return InvalidParams("parameter %d (%s): %v", i, names[i], err)
			}
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return InvalidParams("params: %v", err)
	}
	return nil
}

// collectFields lists exported fields in order, flattening embedded structs.
func collectFields(v reflect.Value, out *[]reflect.Value, names *[]string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			collectFields(v.Field(i), out, names)
			continue
		}
		name := f.Name
		if tag := f.Tag.Get("json"); tag != "" && tag != "-" {
			if n, _, _ := bytes.Cut([]byte(tag), []byte(",")); len(n) > 0 {
				name = string(n)
			}
		}
		*out = append(*out, v.Field(i))
		*names = append(*names, name)
	}
}
