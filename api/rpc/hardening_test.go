package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/mempool"
)

// waitFor polls cond until it holds or waitTimeout passes: a wait on a
// condition, not a sleep standing in for one.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// feedSetup is a SetupSubscriber over a feed, as the node's newHeads is:
// setup subscribes, run forwards and, in its defer, unsubscribes.
func feedSetup(feed *Feed[int], hold func(ctx context.Context)) SetupSubscriber {
	return func(ctx context.Context, _ json.RawMessage) (func(func(any) error) error, error) {
		ch, cancel := feed.Subscribe(8)
		if hold != nil {
			hold(ctx)
		}
		return func(notify func(any) error) error {
			defer cancel()
			for {
				select {
				case <-ctx.Done():
					return nil
				case v := <-ch:
					if err := notify(v); err != nil {
						return err
					}
				}
			}
		}, nil
	}
}

// TestSubscribeReplyUnqueuedReleasesFeed: a subscribe whose reply cannot be
// queued because the client has gone must not leave its feed subscription
// behind (before the fix it stayed for the life of the process).
func TestSubscribeReplyUnqueuedReleasesFeed(t *testing.T) {
	var feed Feed[int]
	inSetup := make(chan struct{}, 1)
	ts := startServer(t, Config{}, func(s *Server) {
		s.RegisterSetupSubscription("values", feedSetup(&feed, func(ctx context.Context) {
			inSetup <- struct{}{}
			<-ctx.Done() // finish setup only once the client is gone
		}))
	})
	conn := rawDial(t, ts.ws)
	rawSend(t, conn, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["values"]}`)
	recv(t, inSetup, "setup")
	if feed.Len() != 1 {
		t.Fatalf("feed has %d subscribers during setup", feed.Len())
	}
	conn.CloseNow()
	waitFor(t, "the feed subscription to be released", func() bool { return feed.Len() == 0 })
	waitFor(t, "the subscription slot to be released", func() bool { return ts.s.Subscriptions() == 0 })
}

// TestEarlyDisconnectsLeaveNoSubscriptions: many clients subscribe and
// reset at once, without reading a reply; afterwards the feed and the
// server hold no subscription.
func TestEarlyDisconnectsLeaveNoSubscriptions(t *testing.T) {
	var feed Feed[int]
	ts := startServer(t, Config{}, func(s *Server) { s.RegisterSetupSubscription("values", feedSetup(&feed, nil)) })
	sub := []byte(`{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["values"]}`)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, _, err := websocket.Dial(testCtx(t), ts.ws, nil)
			if err != nil {
				t.Error(err)
				return
			}
			for range 25 {
				if conn.Write(testCtx(t), websocket.MessageText, sub) != nil {
					break
				}
			}
			conn.CloseNow()
		}()
	}
	wg.Wait()
	waitFor(t, "every feed subscription to be released", func() bool { return feed.Len() == 0 })
	waitFor(t, "every subscription slot to be released", func() bool { return ts.s.Subscriptions() == 0 })
	waitFor(t, "every connection to close", func() bool { return ts.s.Conns() == 0 })
}

func TestGlobalSubscriptionCap(t *testing.T) {
	var feed Feed[int]
	ts := startServer(t, Config{MaxSubscriptions: 3}, func(s *Server) { s.RegisterSetupSubscription("values", feedSetup(&feed, nil)) })
	a, b := rawDial(t, ts.ws), rawDial(t, ts.ws)
	subscribe := func(conn *websocket.Conn) map[string]json.RawMessage {
		rawSend(t, conn, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["values"]}`)
		return rawRead(t, conn)
	}
	var first string
	for i, conn := range []*websocket.Conn{a, a, b} {
		m := subscribe(conn)
		if !subIDRe.Match(m["result"]) {
			t.Fatalf("subscription %d: %v", i, m)
		}
		if i == 0 {
			first = string(m["result"])
		}
	}
	m := subscribe(b)
	if !strings.Contains(string(m["error"]), fmt.Sprint(CodeOverCapacity)) || !strings.Contains(string(m["error"]), "limit 3") {
		t.Fatalf("fourth subscription over the node-wide cap: %v", m)
	}
	rawSend(t, a, `{"jsonrpc":"2.0","id":2,"method":"unsubscribe","params":[`+first+`]}`)
	if m := rawRead(t, a); string(m["result"]) != "true" {
		t.Fatalf("unsubscribe: %v", m)
	}
	if m := subscribe(b); !subIDRe.Match(m["result"]) {
		t.Fatalf("subscription after a slot was freed: %v", m)
	}
}

