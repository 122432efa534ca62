package rpc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

func TestParseError(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	for _, body := range []string{`{"jsonrpc":"2.0",`, `not json`, `[{"jsonrpc":"2.0","method":"add"},`, ``} {
		status, r := postOne(t, ts.url, body)
		if status != http.StatusOK {
			t.Errorf("%q: status %d", body, status)
		}
		wantCode(t, r, CodeParseError)
		if string(r.ID) != "null" {
			t.Errorf("%q: id %s, want null", body, r.ID)
		}
	}
}

func TestInvalidRequest(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	cases := []struct{ body, id string }{
		{`{"id":1,"method":"add"}`, `1`},
		{`{"jsonrpc":"1.0","id":2,"method":"add"}`, `2`},
		{`{"jsonrpc":2.0,"id":3,"method":"add"}`, `3`},
		{`{"jsonrpc":"2.0","id":{"a":1},"method":"add"}`, `null`},
		{`{"jsonrpc":"2.0","id":true,"method":"add"}`, `null`},
		{`{"jsonrpc":"2.0","id":[1],"method":"add"}`, `null`},
		{`{"jsonrpc":"2.0","id":4}`, `4`},
		{`{"jsonrpc":"2.0","id":5,"method":7}`, `5`},
		{`{"jsonrpc":"2.0","id":6,"method":""}`, `6`},
		{`{"jsonrpc":"2.0","id":"s","method":"add","params":"x"}`, `"s"`},
		{`{"jsonrpc":"2.0","id":7,"method":"add","params":3}`, `7`},
		{`[]`, `null`},
		{`1`, `null`},
		{`"str"`, `null`},
		{`null`, `null`},
		// Invalid even without an id: it is not a well-formed notification.
		{`{"jsonrpc":"2.0","method":7}`, `null`},
	}
	for _, c := range cases {
		status, r := postOne(t, ts.url, c.body)
		if status != http.StatusOK {
			t.Errorf("%s: status %d", c.body, status)
		}
		wantCode(t, r, CodeInvalidRequest)
		if string(r.ID) != c.id {
			t.Errorf("%s: id %s, want %s", c.body, r.ID, c.id)
		}
	}
}

func TestMethodNotFound(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	_, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":"abc","method":"no.such"}`)
	wantCode(t, r, CodeMethodNotFound)
	if string(r.ID) != `"abc"` {
		t.Errorf("id %s", r.ID)
	}
	if !strings.Contains(r.Error.Message, `"no.such"`) || !strings.Contains(r.Error.Message, "rpc.methods") {
		t.Errorf("message %q should name the method and point at rpc.methods", r.Error.Message)
	}
	// Subscriptions make no sense over plain HTTP.
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["x"]}`)
	wantCode(t, r, CodeMethodNotFound)
}

func TestParamsOverHTTP(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	ok := map[string]string{
		`[2,3]`:         "5",
		`{"a":2,"b":3}`: "5",
		`[2]`:           "2", // optional trailing params
		`{}`:            "0",
		`null`:          "0",
	}
	for params, want := range ok {
		_, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add","params":`+params+`}`)
		if r.Error != nil || string(r.Result) != want {
			t.Errorf("params %s: got %s %v, want %s", params, r.Result, r.Error, want)
		}
	}
	_, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add"}`)
	if string(r.Result) != "0" {
		t.Errorf("absent params: %s", r.Result)
	}
	bad := map[string]string{
		`[1,2,3]`:       "too many params",
		`{"a":1,"c":2}`: `"c"`,
		`["x",1]`:       "param 0 (a)",
		`{"a":"x"}`:     "invalid params",
	}
	for params, want := range bad {
		_, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add","params":`+params+`}`)
		wantCode(t, r, CodeInvalidParams)
		if !strings.Contains(r.Error.Message, want) {
			t.Errorf("params %s: message %q should contain %q", params, r.Error.Message, want)
		}
	}
}

func TestHandlerErrors(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	_, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"fail"}`)
	wantCode(t, r, CodeApplication)
	if r.Error.Message != "refused for a reason" {
		t.Errorf("message %q", r.Error.Message)
	}
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"coded"}`)
	wantCode(t, r, -32050)
	if d, _ := json.Marshal(r.Error.Data); string(d) != `{"k":"v"}` {
		t.Errorf("data %s", d)
	}
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"range"}`)
	wantCode(t, r, CodeInvalidParams)
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"boom"}`)
	wantCode(t, r, CodeInternal)
	// A panicking handler must not take the server with it.
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":2,"method":"add","params":[1,1]}`)
	if string(r.Result) != "2" {
		t.Fatalf("after panic: %s", r.Result)
	}
}

