package registrytx

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/thingchain/thingchain/consensus"
)

// Thing Models (W3C WoT TD 1.1 §10). An OEM's device model carries a
// Thing Model; every check-in's Thing Description must be an instance of
// it (CheckInstance). docs/device-api.md "Thing Models" is the
// specification of this file.

// ThingModelType is the @type that marks a Thing Model.
const ThingModelType = "tm:ThingModel"

// MaxTMBytes bounds a Thing Model, measured on its compacted JSON.
const MaxTMBytes = 64 << 10

// CheckThingModel validates a Thing Model as published by an OEM:
//
//   - one strict JSON object, at most MaxTMBytes compacted;
//   - "@context" includes the TD 1.1 context (Thing Models are TD 1.1);
//   - "@type" is "tm:ThingModel" or an array containing it;
//   - "title" is a string;
//   - "properties", "actions" and "events", where present, are objects of
//     objects (an empty object is allowed);
//   - "tm:optional", where present, is an array of JSON pointers
//     "/properties/NAME", "/actions/NAME" or "/events/NAME", each naming
//     an affordance of the model;
//   - the model is self-contained: no "tm:ref" anywhere and no link with
//     rel "tm:extends" (a publisher resolves extensions and imports before
//     publishing, so that every node validates against the same text
//     without fetching anything).
//
// Forms, security and placeholders are allowed in a model, as TD 1.1
// allows them. It returns the parsed model for CheckInstance.
func CheckThingModel(b []byte) (*object, error) {
	bad := func(format string, args ...any) (*object, error) {
		return nil, consensus.RuleErrorf(ErrBadThingModel, format, args...)
	}
	if n := compactLen(b); n > MaxTMBytes {
		return bad("%d bytes compacted, the limit is %d", n, MaxTMBytes)
	}
	v, err := parseStrictJSON(b)
	if err != nil {
		return bad("not strict JSON: %v", err)
	}
	tm, ok := v.(*object)
	if !ok {
		return bad("not a JSON object")
	}
	ctx, ok := tm.get("@context")
	if !ok || !hasContext(ctx, TDContext11) {
		return bad("@context must include %q", TDContext11)
	}
	if !hasType(tm, ThingModelType) {
		return bad("@type must include %q: this is not a Thing Model", ThingModelType)
	}
	if t, ok := tm.get("title"); !ok {
		return bad("missing title")
	} else if _, ok := t.(string); !ok {
		return bad("title must be a string")
	}
	for _, kind := range affordanceKinds {
		if raw, ok := tm.get(kind); ok {
			set, ok := raw.(*object)
			if !ok {
				return bad("%s must be an object", kind)
			}
			for _, name := range set.keys {
				if _, ok := set.vals[name].(*object); !ok {
					return bad("%s %q is not an object", kind, name)
				}
			}
		}
	}
	if _, err := optionalSet(tm); err != nil {
		return nil, err
	}
	if containsKey(tm, "tm:ref") {
		return bad("tm:ref is not allowed: resolve imported definitions before publishing")
	}
	if links, ok := tm.get("links"); ok {
		if arr, ok := links.([]any); ok {
			for _, l := range arr {
				if lo, ok := l.(*object); ok && lo.vals["rel"] == "tm:extends" {
					return bad("links with rel tm:extends are not allowed: publish the extended model flattened")
				}
			}
		}
	}
	return tm, nil
}

var affordanceKinds = []string{"properties", "actions", "events"}

// optionalSet parses "tm:optional" into the set of optional affordance
// pointers.
func optionalSet(tm *object) (map[string]bool, error) {
	out := map[string]bool{}
	raw, ok := tm.get("tm:optional")
	if !ok {
		return out, nil
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, consensus.RuleErrorf(ErrBadThingModel, "tm:optional must be an array of JSON pointers")
	}
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, consensus.RuleErrorf(ErrBadThingModel, "tm:optional members must be strings")
		}
		kind, name, ok := strings.Cut(strings.TrimPrefix(s, "/"), "/")
		if !ok || !strings.HasPrefix(s, "/") || !slices.Contains(affordanceKinds, kind) || name == "" {
			return nil, consensus.RuleErrorf(ErrBadThingModel, "tm:optional %q must be /properties/NAME, /actions/NAME or /events/NAME", s)
		}
		name = unescapePointer(name)
		set, _ := tm.vals[kind].(*object)
		if set == nil || set.vals[name] == nil {
			return nil, consensus.RuleErrorf(ErrBadThingModel, "tm:optional %q names no affordance of the model", s)
		}
		out[kind+"/"+name] = true
	}
	return out, nil
}

