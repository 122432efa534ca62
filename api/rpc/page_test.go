package rpc

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// TestPageSharesTheAPIAddress: with Config.Page set, a browser's GET /
// (and GET of any other path) reaches the page, while POST / stays
// JSON-RPC, GET / with an upgrade stays WebSocket and /health stays.
func TestPageSharesTheAPIAddress(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page:"+r.URL.Path)
	})
	ts := startServer(t, Config{Page: page}, nil)
	for path, want := range map[string]string{"": "page:/", "assets/x.js": "page:/assets/x.js", "health": `{"ok":true}`} {
		resp, err := http.Get(ts.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Fatalf("GET /%s = %q, want %q", path, b, want)
		}
	}
	code, body := post(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":2}}`)
	if code != 200 || !strings.Contains(string(body), `"result"`) {
		t.Fatalf("POST /: %d %s", code, body)
	}
	c, _, err := websocket.Dial(context.Background(), ts.ws, nil)
	if err != nil {
		t.Fatalf("WebSocket on / with a page configured: %v", err)
	}
	c.Close(websocket.StatusNormalClosure, "")
}