// hostReq sends a call with a chosen Host header (and optional Origin).
func hostReq(t *testing.T, method, url, host, origin, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestHostAllowList: DNS rebinding. A page on evil.example whose name is
// re-pointed to 127.0.0.1 sends Host and Origin evil.example; before the
// fix the Origin matched the Host and the call went through.
func TestHostAllowList(t *testing.T) {
	ts := startServer(t, Config{VirtualHosts: []string{"node.example", "*.lan"}}, nil)
	hostport := strings.TrimSuffix(strings.TrimPrefix(ts.url, "http://"), "/")
	_, port, _ := net.SplitHostPort(hostport)
	call := `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`

	status, b := hostReq(t, http.MethodPost, ts.url, "evil.example:"+port, "http://evil.example:"+port, call)
	if status != http.StatusForbidden || !strings.Contains(string(b), "--rpc-vhosts evil.example") {
		t.Fatalf("rebound host: %d %s", status, b)
	}
	var r testResp
	if json.Unmarshal(b, &r) != nil || r.Error == nil || r.Error.Code != CodeForbidden {
		t.Fatalf("refusal is not a JSON-RPC error: %s", b)
	}
	for host, want := range map[string]int{
		"evil.example:" + port:      http.StatusForbidden,
		"EVIL.example.":             http.StatusForbidden,
		"127.0.0.1:" + port:         http.StatusOK,
		"localhost:" + port:         http.StatusOK,
		"LocalHost.:" + port:        http.StatusOK,
		"app.localhost:" + port:     http.StatusOK,
		"[::1]:" + port:             http.StatusOK,
		"192.168.1.7:" + port:       http.StatusOK, // an IP literal cannot be rebound
		"node.example:" + port:      http.StatusOK,
		"box.lan":                   http.StatusOK,
		"node.example.evil:" + port: http.StatusForbidden,
	} {
		if status, b := hostReq(t, http.MethodPost, ts.url, host, "", call); status != want {
			t.Errorf("Host %q: status %d, want %d (%s)", host, status, want, b)
		}
	}
	// Every path is guarded, not only JSON-RPC.
	if status, _ := hostReq(t, http.MethodGet, strings.TrimSuffix(ts.url, "/")+"/health", "evil.example:"+port, "", ""); status != http.StatusForbidden {
		t.Errorf("health with a rebound Host: %d", status)
	}
	// And the WebSocket upgrade.
	_, res, err := websocket.Dial(testCtx(t), ts.ws, &websocket.DialOptions{Host: "evil.example:" + port,
		HTTPHeader: http.Header{"Origin": {"http://evil.example:" + port}}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("websocket with a rebound Host: %v %v", err, res)
	}
	// Same-origin pages served by the node itself are fine.
	for _, h := range []string{"127.0.0.1:" + port, "localhost:" + port} {
		if status, b := hostReq(t, http.MethodPost, ts.url, h, "http://"+h, call); status != http.StatusOK {
			t.Errorf("same-origin page on %s: %d %s", h, status, b)
		}
		conn, _, err := websocket.Dial(testCtx(t), ts.ws, &websocket.DialOptions{Host: h, HTTPHeader: http.Header{"Origin": {"http://" + h}}})
		if err != nil {
			t.Errorf("same-origin websocket on %s: %v", h, err)
		} else {
			conn.CloseNow()
		}
	}

	// "*" turns the check off; the listen address's own name is allowed.
	any := startServer(t, Config{VirtualHosts: []string{"*"}}, nil)
	if status, b := hostReq(t, http.MethodPost, any.url, "evil.example", "", call); status != http.StatusOK {
		t.Errorf(`vhosts "*": %d %s`, status, b)
	}
	s := NewServer(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := s.ListenAndServe(ctx, "localhost:0")
	if err != nil {
		t.Skipf("no localhost name: %v", err)
	}
	defer s.Close()
	if s.listenHost != "localhost" {
		t.Errorf("listen host %q", s.listenHost)
	}
	if status, b := hostReq(t, http.MethodPost, "http://"+addr.String()+"/", "localhost", "", call); status != http.StatusOK {
		t.Errorf("listen name: %d %s", status, b)
	}
}

// TestOriginSchemeCompared: same origin means the same scheme too; an
// https page (or any other scheme) on the same host:port is cross-origin.
func TestOriginSchemeCompared(t *testing.T) {
	ts := startServer(t, Config{AllowedOrigins: []string{"http://dev.example:5173", "wallet.example"}}, nil)
	host := strings.TrimSuffix(strings.TrimPrefix(ts.url, "http://"), "/")
	call := `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`
	for origin, want := range map[string]int{
		"http://" + host:                    http.StatusOK,
		"https://" + host:                   http.StatusForbidden,
		"ws://" + host:                      http.StatusForbidden,
		"http://dev.example:5173":           http.StatusOK,
		"https://dev.example:5173":          http.StatusForbidden,
		"https://wallet.example":            http.StatusOK,
		"http://wallet.example":             http.StatusOK,
		"chrome-extension://wallet.example": http.StatusForbidden,
		"null":                              http.StatusForbidden,
	} {
		status, b := hostReq(t, http.MethodPost, ts.url, host, origin, call)
		if status != want {
			t.Errorf("origin %q: %d, want %d (%s)", origin, status, want, b)
		}
		if status == http.StatusForbidden && !strings.Contains(string(b), "--rpc-origins") {
			t.Errorf("origin refusal does not say what to do: %s", b)
		}
	}
	_, res, err := websocket.Dial(testCtx(t), ts.ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://" + host}}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("websocket from an https origin: %v %v", err, res)
	}
}

// TestSlowBodyCutOff: clients that trickle their body one byte at a time
// are disconnected once ReadTimeout passes; before the fix only headers
// had a deadline and such connections stayed open for good.
func TestSlowBodyCutOff(t *testing.T) {
	ts := startServer(t, Config{ReadTimeout: 500 * time.Millisecond}, nil)
	addr := strings.TrimSuffix(strings.TrimPrefix(ts.url, "http://"), "/")
	const n = 20
	closed := make(chan time.Duration, n)
	start := time.Now()
	for range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
			t.Fatal(err)
		}
		// The drip: one byte every 100 ms until the server hangs up.
		go func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for range tick.C {
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		go func() {
			_, _ = io.Copy(io.Discard, conn) // returns when the server closes
			closed <- time.Since(start)
		}()
	}
	var last time.Duration
	for range n {
		last = recv(t, closed, "a slow-body connection to be closed")
	}
	t.Logf("%d slow-body connections closed after %v (ReadTimeout 500ms)", n, last)
	waitFor(t, "the server to release the connections", func() bool { return ts.s.Conns() == 0 })
}

// TestSlowBodyGets408: the client that is cut off is told why.
func TestSlowBodyGets408(t *testing.T) {
	ts := startServer(t, Config{ReadTimeout: 300 * time.Millisecond}, nil)
	addr := strings.TrimSuffix(strings.TrimPrefix(ts.url, "http://"), "/")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: "+addr+"\r\nContent-Length: 100\r\n\r\n{")
	_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "within") {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
}

// TestWebSocketOutlivesReadTimeout: the request deadlines do not carry
// over to an upgraded connection.
func TestWebSocketOutlivesReadTimeout(t *testing.T) {
	ts := startServer(t, Config{ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}, nil)
	ctx := testCtx(t)
	c, err := Dial(ctx, ts.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(600 * time.Millisecond)
	for time.Now().Before(deadline) {
		var sum int
		if err := c.Call(ctx, "add", []int{1, 2}, &sum); err != nil || sum != 3 {
			t.Fatalf("call on a websocket older than ReadTimeout: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // pacing the client, not synchronising
	}
}

func TestConnectionCap(t *testing.T) {
	ts := startServer(t, Config{MaxConns: 3}, nil)
	addr := strings.TrimSuffix(strings.TrimPrefix(ts.url, "http://"), "/")
	var held []net.Conn
	for range 3 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
		t.Cleanup(func() { conn.Close() })
	}
	waitFor(t, "three open connections", func() bool { return ts.s.Conns() == 3 })
	// A fresh client (no pooled connection) is refused with a reason.
	client := &http.Client{Transport: &http.Transport{}}
	res, err := client.Post(ts.url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), fmt.Sprint(CodeOverCapacity)) {
		t.Fatalf("over the cap: %d %s", res.StatusCode, b)
	}
	held[0].Close()
	waitFor(t, "a slot to free up", func() bool { return ts.s.Conns() == 2 })
	client = &http.Client{Transport: &http.Transport{}}
	res, err = client.Post(ts.url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("under the cap again: %d", res.StatusCode)
	}
}

// TestHugeBatchRefusedWhileScanning: a 1 MiB batch of half a million
// elements is refused after MaxBatch+1 of them, without decoding it whole
// (before the fix it allocated tens of MB first).
func TestHugeBatchRefusedWhileScanning(t *testing.T) {
	s := NewServer(Config{})
	testMethods(s, nil)
	body := make([]byte, 0, 1<<20)
	body = append(body, '[')
	for len(body) < 1<<20-2 {
		body = append(body, '1', ',')
	}
	body = append(body, '1', ']')
	p := &peer{ip: "127.0.0.1"}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	o := s.serveMessage(context.Background(), body, p)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	var r testResp
	if err := json.Unmarshal(o.body, &r); err != nil || r.Error == nil || r.Error.Code != CodeInvalidRequest ||
		!strings.Contains(r.Error.Message, "more than 100") {
		t.Fatalf("reply %s", o.body)
	}
	if alloc > 256<<10 {
		t.Fatalf("refusing a %d-byte batch allocated %d bytes; it was decoded, not scanned", len(body), alloc)
	}
	t.Logf("refusing a %d-byte batch of %d elements allocated %d bytes", len(body), len(body)/2, alloc)
}

func TestBindBeyondLoopbackWarns(t *testing.T) {
	for addr, loop := range map[string]bool{
		"127.0.0.1:1": true, "[::1]:1": true, "127.0.0.9:1": true,
		"0.0.0.0:1": false, "[::]:1": false, "192.168.1.5:1": false,
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := loopbackAddr(a); got != loop {
			t.Errorf("%s: loopback %v, want %v", addr, got, loop)
		}
		var logs bytes.Buffer
		s := NewServer(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		s.warnIfExposed(a)
		var rec struct {
			Level, Msg, Addr string
		}
		warned := json.Unmarshal(logs.Bytes(), &rec) == nil && rec.Level == "WARN" &&
			strings.Contains(rec.Msg, "beyond this machine") && rec.Addr == a.String()
		if warned == loop {
			t.Errorf("%s: warned %v (log %q)", addr, warned, logs.String())
		}
	}
	// On loopback the node says nothing.
	var logs bytes.Buffer
	var mu sync.Mutex
	h := slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn})
	s := NewServer(Config{Logger: slog.New(h)})
	if _, err := s.ListenAndServe(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "beyond this machine") {
		t.Fatalf("loopback bind warned: %s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRateLimitPerConnection: one connection cannot spend its IP's whole
// budget, and the cookie-authenticated operator is never limited.
func TestRateLimitPerConnection(t *testing.T) {
	ts := startServer(t, Config{RateLimit: 0.001, RateBurst: 8, ConnRateLimit: 0.001, ConnRateBurst: 3}, nil)
	call := `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`
	busy := rawDial(t, ts.ws) // upgrade: 1 IP token
	for i := range 4 {
		rawSend(t, busy, call)
		m := rawRead(t, busy)
		if limited := strings.Contains(string(m["error"]), fmt.Sprint(CodeRateLimited)); limited != (i == 3) {
			t.Fatalf("busy connection call %d: %v", i, m)
		}
	}
	// 1 + 3 IP tokens spent, 4 left: another connection is still served.
	other := rawDial(t, ts.ws)
	rawSend(t, other, call)
	if m := rawRead(t, other); string(m["result"]) != "3" {
		t.Fatalf("second connection after the first was limited: %v", m)
	}
	// Drain the IP bucket over HTTP, then the operator's calls still pass.
	for {
		status, _ := post(t, ts.url, call)
		if status == http.StatusTooManyRequests {
			break
		}
	}
	for i := range 20 {
		if status, r := postOne(t, ts.url, call, "Authorization", "Bearer "+ts.s.Token()); status != http.StatusOK || r.Error != nil {
			t.Fatalf("operator call %d while the IP is limited: %d %v", i, status, r.Error)
		}
	}
	admin, err := Dial(testCtx(t), ts.ws, WithToken(ts.s.Token()))
	if err != nil {
		t.Fatalf("operator websocket while the IP is limited: %v", err)
	}
	defer admin.Close()
	for i := range 20 {
		if err := admin.Call(testCtx(t), "add", []int{1, 2}, nil); err != nil {
			t.Fatalf("operator websocket call %d: %v", i, err)
		}
	}
}

// TestExactMemberNames: member names are matched exactly; encoding/json's
// case-insensitive matching accepted {"JSONRPC","ID","METHOD"}.
func TestExactMemberNames(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	_, r := postOne(t, ts.url, `{"JSONRPC":"2.0","ID":7,"METHOD":"add"}`)
	wantCode(t, r, CodeInvalidRequest)
	if !strings.Contains(r.Error.Message, `"METHOD"`) || !strings.Contains(r.Error.Message, "case-sensitive") {
		t.Fatalf("message does not name the member: %s", r.Error.Message)
	}
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":7,"Method":"add"}`)
	wantCode(t, r, CodeInvalidRequest)
	if string(r.ID) != "7" || !strings.Contains(r.Error.Message, `write "method", not "Method"`) {
		t.Fatalf("id %s, message %s", r.ID, r.Error.Message)
	}
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":7,"method":"add","param":[1,2]}`)
	wantCode(t, r, CodeInvalidRequest)
	if !strings.Contains(r.Error.Message, `"param"`) {
		t.Fatalf("message %s", r.Error.Message)
	}
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":7,"method":"add","method":"boom"}`)
	wantCode(t, r, CodeInvalidRequest)
	// Params by name are exact too.
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":7,"method":"add","params":{"A":1,"b":2}}`)
	wantCode(t, r, CodeInvalidParams)
	if !strings.Contains(r.Error.Message, `"A"`) {
		t.Fatalf("params message %s", r.Error.Message)
	}
	_, r = postOne(t, ts.url, `{"jsonrpc":"2.0","id":7,"method":"add","params":{"a":1,"b":2}}`)
	if string(r.Result) != "3" {
		t.Fatalf("exact names refused: %v", r.Error)
	}
}

// TestRuleErrorKindInData: a typed rule error anywhere in a handler's
// error chain reaches the client as error.data.kind.
func TestRuleErrorKindInData(t *testing.T) {
	ts := startServer(t, Config{}, func(s *Server) {
		s.Register(Method{Name: "nonce", Handler: func(context.Context, json.RawMessage) (any, error) {
			return nil, fmt.Errorf("submit: %w", consensus.RuleErrorf(consensus.ErrBadNonce, "nonce 3, want 2"))
		}})
		s.Register(Method{Name: "fee", Handler: func(context.Context, json.RawMessage) (any, error) {
			return nil, mempool.PolicyError{Kind: mempool.ErrFeeTooLow, Description: "fee rate 0 below 1"}
		}})
		s.Register(Method{Name: "plain", Handler: func(context.Context, json.RawMessage) (any, error) {
			return nil, errors.New("no kind here")
		}})
	})
	for method, kind := range map[string]string{"nonce": "ErrBadNonce", "fee": "ErrFeeTooLow"} {
		_, b := post(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"`+method+`"}`)
		var raw struct {
			Error struct {
				Code int             `json:"code"`
				Data json.RawMessage `json:"data"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &raw); err != nil || string(raw.Error.Data) != `{"kind":"`+kind+`"}` {
			t.Errorf("%s: %s", method, b)
		}
	}
	_, b := post(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"plain"}`)
	if strings.Contains(string(b), `"data"`) {
		t.Errorf("an untyped error got data: %s", b)
	}
	// The client reads the kind back without knowing the engine's types.
	c, err := Dial(testCtx(t), ts.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Call(testCtx(t), "nonce", nil, nil)
	var rerr *Error
	if !errors.As(err, &rerr) || rerr.Kind() != "ErrBadNonce" || KindOf(err) != "ErrBadNonce" {
		t.Fatalf("client error %v (kind %q)", err, KindOf(err))
	}
	if KindOf(consensus.RuleErrorf(consensus.ErrHighHash, "x")) != "ErrHighHash" || KindOf(errors.New("x")) != "" {
		t.Fatal("KindOf on server-side errors")
	}
}

// TestDeadlinesDoNotOutliveTheirRequest: the body deadline does not cancel
// a method that runs longer, and one response's write deadline does not
// break the next call on the same keep-alive connection.
func TestDeadlinesDoNotOutliveTheirRequest(t *testing.T) {
	const d = 300 * time.Millisecond
	ts := startServer(t, Config{ReadTimeout: d, WriteTimeout: d}, func(s *Server) {
		s.Register(Method{Name: "slow", Handler: func(ctx context.Context, _ json.RawMessage) (any, error) {
			select {
			case <-ctx.Done():
				return nil, errors.New("context cancelled while working")
			case <-time.After(3 * d):
				return "done", nil
			}
		}})
	})
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	call := func(method string) string {
		req, _ := http.NewRequest(http.MethodPost, ts.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"`+method+`"}`))
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if got := call("slow"); !strings.Contains(got, `"done"`) {
		t.Fatalf("slow method past ReadTimeout: %s", got)
	}
	time.Sleep(2 * d) // let the first response's write deadline pass
	if got := call("slow"); !strings.Contains(got, `"done"`) {
		t.Fatalf("second call on the connection: %s", got)
	}
}

// TestSlowReaderCutOff: a client that asks for a large answer and never
// reads it is disconnected once WriteTimeout passes, instead of holding
// its connection (and the handler's goroutine) forever.
func TestSlowReaderCutOff(t *testing.T) {
	big := strings.Repeat("x", 16<<20)
	ts := startServer(t, Config{WriteTimeout: 300 * time.Millisecond}, func(s *Server) {
		s.Register(Method{Name: "big", Handler: func(context.Context, json.RawMessage) (any, error) { return big, nil }})
	})
	addr := strings.TrimSuffix(strings.TrimPrefix(ts.url, "http://"), "/")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"jsonrpc":"2.0","id":1,"method":"big"}`
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
	waitFor(t, "the server to accept the connection", func() bool { return ts.s.Conns() == 1 })
	waitFor(t, "the server to drop a client that does not read", func() bool { return ts.s.Conns() == 0 })
}
