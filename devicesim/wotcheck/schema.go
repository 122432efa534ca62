package wotcheck

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate checks a decoded JSON value (numbers as json.Number, objects as
// map[string]any) against a WoT data schema (TD 1.1 §5.3.2): type, const,
// enum, minimum/maximum and their exclusive forms, multipleOf,
// minLength/maxLength, format date-time, object properties and required,
// array items and minItems/maxItems, oneOf. Unknown keywords (unit,
// titles, descriptions, contentMediaType, readOnly) constrain nothing.
// Errors name the path of the offending value.
func Validate(v any, schema map[string]any) error {
	return validate(v, schema, "$")
}

func validate(v any, s map[string]any, path string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: "+format, append([]any{path}, args...)...)
	}
	if c, ok := s["const"]; ok && !equal(c, v) {
		return bad("value %s, the schema's const is %s", show(v), show(c))
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if equal(x, v) {
				found = true
				break
			}
		}
		if !found {
			return bad("value %s is not in enum %s", show(v), show(e))
		}
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, a := range alts {
			if as, ok := a.(map[string]any); ok && validate(v, as, path) == nil {
				n++
			}
		}
		if n != 1 {
			return bad("value %s matches %d of the oneOf schemas, want exactly 1", show(v), n)
		}
	}
	typ, _ := s["type"].(string)
	if typ != "" && jsonType(v) != typ && !(typ == "number" && jsonType(v) == "integer") {
		return bad("%s %s, the schema says %s", jsonType(v), show(v), typ)
	}
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return bad("number %s: %v", t, err)
		}
		for _, b := range []struct {
			key string
			ok  func(x, lim float64) bool
			rel string
		}{
			{"minimum", func(x, l float64) bool { return x >= l }, "below minimum"},
			{"maximum", func(x, l float64) bool { return x <= l }, "above maximum"},
			{"exclusiveMinimum", func(x, l float64) bool { return x > l }, "not above exclusiveMinimum"},
			{"exclusiveMaximum", func(x, l float64) bool { return x < l }, "not below exclusiveMaximum"},
		} {
			if lim, ok := num(s[b.key]); ok && !b.ok(f, lim) {
				return bad("%s is %s %v", t, b.rel, lim)
			}
		}
		if m, ok := num(s["multipleOf"]); ok && m > 0 {
			if q := f / m; math.Abs(q-math.Round(q)) > 1e-9 {
				return bad("%s is not a multiple of %v", t, m)
			}
		}
	case string:
		n := utf8.RuneCountInString(t)
		if lim, ok := num(s["minLength"]); ok && float64(n) < lim {
			return bad("string of %d characters, minLength %v", n, lim)
		}
		if lim, ok := num(s["maxLength"]); ok && float64(n) > lim {
			return bad("string of %d characters, maxLength %v", n, lim)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, t); err != nil {
				return bad("%q is not an RFC 3339 date-time", t)
			}
		}
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if name, ok := r.(string); ok {
					if _, present := t[name]; !present {
						return bad("required member %q is missing", name)
					}
				}
			}
		}
		for _, name := range sortedKeys(props) {
			ps, ok := props[name].(map[string]any)
			val, present := t[name]
			if !ok || !present {
				continue
			}
			if err := validate(val, ps, path+"."+name); err != nil {
				return err
			}
		}
	case []any:
		if lim, ok := num(s["minItems"]); ok && float64(len(t)) < lim {
			return bad("%d items, minItems %v", len(t), lim)
		}
		if lim, ok := num(s["maxItems"]); ok && float64(len(t)) > lim {
			return bad("%d items, maxItems %v", len(t), lim)
		}
		switch items := s["items"].(type) {
		case map[string]any:
			for i, e := range t {
				if err := validate(e, items, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range t {
				if i < len(items) {
					if is, ok := items[i].(map[string]any); ok {
						if err := validate(e, is, fmt.Sprintf("%s[%d]", path, i)); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// jsonType names a decoded value's JSON Schema type; a number without
// fraction or exponent is "integer".
func jsonType(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if !strings.ContainsAny(string(t), ".eE") {
			return "integer"
		}
		return "number" // strict: 2.0 is not accepted where an integer is declared
	case float64:
		if t == math.Trunc(t) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func num(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	}
	return 0, false
}

func equal(a, b any) bool {
	if fa, ok := num(a); ok {
		fb, ok := num(b)
		return ok && fa == fb
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return truncate(string(b))
}

// Example returns a value valid under a data schema: its const, its first
// enum value, or a value of its type within its bounds (date-time strings
// are now, in RFC 3339). It is what the check sends as an action's input
// and URI variables.
func Example(s map[string]any, now time.Time) any {
	if c, ok := s["const"]; ok {
		return c
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	if d, ok := s["default"]; ok {
		return d
	}
	switch s["type"] {
	case "boolean":
		return false
	case "integer", "number":
		if lo, ok := num(s["minimum"]); ok {
			return math.Ceil(lo)
		}
		if hi, ok := num(s["maximum"]); ok && hi < 0 {
			return math.Floor(hi)
		}
		return 0
	case "string":
		if s["format"] == "date-time" {
			return now.UTC().Format(time.RFC3339)
		}
		n, _ := num(s["minLength"])
		return strings.Repeat("x", int(n))
	case "object":
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		for _, r := range req {
			if name, ok := r.(string); ok {
				if ps, ok := props[name].(map[string]any); ok {
					out[name] = Example(ps, now)
				}
			}
		}
		return out
	case "array":
		n, _ := num(s["minItems"])
		out := make([]any, 0, int(n))
		items, _ := s["items"].(map[string]any)
		for i := 0; i < int(n); i++ {
			out = append(out, Example(items, now))
		}
		return out
	}
	return nil
}
