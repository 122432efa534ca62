package wotcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func schema(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := decodeObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func value(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidate(t *testing.T) {
	cases := []struct {
		schema, value string
		ok            bool
	}{
		{`{"type":"number"}`, `21.5`, true},
		{`{"type":"number"}`, `21`, true},
		{`{"type":"integer"}`, `21.5`, false},
		{`{"type":"number"}`, `"21"`, false},
		{`{"type":"number"}`, `{"time":"2026-01-01T00:00:00Z","value":21}`, false},
		{`{"type":"number","minimum":0,"maximum":10}`, `11`, false},
		{`{"type":"number","minimum":0,"maximum":10}`, `-1`, false},
		{`{"type":"number","exclusiveMaximum":10}`, `10`, false},
		{`{"type":"boolean"}`, `true`, true},
		{`{"type":"boolean"}`, `null`, false},
		{`{"type":"string","enum":["on","off"]}`, `"dim"`, false},
		{`{"type":"string","format":"date-time"}`, `"yesterday"`, false},
		{`{"type":"string","maxLength":3}`, `"abcd"`, false},
		{`{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}}}`, `{"a":1,"b":2}`, true},
		{`{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}}}`, `{"b":2}`, false},
		{`{"type":"object","properties":{"a":{"type":"integer"}}}`, `{"a":"1"}`, false},
		{`{"type":"array","items":{"type":"number"},"maxItems":2}`, `[1,2]`, true},
		{`{"type":"array","items":{"type":"number"},"maxItems":2}`, `[1,2,3]`, false},
		{`{"type":"array","items":{"type":"number"}}`, `[1,"x"]`, false},
		{`{"type":"array"}`, `{"values":[]}`, false},
		{`{"oneOf":[{"type":"string"},{"type":"number"}]}`, `true`, false},
		{`{"const":3}`, `3.0`, true},
		{`{}`, `"anything"`, true},
	}
	for _, tc := range cases {
		err := Validate(value(t, tc.value), schema(t, tc.schema))
		if (err == nil) != tc.ok {
			t.Errorf("%s against %s: %v, want ok=%v", tc.value, tc.schema, err, tc.ok)
		}
	}
}

// device is a small HTTP Thing whose answers the test chooses, so the
// check's verdicts can be compared with known right and wrong replies.
type device struct {
	temperature, all, history string
	gotFrom, gotTo            string
}

func (d *device) serve(t *testing.T) (*httptest.Server, []byte) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, d.temperature) })
	mux.HandleFunc("GET /all", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, d.all) })
	mux.HandleFunc("GET /history", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, `{"error":"key"}`, 401)
			return
		}
		d.gotFrom, d.gotTo = r.URL.Query().Get("from"), r.URL.Query().Get("to")
		fmt.Fprint(w, d.history)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	td := fmt.Sprintf(`{"@context":"https://www.w3.org/2022/wot/td/v1.1","title":"T","base":%q,
	  "securityDefinitions":{"b":{"scheme":"bearer"}},"security":"b",
	  "forms":[{"href":"all","op":"readallproperties","contentType":"application/json"}],
	  "properties":{"temperature":{"type":"number","minimum":-40,"maximum":60,"forms":[{"href":"t"}]},
	                "door":{"type":"boolean","writeOnly":true,"forms":[{"href":"d"}]}},
	  "actions":{"history":{"safe":true,"uriVariables":{"from":{"type":"string","format":"date-time"},"to":{"type":"string","format":"date-time"}},
	    "output":{"type":"array","items":{"type":"object","required":["time","value"],"properties":{"time":{"type":"string","format":"date-time"},"value":{"type":"number"}}}},
	    "forms":[{"href":"history{?from,to}","htv:methodName":"GET"}]},
	    "reboot":{"forms":[{"href":"reboot"}]}},
	  "events":{"alarm":{"data":{"type":"string"},"forms":[{"href":"alarm","op":"subscribeevent"}]}}}`, srv.URL+"/")
	return srv, []byte(td)
}

func TestCheckVerdicts(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	good := &device{temperature: `21.5`, all: `{"temperature":21.5}`, history: `[{"time":"2026-11-28T11:00:00Z","value":20}]`}
	_, td := good.serve(t)
	rep, err := Check(context.Background(), td, Options{Authorization: "Bearer k", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Err() != nil || rep.Passed != 3 || rep.Skipped != 3 {
		t.Fatalf("conforming device: %+v (%v)", rep, rep.Err())
	}
	if good.gotFrom != "2026-11-28T11:00:00Z" || good.gotTo != "2026-11-28T12:00:00Z" {
		t.Fatalf("uriVariables sent: from=%q to=%q", good.gotFrom, good.gotTo)
	}
	for name, bad := range map[string]*device{
		"wrapped property value": {temperature: `{"time":"x","value":21.5}`, all: `{"temperature":21.5}`, history: `[]`},
		"out of range":           {temperature: `99`, all: `{"temperature":21.5}`, history: `[]`},
		"readall not a map":      {temperature: `1`, all: `{"time":"x","values":{"temperature":1}}`, history: `[]`},
		"history an object":      {temperature: `1`, all: `{"temperature":1}`, history: `{"readings":[]}`},
	} {
		_, td := bad.serve(t)
		rep, err := Check(context.Background(), td, Options{Authorization: "Bearer k", Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed != 1 || rep.Err() == nil {
			t.Errorf("%s: %d failures, want 1: %+v", name, rep.Failed, rep.Results)
		}
	}
	// Without the key, the secured history action fails with its status.
	rep, _ = Check(context.Background(), td, Options{Now: func() time.Time { return now }})
	if rep.Failed != 1 || !strings.Contains(rep.Err().Error(), "401") {
		t.Fatalf("no key: %v", rep.Err())
	}
}
