package devicesim

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/registry/registrytx"
)

// Paths of an agent's HTTP endpoint, relative to its base URL. device is
// the hex device key.
func tdPath(device string) string         { return "/things/" + device + "/td" }
func propertiesPath(device string) string { return "/things/" + device + "/properties" }
func propertyPath(device, name string) string {
	return "/things/" + device + "/properties/" + name
}
func dataPath(device string) string { return "/things/" + device + "/data" }

// SecurityScheme names the scheme data requests use: a bearer access key
// from a won auction (design §4.7), sent as "Authorization: Bearer KEY".
const SecurityScheme = "access_key"

type tdDoc struct {
	Context             any                   `json:"@context"`
	Type                string                `json:"@type,omitempty"`
	ID                  string                `json:"id,omitempty"`
	Title               string                `json:"title"`
	Description         string                `json:"description"`
	Version             map[string]string     `json:"version,omitempty"`
	SecurityDefinitions map[string]tdSecurity `json:"securityDefinitions,omitempty"`
	Security            []string              `json:"security,omitempty"`
	Base                string                `json:"base,omitempty"`
	Forms               []tdForm              `json:"forms,omitempty"`
	Properties          map[string]tdProperty `json:"properties"`
	Actions             map[string]tdAction   `json:"actions"`
}

type tdSecurity struct {
	Scheme      string `json:"scheme"`
	In          string `json:"in"`
	Format      string `json:"format,omitempty"`
	Description string `json:"description"`
}

type tdForm struct {
	Href        string `json:"href"`
	Op          any    `json:"op"`
	ContentType string `json:"contentType"`
	Method      string `json:"htv:methodName,omitempty"`
}

type tdProperty struct {
	Type        string   `json:"type"`
	Unit        string   `json:"unit,omitempty"`
	Description string   `json:"description,omitempty"`
	Minimum     *float64 `json:"minimum,omitempty"`
	Maximum     *float64 `json:"maximum,omitempty"`
	ReadOnly    bool     `json:"readOnly"`
	Observable  bool     `json:"observable"`
	Forms       []tdForm `json:"forms,omitempty"`
}

type tdSchema struct {
	Type        string              `json:"type"`
	Format      string              `json:"format,omitempty"`
	Description string              `json:"description,omitempty"`
	Unit        string              `json:"unit,omitempty"`
	Minimum     *float64            `json:"minimum,omitempty"`
	Maximum     *float64            `json:"maximum,omitempty"`
	Properties  map[string]tdSchema `json:"properties,omitempty"`
	Required    []string            `json:"required,omitempty"`
	Items       *tdSchema           `json:"items,omitempty"`
	MaxItems    *int                `json:"maxItems,omitempty"`
}

type tdAction struct {
	Description  string              `json:"description"`
	Safe         bool                `json:"safe"`
	Idempotent   bool                `json:"idempotent"`
	URIVariables map[string]tdSchema `json:"uriVariables,omitempty"`
	Output       tdSchema            `json:"output"`
	Forms        []tdForm            `json:"forms,omitempty"`
}

// ThingDescription returns the W3C WoT Thing Description 1.1 of a device
// of this kind whose agent serves at baseURL (e.g. "http://127.0.0.1:8123").
// Every affordance's form points at the agent's endpoint; data requests
// need a bearer access key. The device answers exactly as the TD says
// (devicesim/wotcheck checks it): a property read returns the bare value
// of the property's type, readallproperties an object of name → value,
// and the history action (GET, uriVariables from and to) an object whose
// readings follow the output schema. The output is compact JSON without
// HTML escaping, the form the metadata chain stores, so a record's TD can
// be compared byte for byte.
func (k *Kind) ThingDescription(device, baseURL string) []byte {
	return marshalDoc(k.doc(device, baseURL))
}

// ThingModel returns the W3C WoT Thing Model (TD 1.1 §10) the kind's
// model publishes: the same affordances and data schemas as every
// device's TD, without forms, security or instance identifiers.
func (k *Kind) ThingModel() []byte {
	return marshalDoc(k.doc("", ""))
}