// unescapePointer undoes RFC 6901 escaping of one reference token.
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func hasContext(ctx any, want string) bool {
	if s, ok := ctx.(string); ok {
		return s == want
	}
	if arr, ok := ctx.([]any); ok {
		return slices.ContainsFunc(arr, func(v any) bool { s, ok := v.(string); return ok && s == want })
	}
	return false
}

func hasType(o *object, want string) bool {
	switch t := o.vals["@type"].(type) {
	case string:
		return t == want
	case []any:
		return slices.ContainsFunc(t, func(v any) bool { s, ok := v.(string); return ok && s == want })
	}
	return false
}

func containsKey(v any, key string) bool {
	switch t := v.(type) {
	case *object:
		for _, k := range t.keys {
			if k == key || containsKey(t.vals[k], key) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if containsKey(e, key) {
				return true
			}
		}
	}
	return false
}

// CheckInstance checks that a Thing Description is an instance of a Thing
// Model (TD 1.1 §10.4, as this chain applies it):
//
//   - the TD is not itself a Thing Model (ErrTDIsThingModel) and no
//     string in it still holds a "{{...}}" placeholder (ErrTDPlaceholder);
//   - every affordance of the model not listed in tm:optional is present
//     in the TD under the same name and kind (ErrTDMissingAffordance);
//   - every affordance of the model that the TD has, required or optional,
//     has a compatible data schema (ErrTDSchemaMismatch): a property's
//     schema, an action's input and output, an event's data, subscription
//     and cancellation (see schemaCompatible);
//   - the TD may have affordances the model does not define.
//
// Both documents must already have passed CheckThingDescription and
// CheckThingModel.
func CheckInstance(tdBytes, tmBytes []byte) error {
	tdv, err := parseStrictJSON(tdBytes)
	if err != nil {
		return consensus.RuleErrorf(ErrBadThingDescription, "not strict JSON: %v", err)
	}
	td, ok := tdv.(*object)
	if !ok {
		return consensus.RuleErrorf(ErrBadThingDescription, "not a JSON object")
	}
	tm, err := CheckThingModel(tmBytes)
	if err != nil {
		return err
	}
	return checkInstance(td, tm)
}

// checkInstance is CheckInstance on the parsed documents.
func checkInstance(td, tm *object) error {
	optional, err := optionalSet(tm)
	return instanceOf(td, tdFacts(td), tm, optional, err)
}

// tdShape is what the instance rule asks of a Thing Description alone,
// so that it can be worked out before the model is known.
type tdShape struct {
	isThingModel bool   // @type includes tm:ThingModel
	placeholder  string // findPlaceholder's path, "" if none
}

func tdFacts(td *object) tdShape {
	return tdShape{isThingModel: hasType(td, ThingModelType), placeholder: findPlaceholder(td, "")}
}

// instanceOf is checkInstance given the TD's shape and the model's
// optional set (or optionalSet's error).
func instanceOf(td *object, shape tdShape, tm *object, optional map[string]bool, optionalErr error) error {
	if shape.isThingModel {
		return consensus.RuleErrorf(ErrTDIsThingModel, "the check-in carries a Thing Model (@type %s), not a Thing Description of one device", ThingModelType)
	}
	if where := shape.placeholder; where != "" {
		return consensus.RuleErrorf(ErrTDPlaceholder, "placeholder left unfilled at %s: replace every {{...}} of the model with the device's value", where)
	}
	if optionalErr != nil {
		return optionalErr
	}
	for _, kind := range affordanceKinds {
		mset, _ := tm.vals[kind].(*object)
		if mset == nil {
			continue
		}
		tset, _ := td.vals[kind].(*object)
		for _, name := range mset.keys {
			var taff *object
			if tset != nil {
				taff, _ = tset.vals[name].(*object)
			}
			if taff == nil {
				if optional[kind+"/"+name] {
					continue
				}
				return consensus.RuleErrorf(ErrTDMissingAffordance, "the model requires %s %q, which the Thing Description lacks", kind, name)
			}
			maff := mset.vals[name].(*object)
			if err := affordanceCompatible(kind, name, maff, taff); err != nil {
				return err
			}
		}
	}
	return nil
}