func TestNullResultIsPresent(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	_, b := post(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"nothing"}`)
	if string(b) != `{"jsonrpc":"2.0","id":1,"result":null}` {
		t.Fatalf("got %s", b)
	}
}

func TestNotifications(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	status, b := post(t, ts.url, `{"jsonrpc":"2.0","method":"record","params":["single"]}`)
	if status != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("notification: status %d body %q", status, b)
	}
	if got := recv(t, ts.called, "notification handler"); got != "single" {
		t.Fatalf("handler got %q", got)
	}
	// Errors in notifications are not reported either.
	status, b = post(t, ts.url, `{"jsonrpc":"2.0","method":"no.such"}`)
	if status != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("unknown-method notification: status %d body %q", status, b)
	}
	status, b = post(t, ts.url, `[{"jsonrpc":"2.0","method":"record","params":["n1"]},{"jsonrpc":"2.0","method":"record","params":["n2"]}]`)
	if status != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("all-notification batch: status %d body %q", status, b)
	}
	got := []string{recv(t, ts.called, "n1"), recv(t, ts.called, "n2")}
	slices.Sort(got)
	if !slices.Equal(got, []string{"n1", "n2"}) {
		t.Fatalf("batch notifications ran %v", got)
	}
}

func TestBatch(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	body := `[
		{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]},
		{"jsonrpc":"2.0","method":"record","params":["in-batch"]},
		1,
		{"jsonrpc":"2.0","id":"x","method":"no.such"},
		{"jsonrpc":"2.0","id":null,"method":"add","params":{"a":5}}
	]`
	status, b := post(t, ts.url, body)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var rs []testResp
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(rs) != 4 {
		t.Fatalf("want 4 responses (notification omitted), got %d: %s", len(rs), b)
	}
	byID := map[string]testResp{}
	for _, r := range rs {
		byID[string(r.ID)] = r
	}
	if r := byID["1"]; string(r.Result) != "3" {
		t.Errorf("id 1: %s", b)
	}
	if r := byID[`"x"`]; r.Error == nil || r.Error.Code != CodeMethodNotFound {
		t.Errorf("id x: %s", b)
	}
	// Both the invalid element and the id:null request answer with id null.
	var nulls []testResp
	for _, r := range rs {
		if string(r.ID) == "null" {
			nulls = append(nulls, r)
		}
	}
	if len(nulls) != 2 {
		t.Fatalf("want 2 null-id responses: %s", b)
	}
	codes := []int{}
	for _, r := range nulls {
		if r.Error != nil {
			codes = append(codes, r.Error.Code)
		} else if string(r.Result) != "5" {
			t.Errorf("id null result %s", r.Result)
		}
	}
	if !slices.Equal(codes, []int{CodeInvalidRequest}) {
		t.Errorf("null-id error codes %v", codes)
	}
	if got := recv(t, ts.called, "batch notification"); got != "in-batch" {
		t.Errorf("notification got %q", got)
	}
}

func TestBatchTooLarge(t *testing.T) {
	ts := startServer(t, Config{MaxBatch: 3}, nil)
	one := `{"jsonrpc":"2.0","id":1,"method":"add"}`
	_, r := postOne(t, ts.url, "["+strings.Repeat(one+",", 3)+one+"]")
	wantCode(t, r, CodeInvalidRequest)
	status, b := post(t, ts.url, "["+one+","+one+","+one+"]")
	var rs []testResp
	if status != http.StatusOK || json.Unmarshal(b, &rs) != nil || len(rs) != 3 {
		t.Fatalf("batch at the limit: %d %s", status, b)
	}
}

// unsizedReader hides its length so the request goes out chunked and the
// server cannot reject on Content-Length.
type unsizedReader struct{ r io.Reader }

func (u unsizedReader) Read(p []byte) (int, error) { return u.r.Read(p) }

func TestRequestTooLarge(t *testing.T) {
	ts := startServer(t, Config{MaxRequestBytes: 1024}, nil)
	big := `{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"pad":"` + strings.Repeat("x", 2048) + `"}}`
	for name, body := range map[string]io.Reader{
		"sized":   strings.NewReader(big),
		"chunked": unsizedReader{strings.NewReader(big)},
	} {
		status, b := postReader(t, ts.url, body)
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d", name, status)
		}
		var r testResp
		if err := json.Unmarshal(b, &r); err != nil || r.Error == nil || r.Error.Code != CodeTooLarge {
			t.Errorf("%s: body %s", name, b)
		}
	}
	// Just under the limit is fine.
	_, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`)
	if string(r.Result) != "3" {
		t.Fatalf("small request after large: %s", r.Result)
	}
}