// doc builds the TD of a device, or the kind's TM when device is "".
func (k *Kind) doc(device, baseURL string) tdDoc {
	json200 := "application/json"
	isTM := device == ""
	forms := func(f ...tdForm) []tdForm {
		if isTM {
			return nil
		}
		return f
	}
	props := make(map[string]tdProperty, len(k.Properties))
	for _, p := range k.Properties {
		props[p.Name] = tdProperty{
			Type: p.Type, Unit: p.Unit, Description: p.Description, Minimum: p.Min, Maximum: p.Max,
			ReadOnly: true,
			Forms:    forms(tdForm{Href: baseURL + propertyPath(device, p.Name), Op: "readproperty", ContentType: json200, Method: "GET"}),
		}
	}
	values := tdSchema{Type: "object", Properties: map[string]tdSchema{}}
	for _, p := range k.Properties {
		values.Properties[p.Name] = tdSchema{Type: p.Type, Unit: p.Unit, Description: p.Description, Minimum: p.Min, Maximum: p.Max}
		values.Required = append(values.Required, p.Name)
	}
	slices.Sort(values.Required)
	limit := maxSeriesPoints
	d := tdDoc{
		Context:     []any{registrytx.TDContext11},
		Title:       k.Model.Title,
		Description: fmt.Sprintf("%s (model %s). Data needs an access key from a won thingchain auction.", k.Model.Title, k.Model.ModelID),
		Properties:  props,
		Actions: map[string]tdAction{
			"history": {
				Description: fmt.Sprintf("readings every %s between the times from and to (default: the last hour), at most %d per request", k.SampleInterval, maxSeriesPoints),
				Safe:        true, Idempotent: true,
				URIVariables: map[string]tdSchema{
					"from": {Type: "string", Format: "date-time", Description: "start of the range (RFC 3339)"},
					"to":   {Type: "string", Format: "date-time", Description: "end of the range (RFC 3339)"},
				},
				Output: tdSchema{Type: "object", Required: []string{"device", "interval", "kind", "readings"}, Properties: map[string]tdSchema{
					"device":   {Type: "string", Description: "hex device key"},
					"kind":     {Type: "string"},
					"interval": {Type: "string", Description: "spacing of the readings (Go duration)"},
					"readings": {Type: "array", MaxItems: &limit, Items: &tdSchema{Type: "object", Required: []string{"time", "values"}, Properties: map[string]tdSchema{
						"time":   {Type: "string", Format: "date-time"},
						"values": values,
					}}},
				}},
				Forms: forms(tdForm{Href: baseURL + dataPath(device) + "{?from,to}", Op: "invokeaction", ContentType: json200, Method: "GET"}),
			},
		},
	}
	if isTM {
		d.Type = registrytx.ThingModelType
		d.Version = map[string]string{"model": fmt.Sprintf("%d.0.0", max(k.Model.Version, 1))}
		return d
	}
	d.ID = registrytx.DeviceURN(mustDeviceKey(device))
	d.Title = fmt.Sprintf("%s %s", k.Model.Title, shortKey(device))
	d.Description = fmt.Sprintf("Simulated %s (model %s). Data needs an access key from a won thingchain auction.", k.Name, k.Model.ModelID)
	d.SecurityDefinitions = map[string]tdSecurity{SecurityScheme: {
		Scheme: "bearer", In: "header", Format: "thingchain-access-key",
		Description: "access key delivered on the auction chain to the auction's winner",
	}}
	d.Security = []string{SecurityScheme}
	d.Base = baseURL
	d.Forms = []tdForm{{Href: baseURL + propertiesPath(device), Op: []string{"readallproperties"}, ContentType: json200, Method: "GET"}}
	return d
}

func marshalDoc(d tdDoc) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		panic(fmt.Sprintf("devicesim: thing description: %v", err)) // plain values only
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func mustDeviceKey(device string) keys.PubKey {
	raw, err := hex.DecodeString(device)
	if err != nil {
		panic(fmt.Sprintf("devicesim: device key %q: %v", device, err))
	}
	k, err := keys.ParsePubKey(raw)
	if err != nil {
		panic(fmt.Sprintf("devicesim: device key %q: %v", device, err))
	}
	return k
}

func shortKey(device string) string {
	if len(device) > 10 {
		return device[2:10]
	}
	return device
}
