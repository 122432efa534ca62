package devicesim

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/thingchain/thingchain/registry"
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
	ID                  string                `json:"id"`
	Title               string                `json:"title"`
	Description         string                `json:"description"`
	SecurityDefinitions map[string]tdSecurity `json:"securityDefinitions"`
	Security            []string              `json:"security"`
	Base                string                `json:"base"`
	Forms               []tdForm              `json:"forms"`
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
	Forms       []tdForm `json:"forms"`
}

type tdSchema struct {
	Type        string              `json:"type"`
	Format      string              `json:"format,omitempty"`
	Description string              `json:"description,omitempty"`
	Properties  map[string]tdSchema `json:"properties,omitempty"`
	Items       *tdSchema           `json:"items,omitempty"`
}

type tdAction struct {
	Description string   `json:"description"`
	Safe        bool     `json:"safe"`
	Idempotent  bool     `json:"idempotent"`
	Input       tdSchema `json:"input"`
	Output      tdSchema `json:"output"`
	Forms       []tdForm `json:"forms"`
}

// ThingDescription returns the W3C WoT Thing Description 1.1 of a device
// of this kind whose agent serves at baseURL (e.g. "http://127.0.0.1:8123").
// Every affordance's form points at the agent's endpoint; data requests
// need a bearer access key. The output is compact JSON without HTML
// escaping, the form the metadata chain stores, so a record's TD can be
// compared byte for byte.
func (k *Kind) ThingDescription(device, baseURL string) []byte {
	json200 := "application/json"
	props := make(map[string]tdProperty, len(k.Properties))
	for _, p := range k.Properties {
		props[p.Name] = tdProperty{
			Type: p.Type, Unit: p.Unit, Description: p.Description, Minimum: p.Min, Maximum: p.Max,
			ReadOnly: true,
			Forms:    []tdForm{{Href: baseURL + propertyPath(device, p.Name), Op: "readproperty", ContentType: json200, Method: "GET"}},
		}
	}
	values := tdSchema{Type: "object", Properties: map[string]tdSchema{}}
	for _, p := range k.Properties {
		values.Properties[p.Name] = tdSchema{Type: p.Type, Description: p.Description}
	}
	td := tdDoc{
		Context:     []any{registry.TDContext11},
		ID:          "urn:thingchain:device:" + device,
		Title:       fmt.Sprintf("%s %s", k.Model.Title, shortKey(device)),
		Description: fmt.Sprintf("Simulated %s (model %s). Data needs an access key from a won thingchain auction.", k.Name, k.Model.ModelID),
		SecurityDefinitions: map[string]tdSecurity{SecurityScheme: {
			Scheme: "bearer", In: "header", Format: "thingchain-access-key",
			Description: "access key delivered on the auction chain to the auction's winner",
		}},
		Security:   []string{SecurityScheme},
		Base:       baseURL,
		Forms:      []tdForm{{Href: baseURL + propertiesPath(device), Op: []string{"readallproperties"}, ContentType: json200, Method: "GET"}},
		Properties: props,
		Actions: map[string]tdAction{
			"history": {
				Description: fmt.Sprintf("readings every %s between from and to (RFC 3339, query parameters), at most %d per request", k.SampleInterval, maxSeriesPoints),
				Safe:        true, Idempotent: true,
				Input: tdSchema{Type: "object", Properties: map[string]tdSchema{
					"from": {Type: "string", Format: "date-time"},
					"to":   {Type: "string", Format: "date-time"},
				}},
				Output: tdSchema{Type: "array", Items: &tdSchema{Type: "object", Properties: map[string]tdSchema{
					"time":   {Type: "string", Format: "date-time"},
					"values": values,
				}}},
				Forms: []tdForm{{Href: baseURL + dataPath(device), Op: "invokeaction", ContentType: json200, Method: "GET"}},
			},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(td); err != nil {
		panic(fmt.Sprintf("devicesim: thing description: %v", err)) // plain values only
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func shortKey(device string) string {
	if len(device) > 10 {
		return device[2:10]
	}
	return device
}
