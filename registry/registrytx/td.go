package registrytx

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/thingchain/thingchain/chain/keys"

	"github.com/thingchain/thingchain/consensus"
)

// Thing Description contexts a TD's @context must include.
const (
	TDContext11 = "https://www.w3.org/2022/wot/td/v1.1"
	TDContext10 = "https://www.w3.org/2019/wot/td/v1"
)

// TDProperty is one property affordance as the query index sees it.
type TDProperty struct {
	Name string
	Type string // the affordance's "type" (data schema type), "" if absent
}

// CheckThingDescription validates the members of a W3C WoT Thing
// Description that the metadata chain requires (TD 1.1 §5.3.1.1 and the
// affordance rules) and the personal-data rule (personal.go):
//
//   - the document is one strict JSON object (see parseStrictJSON), at most
//     MaxTDBytes once compacted (ErrTDTooLarge): whitespace a maker
//     pretty-printed with is not counted;
//   - "@context" is TDContext11 or TDContext10, or an array containing one
//     of them;
//   - "id" is the device's URN, DeviceURN(device) (ErrBadDeviceID);
//   - "title" is a string (TD 1.1 does not require it to be non-empty);
//   - "securityDefinitions" is a non-empty object whose members are
//     objects with a string "scheme";
//   - "security" is a string or a non-empty array of strings, each naming
//     a member of securityDefinitions;
//   - "properties", "actions" and "events", where present, are objects
//     (possibly empty: TD 1.1 allows a Thing with no affordances) whose
//     members are objects with a non-empty "forms" array of objects with a
//     string "href" (a relative reference, "" included, resolves against
//     base);
//   - no text or endpoint member carries personal data, and endpoints
//     obey the network's policy (see personal.go).
//
// It does not check the TD against the full JSON Schema of the standard
// (types of optional members): nodes must agree on validity, and a
// smaller rule set is easier to implement identically. It returns the
// property affordances for the query index.
func CheckThingDescription(b []byte, device keys.PubKey, policy EndpointPolicy) ([]TDProperty, error) {
	props, _, err := checkThingDescription(b, compactLen(b), device, policy)
	return props, err
}

// checkThingDescription is CheckThingDescription given the length of b
// compacted (compactLen), also returning the parsed document.
func checkThingDescription(b []byte, compacted int, device keys.PubKey, policy EndpointPolicy) ([]TDProperty, *object, error) {
	bad := func(format string, args ...any) ([]TDProperty, *object, error) {
		return nil, nil, consensus.RuleErrorf(ErrBadThingDescription, format, args...)
	}
	if compacted > MaxTDBytes {
		return nil, nil, consensus.RuleErrorf(ErrTDTooLarge, "Thing Description is %d bytes compacted, the limit is %d", compacted, MaxTDBytes)
	}
	v, err := parseStrictJSON(b)
	if err != nil {
		return bad("not strict JSON: %v", err)
	}
	td, ok := v.(*object)
	if !ok {
		return bad("not a JSON object")
	}
	ctx, ok := td.get("@context")
	if !ok {
		return bad("missing @context")
	}
	if !hasTDContext(ctx) {
		return bad("@context must include %q (or the TD 1.0 context %q)", TDContext11, TDContext10)
	}
	if id, ok := td.get("id"); !ok {
		return nil, nil, consensus.RuleErrorf(ErrBadDeviceID, "missing id: set \"id\": %q", DeviceURN(device))
	} else if s, _ := id.(string); s != DeviceURN(device) {
		return nil, nil, consensus.RuleErrorf(ErrBadDeviceID, "id %s must be the device's URN %q", jsonText(id), DeviceURN(device))
	}
	if t, ok := td.get("title"); !ok {
		return bad("missing title")
	} else if _, ok := t.(string); !ok {
		return bad("title must be a string")
	}
	sd, ok := td.get("securityDefinitions")
	if !ok {
		return bad("missing securityDefinitions")
	}
	defs, ok := sd.(*object)
	if !ok || len(defs.keys) == 0 {
		return bad("securityDefinitions must be a non-empty object")
	}
	for _, name := range defs.keys {
		scheme, ok := defs.vals[name].(*object)
		if !ok {
			return bad("security definition %q is not an object", name)
		}
		if s, ok := scheme.vals["scheme"].(string); !ok || s == "" {
			return bad("security definition %q has no scheme", name)
		}
	}
	sec, ok := td.get("security")
	if !ok {
		return bad("missing security")
	}
	var refs []string
	switch s := sec.(type) {
	case string:
		refs = []string{s}
	case []any:
		if len(s) == 0 {
			return bad("security must not be an empty array")
		}
		for _, e := range s {
			str, ok := e.(string)
			if !ok {
				return bad("security array members must be strings")
			}
			refs = append(refs, str)
		}
	default:
		return bad("security must be a string or an array of strings")
	}
	for _, r := range refs {
		if _, ok := defs.vals[r]; !ok {
			return bad("security names %q, which securityDefinitions does not define", r)
		}
	}
	var props []TDProperty
	for _, kind := range affordanceKinds {
		raw, ok := td.get(kind)
		if !ok {
			continue
		}
		set, ok := raw.(*object)
		if !ok {
			return bad("%s must be an object", kind)
		}
		for _, name := range set.keys {
			aff, ok := set.vals[name].(*object)
			if !ok {
				return bad("%s %q is not an object", kind, name)
			}
			if err := checkForms(kind, name, aff); err != nil {
				return nil, nil, err
			}
			if kind == "properties" {
				typ, _ := aff.vals["type"].(string)
				props = append(props, TDProperty{Name: name, Type: typ})
			}
		}
	}
	if err := checkPersonalDoc(td, "", policy, true); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(props, func(a, b TDProperty) int { return strings.Compare(a.Name, b.Name) })
	return props, td, nil
}

