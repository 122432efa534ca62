package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type addParams struct {
	A int `json:"a"`
	B int `json:"b"`
}

func newTestServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	s := NewServer(cfg)
	s.Register(Method{Name: "add", Summary: "adds", Handler: func(_ context.Context, p json.RawMessage) (any, error) {
		var in addParams
		if err := DecodeParams(p, &in); err != nil {
			return nil, err
		}
		return in.A + in.B, nil
	}})
	s.Register(Method{Name: "fail", Handler: func(context.Context, json.RawMessage) (any, error) {
		return nil, errors.New("refused for a reason")
	}})
	s.Register(Method{Name: "boom", Handler: func(context.Context, json.RawMessage) (any, error) { panic("bug") }})
	s.Register(Method{Name: "secret", Admin: true, Handler: func(context.Context, json.RawMessage) (any, error) { return "ok", nil }})
	feed := &Feed[int]{}
	s.RegisterSubscription("ticks", func(ctx context.Context, _ json.RawMessage, notify func(any) error) error {
		ch, cancel := feed.Subscribe(16)
		defer cancel()
		for i := 0; i < 3; i++ {
			if err := notify(i); err != nil {
				return err
			}
		}
		<-ctx.Done()
		_ = ch
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, err := s.ListenAndServe(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return s, addr.String()
}

func post(t *testing.T, url, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestErrorCodes(t *testing.T) {
	_, addr := newTestServer(t, Config{MaxRequestBytes: 4096})
	url := "http://" + addr
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"positional params", `{"jsonrpc":"2.0","id":1,"method":"add","params":[2,3]}`, 200, `"result":5`},
		{"named params", `{"jsonrpc":"2.0","id":"x","method":"add","params":{"a":2,"b":4}}`, 200, `"result":6`},
		{"malformed JSON", `{"jsonrpc":`, 200, `"code":-32700`},
		{"wrong version", `{"jsonrpc":"1.0","id":1,"method":"add"}`, 200, `"code":-32600`},
		{"bad id type", `{"jsonrpc":"2.0","id":{},"method":"add"}`, 200, `"code":-32600`},
		{"empty batch", `[]`, 200, `"code":-32600`},
		{"unknown method", `{"jsonrpc":"2.0","id":1,"method":"nope"}`, 200, `rpc.methods`},
		{"unknown param", `{"jsonrpc":"2.0","id":1,"method":"add","params":{"c":1}}`, 200, `"code":-32602`},
		{"bad param type", `{"jsonrpc":"2.0","id":1,"method":"add","params":["x"]}`, 200, `"code":-32602`},
		{"application error", `{"jsonrpc":"2.0","id":1,"method":"fail"}`, 200, `refused for a reason`},
		{"handler panic", `{"jsonrpc":"2.0","id":1,"method":"boom"}`, 200, `"code":-32603`},
		{"admin without cookie", `{"jsonrpc":"2.0","id":1,"method":"secret"}`, 200, `"code":-32001`},
		{"oversized", `{"jsonrpc":"2.0","id":1,"method":"add","params":"` + strings.Repeat("x", 5000) + `"}`, 413, `"code":-32006`},
		{"batch with a notification", `[{"jsonrpc":"2.0","id":1,"method":"add","params":[1,1]},{"jsonrpc":"2.0","method":"add","params":[1,1]}]`, 200, `"result":2`},
	}
	for _, tc := range cases {
		status, body := post(t, url, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: HTTP %d %s; want %d containing %s", tc.name, status, body, tc.status, tc.want)
		}
	}
	status, body := post(t, url, `{"jsonrpc":"2.0","method":"add","params":[1,1]}`)
	if status != http.StatusNoContent || body != "" {
		t.Errorf("notification answered: %d %q", status, body)
	}
	_, body = post(t, url, `[{"jsonrpc":"2.0","id":1,"method":"add","params":[1,1]},{"jsonrpc":"2.0","method":"add","params":[1,1]}]`)
	var batch []json.RawMessage
	if json.Unmarshal([]byte(body), &batch) != nil || len(batch) != 1 {
		t.Errorf("batch with one call and one notification must answer once: %s", body)
	}
}

func TestCookieAuth(t *testing.T) {
	cookie := filepath.Join(t.TempDir(), ".cookie")
	s, addr := newTestServer(t, Config{CookiePath: cookie})
	st, err := os.Stat(cookie)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cookie file: %v %v", err, st)
	}
	tok, err := ReadCookie(cookie)
	if err != nil || tok != s.Token() {
		t.Fatalf("ReadCookie: %q %v", tok, err)
	}
	url := "http://" + addr
	body := `{"jsonrpc":"2.0","id":1,"method":"secret"}`
	if _, b := post(t, url, body, "Authorization", "Bearer wrong"); !strings.Contains(b, "-32001") {
		t.Errorf("wrong token accepted: %s", b)
	}
	if _, b := post(t, url, body, "Authorization", "Bearer "+tok); !strings.Contains(b, `"result":"ok"`) {
		t.Errorf("right token refused: %s", b)
	}
	c, err := Dial(context.Background(), url, WithCookieFile(cookie))
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := c.Call(context.Background(), "secret", nil, &out); err != nil || out != "ok" {
		t.Fatalf("client with cookie: %v", err)
	}
	s.Close()
	if _, err := os.Stat(cookie); !os.IsNotExist(err) {
		t.Fatal("cookie file left behind after Close")
	}
}