// findPlaceholder returns the JSON path of the first string (key or
// value) containing "{{", or "".
func findPlaceholder(v any, path string) string {
	switch t := v.(type) {
	case string:
		if strings.Contains(t, "{{") {
			return orRoot(path)
		}
	case *object:
		for _, k := range t.keys {
			if strings.Contains(k, "{{") {
				return orRoot(path + "/" + k)
			}
			if p := findPlaceholder(t.vals[k], path+"/"+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range t {
			if p := findPlaceholder(e, path+"/"+strconv.Itoa(i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func affordanceCompatible(kind, name string, m, t *object) error {
	where := kind + " " + quote(name)
	switch kind {
	case "properties":
		if err := schemaCompatible(where, m, t); err != nil {
			return err
		}
		for _, flag := range []string{"readOnly", "writeOnly", "observable"} {
			if mv, ok := m.vals[flag].(bool); ok && mv {
				if tv, _ := t.vals[flag].(bool); !tv {
					return consensus.RuleErrorf(ErrTDSchemaMismatch, "%s: the model declares %s true, the Thing Description does not", where, flag)
				}
			}
		}
	case "actions":
		for _, part := range []string{"input", "output"} {
			if err := subSchemaCompatible(where+" "+part, m, t, part); err != nil {
				return err
			}
		}
	case "events":
		for _, part := range []string{"data", "subscription", "cancellation", "dataResponse"} {
			if err := subSchemaCompatible(where+" "+part, m, t, part); err != nil {
				return err
			}
		}
	}
	return nil
}

func subSchemaCompatible(where string, m, t *object, member string) error {
	ms, ok := m.vals[member].(*object)
	if !ok {
		return nil
	}
	ts, ok := t.vals[member].(*object)
	if !ok {
		return consensus.RuleErrorf(ErrTDSchemaMismatch, "%s: the model declares a data schema, the Thing Description has none", where)
	}
	return schemaCompatible(where, ms, ts)
}

// schemaCompatible checks that every value valid under the TD's data
// schema t is acceptable to the model's schema m, for the schema
// keywords the model uses:
//
//   - type: equal, or the model says "number" and the TD "integer";
//   - const: equal; enum: the TD's enum (or const) is a subset of the
//     model's;
//   - minimum/maximum (and exclusive forms), minLength/maxLength,
//     minItems/maxItems: the TD's bound is present and at least as tight;
//   - object: every member of the model's "properties" that the TD's
//     schema has is compatible, every name in the model's "required" is
//     in the TD's "required";
//   - array: "items" compatible (when the model gives one schema);
//   - oneOf: the TD's schema repeats the model's oneOf (compared as JSON).
//
// Other keywords (unit, format, titles, descriptions, contentMediaType)
// are documentation and not compared: the model's unit is advice to the
// maker, not a constraint on bytes.
func schemaCompatible(where string, m, t *object) error {
	mismatch := func(format string, args ...any) error {
		return consensus.RuleErrorf(ErrTDSchemaMismatch, "%s: "+format, append([]any{where}, args...)...)
	}
	if mt, ok := m.vals["type"].(string); ok {
		tt, _ := t.vals["type"].(string)
		if tt != mt && !(mt == "number" && tt == "integer") {
			if tt == "" {
				return mismatch("the model's type is %s, the Thing Description gives none", mt)
			}
			return mismatch("the model's type is %s, the Thing Description's is %s", mt, tt)
		}
	}
	if mc, ok := m.vals["const"]; ok {
		if tc, ok := t.vals["const"]; !ok || !jsonEqual(mc, tc) {
			return mismatch("the model fixes const %s", jsonText(mc))
		}
	}
	if me, ok := m.vals["enum"].([]any); ok {
		var te []any
		if tc, ok := t.vals["const"]; ok {
			te = []any{tc}
		} else if arr, ok := t.vals["enum"].([]any); ok {
			te = arr
		} else {
			return mismatch("the model restricts values to enum %s, the Thing Description does not", jsonText(me))
		}
		for _, v := range te {
			if !slices.ContainsFunc(me, func(x any) bool { return jsonEqual(x, v) }) {
				return mismatch("enum value %s is not in the model's enum %s", jsonText(v), jsonText(me))
			}
		}
	}
	for _, b := range []struct {
		key   string
		lower bool
	}{
		{"minimum", true}, {"exclusiveMinimum", true}, {"minLength", true}, {"minItems", true},
		{"maximum", false}, {"exclusiveMaximum", false}, {"maxLength", false}, {"maxItems", false},
	} {
		mv, ok := m.vals[b.key].(json.Number)
		if !ok {
			continue
		}
		tv, ok := t.vals[b.key].(json.Number)
		if !ok {
			return mismatch("the model sets %s %s, the Thing Description does not", b.key, mv)
		}
		mf, _ := mv.Float64()
		tf, _ := tv.Float64()
		if (b.lower && tf < mf) || (!b.lower && tf > mf) {
			return mismatch("%s %s is looser than the model's %s", b.key, tv, mv)
		}
	}
	if mp, ok := m.vals["properties"].(*object); ok {
		tp, _ := t.vals["properties"].(*object)
		for _, name := range mp.keys {
			ms, ok := mp.vals[name].(*object)
			if !ok || tp == nil {
				continue
			}
			if ts, ok := tp.vals[name].(*object); ok {
				if err := schemaCompatible(where+"."+name, ms, ts); err != nil {
					return err
				}
			}
		}
	}
	if mr, ok := m.vals["required"].([]any); ok {
		tr, _ := t.vals["required"].([]any)
		for _, r := range mr {
			if !slices.ContainsFunc(tr, func(x any) bool { return jsonEqual(x, r) }) {
				return mismatch("the model requires member %s, the Thing Description's schema does not", jsonText(r))
			}
		}
		if tp, _ := t.vals["properties"].(*object); tp != nil {
			for _, r := range mr {
				if s, ok := r.(string); ok && tp.vals[s] == nil {
					return mismatch("required member %q has no schema in the Thing Description", s)
				}
			}
		}
	}
	if mi, ok := m.vals["items"].(*object); ok {
		ti, ok := t.vals["items"].(*object)
		if !ok {
			return mismatch("the model gives an items schema, the Thing Description does not")
		}
		if err := schemaCompatible(where+"[]", mi, ti); err != nil {
			return err
		}
	}
	if mo, ok := m.vals["oneOf"]; ok {
		if to, ok := t.vals["oneOf"]; !ok || !jsonEqual(mo, to) {
			return mismatch("the model's oneOf must be repeated unchanged")
		}
	}
	return nil
}

// jsonEqual compares two parsed JSON values (numbers numerically).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, e1 := x.Float64()
		fy, e2 := y.Float64()
		return e1 == nil && e2 == nil && fx == fy
	case *object:
		y, ok := b.(*object)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			if yv, ok := y.vals[k]; !ok || !jsonEqual(x.vals[k], yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// jsonText renders a parsed value for an error message.
func jsonText(v any) string {
	b, err := json.Marshal(toPlain(v))
	if err != nil {
		return "?"
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

func toPlain(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, len(t.keys))
		for _, k := range t.keys {
			m[k] = toPlain(t.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = toPlain(e)
		}
		return out
	}
	return v
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// EmptyThingModel returns a Thing Model with no affordances, which every
// Thing Description instantiates: for tests and for models that constrain
// nothing but the metadata schema.
func EmptyThingModel(title string) []byte {
	b, _ := json.Marshal(map[string]any{"@context": []string{TDContext11}, "@type": ThingModelType, "title": title})
	return b
}