func TestRateLimit(t *testing.T) {
	// A refill rate this low makes the test independent of wall-clock speed.
	ts := startServer(t, Config{RateLimit: 0.001, RateBurst: 4}, nil)
	one := `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`
	// A batch is charged per call: 3 of the 4 tokens.
	status, _ := post(t, ts.url, "["+one+","+one+","+one+"]")
	if status != http.StatusOK {
		t.Fatalf("batch within burst: %d", status)
	}
	if status, r := postOne(t, ts.url, one); status != http.StatusOK || r.Error != nil {
		t.Fatalf("last token: %d %v", status, r.Error)
	}
	status, r := postOne(t, ts.url, one)
	if status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", status)
	}
	wantCode(t, r, CodeRateLimited)

	// The client surfaces the 429 body as *Error.
	c, err := Dial(testCtx(t), ts.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var rerr *Error
	if err := c.Call(testCtx(t), "add", nil, nil); !errors.As(err, &rerr) || rerr.Code != CodeRateLimited {
		t.Fatalf("client error %v", err)
	}
	// Health checks are not charged: monitoring must see a limited node.
	res, err := http.Get(strings.TrimSuffix(ts.url, "/") + "/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("health while limited: %d", res.StatusCode)
	}
}

func TestRateLimitDisabledByZero(t *testing.T) {
	ts := startServer(t, Config{RateLimit: 0}, nil)
	for i := range 50 {
		if status, _ := post(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add"}`); status != http.StatusOK {
			t.Fatalf("request %d: %d", i, status)
		}
	}
}