func TestRateLimit(t *testing.T) {
	_, addr := newTestServer(t, Config{RateLimit: 1, RateBurst: 3})
	limited := false
	for i := 0; i < 10; i++ {
		status, body := post(t, "http://"+addr, `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,1]}`)
		if status == http.StatusTooManyRequests && strings.Contains(body, "-32005") {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("10 immediate requests with a burst of 3 were never limited")
	}
}

func TestClientAndSubscriptions(t *testing.T) {
	_, addr := newTestServer(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "ws://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sum int
	if err := c.Call(ctx, "add", []int{20, 22}, &sum); err != nil || sum != 42 {
		t.Fatalf("ws call: %d %v", sum, err)
	}
	var rerr *Error
	if err := c.Call(ctx, "nope", nil, nil); !errors.As(err, &rerr) || rerr.Code != CodeMethodNotFound {
		t.Fatalf("unknown method over ws: %v", err)
	}
	ch, stop, err := c.Subscribe(ctx, "ticks")
	if err != nil {
		t.Fatal(err)
	}
	for want := 0; want < 3; want++ {
		select {
		case v := <-ch:
			if string(v) != fmt.Sprint(want) {
				t.Fatalf("notification %d: got %s", want, v)
			}
		case <-ctx.Done():
			t.Fatal("notifications did not arrive")
		}
	}
	stop()
	if _, open := <-ch; open {
		t.Fatal("channel still open after unsubscribe")
	}
}

func TestFeedNeverBlocks(t *testing.T) {
	var f Feed[int]
	ch, cancel := f.Subscribe(2)
	defer cancel()
	for i := 0; i < 10; i++ {
		f.Send(i) // must not block with a full subscriber
	}
	if len(ch) != 2 || f.Dropped() != 8 {
		t.Fatalf("buffered %d, dropped %d", len(ch), f.Dropped())
	}
}

func FuzzServeRequest(f *testing.F) {
	s := NewServer(Config{})
	s.Register(Method{Name: "add", Handler: func(_ context.Context, p json.RawMessage) (any, error) {
		var in addParams
		return in.A + in.B, DecodeParams(p, &in)
	}})
	h := s.Handler()
	for _, seed := range []string{`{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`, `[]`, `[{"jsonrpc":"2.0"}]`, `{`, `null`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		if rec.Code == http.StatusNoContent {
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("response is not JSON: %q", rec.Body.String())
		}
	})
}

func BenchmarkCallHTTP(b *testing.B) {
	s := NewServer(Config{})
	s.Register(Method{Name: "add", Handler: func(_ context.Context, p json.RawMessage) (any, error) {
		var in addParams
		return in.A + in.B, DecodeParams(p, &in)
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := s.ListenAndServe(ctx, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	c, _ := Dial(ctx, "http://"+addr.String())
	for b.Loop() {
		if err := c.Call(ctx, "add", []int{1, 2}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
