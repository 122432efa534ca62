package rpc

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func FuzzServeRequest(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`,
		`{"jsonrpc":"2.0","id":"a","method":"add","params":{"a":1,"b":2}}`,
		`{"jsonrpc":"2.0","method":"add"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"add"},{"jsonrpc":"2.0","method":"add"},1]`,
		`[]`, `[[]]`, `{`, `null`, `{"jsonrpc":"2.0","id":null,"method":"boom"}`,
		`{"jsonrpc":"2.0","id":1e400,"method":"coded"}`,
		`{"jsonrpc":"2.0","id":1,"method":"rpc.methods"}`,
		`{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["x"]}`,
		`{"jsonrpc":"2.0","ID":1,"Method":"add","id":2}`,
		`{"JSONRPC":"2.0","ID":7,"METHOD":"add"}`, `{"jsonrpc":"2.0","id":1,"method":"add","method":"add"}`,
		`{"jsonrpc":"2.0","id":1,"method":"add","params":{"A":1}}`,
	} {
		f.Add([]byte(seed))
	}
	s := NewServer(Config{MaxRequestBytes: 64 << 10})
	testMethods(s, nil)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out := rec.Body.Bytes()
		if rec.Code == http.StatusNoContent {
			if len(out) != 0 {
				t.Fatalf("204 with body %q", out)
			}
			return
		}
		if rec.Code != http.StatusOK && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", rec.Code)
		}
		var rs []json.RawMessage
		if len(out) > 0 && out[0] == '[' {
			if err := json.Unmarshal(out, &rs); err != nil || len(rs) == 0 {
				t.Fatalf("bad batch response %q", out)
			}
		} else {
			rs = []json.RawMessage{out}
		}
		for _, r := range rs {
			var resp testResp
			dec := json.NewDecoder(bytes.NewReader(r))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&resp); err != nil {
				t.Fatalf("response %q for %q: %v", r, body, err)
			}
			if resp.JSONRPC != "2.0" || resp.ID == nil || (resp.Error == nil) == (resp.Result == nil) {
				t.Fatalf("malformed response %q for %q", r, body)
			}
		}
	})
}