func TestHealthAndRouting(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	base := strings.TrimSuffix(ts.url, "/")
	res, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(b) != `{"ok":true}` {
		t.Fatalf("health: %d %s", res.StatusCode, b)
	}
	res, err = http.Get(ts.url) // GET without Upgrade
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("plain GET /: %d", res.StatusCode)
	}
	status, _ := post(t, base+"/other", `{}`)
	if status != http.StatusNotFound {
		t.Fatalf("POST /other: %d", status)
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAdminCookie(t *testing.T) {
	dir := t.TempDir()
	cookie := filepath.Join(dir, ".cookie")
	// A stale, world-readable cookie must not keep its mode.
	if err := os.WriteFile(cookie, []byte("__cookie__:stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{CookiePath: cookie}, nil)

	fi, err := os.Stat(cookie)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("cookie mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(cookie)
	user, tok, _ := strings.Cut(string(b), ":")
	if raw, err := hex.DecodeString(tok); user != CookieUser || err != nil || len(raw) != 32 {
		t.Fatalf("cookie content %q", b)
	}
	if tok != ts.s.Token() {
		t.Fatal("cookie does not hold the server token")
	}
	if got, err := ReadCookie(cookie); err != nil || got != tok {
		t.Fatalf("ReadCookie: %q %v", got, err)
	}

	call := `{"jsonrpc":"2.0","id":1,"method":"secret"}`
	for name, auth := range map[string]string{
		"none":         "",
		"wrong token":  basic(CookieUser, strings.Repeat("0", 64)),
		"wrong user":   basic("admin", tok),
		"wrong bearer": "Bearer " + tok[:63] + "x",
		"empty bearer": "Bearer ",
	} {
		var hdr []string
		if auth != "" {
			hdr = []string{"Authorization", auth}
		}
		_, r := postOne(t, ts.url, call, hdr...)
		wantCode(t, r, CodeUnauthorized)
		_ = name
	}
	for name, auth := range map[string]string{
		"basic":  basic(CookieUser, tok),
		"bearer": "Bearer " + tok,
	} {
		_, r := postOne(t, ts.url, call, "Authorization", auth)
		if r.Error != nil || string(r.Result) != `"ok"` {
			t.Errorf("%s: %s %v", name, r.Result, r.Error)
		}
	}
	// Non-admin methods need no auth.
	if _, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,1]}`); r.Error != nil {
		t.Fatal(r.Error)
	}

	ctx := testCtx(t)
	for _, url := range []string{ts.url, ts.ws} {
		c, err := Dial(ctx, url, WithCookieFile(cookie))
		if err != nil {
			t.Fatal(err)
		}
		var s string
		if err := c.Call(ctx, "secret", nil, &s); err != nil || s != "ok" {
			t.Errorf("%s with cookie: %q %v", url, s, err)
		}
		c.Close()
		c, err = Dial(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var rerr *Error
		if err := c.Call(ctx, "secret", nil, nil); !errors.As(err, &rerr) || rerr.Code != CodeUnauthorized {
			t.Errorf("%s without cookie: %v", url, err)
		}
		c.Close()
	}

	ts.cancel()
	if err := ts.s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cookie); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cookie not removed on close: %v", err)
	}
}

func TestCookieOfAnotherServerIsKept(t *testing.T) {
	cookie := filepath.Join(t.TempDir(), ".cookie")
	ts := startServer(t, Config{CookiePath: cookie}, nil)
	if err := os.WriteFile(cookie, []byte("__cookie__:someone-else"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ts.s.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(cookie); err != nil || string(b) != "__cookie__:someone-else" {
		t.Fatalf("foreign cookie removed or changed: %q %v", b, err)
	}
}

func TestReadCookieFormats(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"__cookie__:abc\n": "abc",
		"abc":              "abc",
	} {
		p := filepath.Join(dir, "c")
		os.WriteFile(p, []byte(content), 0o600)
		if got, err := ReadCookie(p); err != nil || got != want {
			t.Errorf("%q: %q %v", content, got, err)
		}
	}
	for _, content := range []string{"", "user:tok", "a b"} {
		p := filepath.Join(dir, "c")
		os.WriteFile(p, []byte(content), 0o600)
		if got, err := ReadCookie(p); err == nil {
			t.Errorf("%q: accepted as %q", content, got)
		}
	}
	if _, err := ReadCookie(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestMethodsAndRegistration(t *testing.T) {
	ts := startServer(t, Config{}, func(s *Server) {
		s.RegisterSubscription("ticks", func(ctx context.Context, _ json.RawMessage, _ func(any) error) error {
			<-ctx.Done()
			return nil
		})
	})
	ms := ts.s.Methods()
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "rpc.methods") || !slices.Contains(names, "secret") {
		t.Fatalf("Methods() = %v", names)
	}
	_, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"rpc.methods"}`)
	var infos []MethodInfo
	if err := json.Unmarshal(r.Result, &infos); err != nil {
		t.Fatal(err)
	}
	find := func(name string) MethodInfo {
		for _, i := range infos {
			if i.Name == name {
				return i
			}
		}
		t.Fatalf("rpc.methods lacks %q: %s", name, r.Result)
		return MethodInfo{}
	}
	if m := find("secret"); !m.Admin || m.Summary != "admin only" {
		t.Errorf("secret: %+v", m)
	}
	if m := find("ticks"); !m.Subscription {
		t.Errorf("ticks: %+v", m)
	}

	h := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	mustPanic(t, "duplicate", func() { ts.s.Register(Method{Name: "add", Handler: h}) })
	mustPanic(t, "reserved", func() { ts.s.Register(Method{Name: "subscribe", Handler: h}) })
	mustPanic(t, "nil handler", func() { ts.s.Register(Method{Name: "x"}) })
	mustPanic(t, "duplicate subscription", func() {
		ts.s.RegisterSubscription("ticks", func(context.Context, json.RawMessage, func(any) error) error { return nil })
	})
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

func TestGracefulShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	cookie := filepath.Join(t.TempDir(), ".cookie")
	ts := startServer(t, Config{CookiePath: cookie}, func(s *Server) {
		s.Register(Method{Name: "slow", Handler: func(context.Context, json.RawMessage) (any, error) {
			close(entered)
			<-release
			return "finished", nil
		}})
		s.RegisterSubscription("forever", func(ctx context.Context, _ json.RawMessage, _ func(any) error) error {
			<-ctx.Done()
			return nil
		})
	})
	ctx := testCtx(t)
	ws, err := Dial(ctx, ts.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	sub, _, err := ws.Subscribe(ctx, "forever")
	if err != nil {
		t.Fatal(err)
	}

	c, err := Dial(ctx, ts.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	result := make(chan error, 1)
	go func() {
		var s string
		err := c.Call(ctx, "slow", nil, &s)
		if err == nil && s != "finished" {
			err = errors.New("wrong result " + s)
		}
		result <- err
	}()
	recv(t, entered, "slow handler to start")

	ts.cancel()
	// Shutdown cannot complete while a call is in flight.
	select {
	case <-ts.s.Done():
		t.Fatal("shutdown completed with a call in flight")
	default:
	}
	close(release)
	if err := recv(t, result, "in-flight call"); err != nil {
		t.Fatalf("in-flight call failed: %v", err)
	}
	recv(t, ts.s.Done(), "shutdown")
	// WebSocket subscribers are told the server went away.
	for range sub {
	}
	if _, err := os.Stat(cookie); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cookie survives shutdown: %v", err)
	}
	if err := c.Call(ctx, "add", nil, nil); err == nil {
		t.Fatal("call after shutdown succeeded")
	}
	if _, err := ts.s.ListenAndServe(context.Background(), "127.0.0.1:0"); err == nil {
		t.Fatal("restart after close succeeded")
	}
}

func TestDecodeParams(t *testing.T) {
	type pos struct {
		Name  string `json:"name"`
		Skip  int    `json:"-"`
		Count int
		inner int
	}
	var p pos
	if err := DecodeParams(json.RawMessage(`["a", 3]`), &p); err != nil || p.Name != "a" || p.Count != 3 {
		t.Fatalf("positional: %+v %v", p, err)
	}
	var s []int
	if err := DecodeParams(json.RawMessage(`[1,2,3]`), &s); err != nil || !slices.Equal(s, []int{1, 2, 3}) {
		t.Fatalf("slice: %v %v", s, err)
	}
	var m map[string]int
	if err := DecodeParams(json.RawMessage(`{"x":1}`), &m); err != nil || m["x"] != 1 {
		t.Fatalf("map: %v %v", m, err)
	}
	for _, bad := range []string{`["a",3,4]`, `[1]`, `{"name":"a","extra":1}`, `{"name":1}`, `"str"`, `{"name":"a"} x`} {
		err := DecodeParams(json.RawMessage(bad), &pos{})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidParams {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if err := DecodeParams(nil, pos{}); err == nil {
		t.Error("non-pointer accepted")
	}
	var untouched = pos{Name: "keep"}
	if err := DecodeParams(nil, &untouched); err != nil || untouched.Name != "keep" {
		t.Errorf("nil params: %+v %v", untouched, err)
	}
	// Byte-identical behaviour regardless of surrounding whitespace.
	if err := DecodeParams(bytes.Repeat([]byte(" "), 3), &untouched); err != nil {
		t.Error(err)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	ts := startServer(t, Config{AllowedOrigins: []string{"wallet.example"}}, nil)
	call := `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`
	host := strings.TrimSuffix(strings.TrimPrefix(ts.url, "http://"), "/")
	for origin, want := range map[string]int{
		"":                       http.StatusOK,
		"http://" + host:         http.StatusOK,
		"https://wallet.example": http.StatusOK,
		"http://evil.example":    http.StatusForbidden,
		"null":                   http.StatusForbidden,
	} {
		var hdr []string
		if origin != "" {
			hdr = []string{"Origin", origin}
		}
		if status, b := post(t, ts.url, call, hdr...); status != want {
			t.Errorf("origin %q: status %d, want %d (%s)", origin, status, want, b)
		}
	}
	// The WebSocket upgrade applies the same rule.
	hdr := http.Header{"Origin": {"http://evil.example"}}
	if _, _, err := websocket.Dial(testCtx(t), ts.ws, &websocket.DialOptions{HTTPHeader: hdr}); err == nil {
		t.Error("cross-origin websocket accepted")
	}
	hdr = http.Header{"Origin": {"https://wallet.example"}}
	conn, _, err := websocket.Dial(testCtx(t), ts.ws, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatalf("allowed-origin websocket: %v", err)
	}
	conn.CloseNow()
}