func hasTDContext(ctx any) bool {
	isTD := func(v any) bool { s, ok := v.(string); return ok && (s == TDContext11 || s == TDContext10) }
	if isTD(ctx) {
		return true
	}
	if arr, ok := ctx.([]any); ok {
		return slices.ContainsFunc(arr, isTD)
	}
	return false
}

func checkForms(kind, name string, aff *object) error {
	raw, ok := aff.get("forms")
	if !ok {
		return consensus.RuleErrorf(ErrBadThingDescription, "%s %q has no forms", kind, name)
	}
	forms, ok := raw.([]any)
	if !ok || len(forms) == 0 {
		return consensus.RuleErrorf(ErrBadThingDescription, "%s %q: forms must be a non-empty array", kind, name)
	}
	for i, f := range forms {
		form, ok := f.(*object)
		if !ok {
			return consensus.RuleErrorf(ErrBadThingDescription, "%s %q: form %d is not an object", kind, name, i)
		}
		if _, ok := form.vals["href"].(string); !ok {
			return consensus.RuleErrorf(ErrBadThingDescription, "%s %q: form %d has no string href", kind, name, i)
		}
	}
	return nil
}

// CheckMetadataObject checks that metadata is one strict JSON object
// whose values carry no personal data (personal.go; field names are free).
// It needs no state, so it runs in the sanity stage; CheckMetadata
// matches it against a schema.
func CheckMetadataObject(b []byte, policy EndpointPolicy) (*object, error) {
	v, err := parseStrictJSON(b)
	if err != nil {
		return nil, consensus.RuleErrorf(ErrMetadataSchema, "metadata is not strict JSON: %v", err)
	}
	obj, ok := v.(*object)
	if !ok {
		return nil, consensus.RuleErrorf(ErrMetadataSchema, "metadata must be a JSON object")
	}
	if err := checkPersonalMetadata(obj, "", policy); err != nil {
		return nil, err
	}
	return obj, nil
}

// CheckMetadata validates metadata against a model's schema: every
// required field present, every present field declared, every value of its
// declared type (integer: a JSON number without fraction or exponent;
// null is never a valid value).
func CheckMetadata(b []byte, schema []Field) error {
	obj, err := CheckMetadataObject(b, schemaPolicy)
	if err != nil {
		return err
	}
	return metadataMatches(obj, schema)
}

// schemaPolicy is the endpoint policy CheckMetadata checks values with.
var schemaPolicy = EndpointPolicy{AllowLoopback: true}

// metadataMatches is CheckMetadata's schema part on a parsed object.
func metadataMatches(obj *object, schema []Field) error {
	declared := make(map[string]FieldType, len(schema))
	for _, f := range schema {
		declared[f.Name] = f.Type
		if _, ok := obj.vals[f.Name]; f.Required && !ok {
			return consensus.RuleErrorf(ErrMetadataSchema, "required metadata field %q is missing", f.Name)
		}
	}
	for _, k := range obj.keys {
		typ, ok := declared[k]
		if !ok {
			return consensus.RuleErrorf(ErrMetadataSchema, "metadata field %q is not in the model's schema", k)
		}
		if !valueHasType(obj.vals[k], typ) {
			return consensus.RuleErrorf(ErrMetadataSchema, "metadata field %q must be a JSON %s", k, typ)
		}
	}
	return nil
}

func valueHasType(v any, t FieldType) bool {
	switch t {
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeNumber:
		_, ok := v.(json.Number)
		return ok
	case TypeInteger:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		for i := 0; i < len(n); i++ {
			if c := n[i]; c == '.' || c == 'e' || c == 'E' {
				return false
			}
		}
		return true
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	}
	return false
}
