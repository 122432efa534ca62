package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

type countParams struct {
	N int `json:"n"`
}

// countSub sends 0..n-1 and then waits; stopped receives when its ctx ends.
func countSub(stopped chan<- struct{}) Subscriber {
	return func(ctx context.Context, params json.RawMessage, notify func(any) error) error {
		defer func() { stopped <- struct{}{} }()
		var p countParams
		if err := DecodeParams(params, &p); err != nil {
			return err
		}
		for i := range p.N {
			if err := notify(i); err != nil {
				return err
			}
		}
		<-ctx.Done()
		return nil
	}
}

func TestWebSocketCalls(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	ctx := testCtx(t)
	c, err := Dial(ctx, ts.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sum int
	if err := c.Call(ctx, "add", addParams{A: 40, B: 2}, &sum); err != nil || sum != 42 {
		t.Fatalf("named: %d %v", sum, err)
	}
	if err := c.Call(ctx, "add", []int{1, 2}, &sum); err != nil || sum != 3 {
		t.Fatalf("positional: %d %v", sum, err)
	}
	var rerr *Error
	if err := c.Call(ctx, "no.such", nil, nil); !errors.As(err, &rerr) || rerr.Code != CodeMethodNotFound {
		t.Fatalf("unknown method: %v", err)
	}
	if err := c.Call(ctx, "secret", nil, nil); !errors.As(err, &rerr) || rerr.Code != CodeUnauthorized {
		t.Fatalf("admin without token: %v", err)
	}
	admin, err := Dial(ctx, ts.ws, WithToken(ts.s.Token()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Call(ctx, "secret", nil, nil); err != nil {
		t.Fatalf("admin with token: %v", err)
	}
	// Many concurrent calls on one connection each get their own answer.
	errs := make(chan error, 50)
	for i := range 50 {
		go func() {
			var got int
			err := c.Call(ctx, "add", []int{i, i}, &got)
			if err == nil && got != 2*i {
				err = errors.New("crossed responses")
			}
			errs <- err
		}()
	}
	for range 50 {
		if err := recv(t, errs, "concurrent call"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := (&Client{}).Subscribe(ctx, "x"); err == nil {
		t.Fatal("subscribe without websocket accepted")
	}
}

func rawDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.Dial(testCtx(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

func rawSend(t *testing.T, conn *websocket.Conn, msg string) {
	t.Helper()
	if err := conn.Write(testCtx(t), websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func rawRead(t *testing.T, conn *websocket.Conn) map[string]json.RawMessage {
	t.Helper()
	_, b, err := conn.Read(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

var subIDRe = regexp.MustCompile(`^"0x[0-9a-f]{32}"$`)

func TestSubscriptionProtocol(t *testing.T) {
	stopped := make(chan struct{}, 4)
	ts := startServer(t, Config{}, func(s *Server) { s.RegisterSubscription("count", countSub(stopped)) })
	conn := rawDial(t, ts.ws)

	rawSend(t, conn, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["count",3]}`)
	// The id must arrive before any notification that uses it.
	m := rawRead(t, conn)
	id := string(m["result"])
	if string(m["id"]) != "1" || !subIDRe.MatchString(id) {
		t.Fatalf("subscribe reply %v", m)
	}
	for i := range 3 {
		m := rawRead(t, conn)
		var p subParams
		if string(m["method"]) != `"subscription"` || json.Unmarshal(m["params"], &p) != nil {
			t.Fatalf("notification %v", m)
		}
		if `"`+p.Subscription+`"` != id || string(p.Result) != string(rune('0'+i)) {
			t.Fatalf("notification %d: %+v", i, p)
		}
		if _, has := m["id"]; has {
			t.Fatalf("notification carries an id: %v", m)
		}
	}
	rawSend(t, conn, `{"jsonrpc":"2.0","id":2,"method":"unsubscribe","params":[`+id+`]}`)
	if m := rawRead(t, conn); string(m["result"]) != "true" {
		t.Fatalf("unsubscribe: %v", m)
	}
	recv(t, stopped, "subscriber to stop")
	rawSend(t, conn, `{"jsonrpc":"2.0","id":3,"method":"unsubscribe","params":[`+id+`]}`)
	if m := rawRead(t, conn); string(m["result"]) != "false" {
		t.Fatalf("second unsubscribe: %v", m)
	}

	for body, code := range map[string]string{
		`{"jsonrpc":"2.0","id":4,"method":"subscribe","params":["nope"]}`: "-32602",
		`{"jsonrpc":"2.0","id":4,"method":"subscribe","params":[]}`:       "-32602",
		`{"jsonrpc":"2.0","id":4,"method":"subscribe","params":{"a":1}}`:  "-32602",
		`{"jsonrpc":"2.0","id":4,"method":"unsubscribe","params":[1,2]}`:  "-32602",
		`{"jsonrpc":"2.0","id":4,"method":"secret"}`:                      "-32001",
		`{bad`: "-32700",
	} {
		rawSend(t, conn, body)
		m := rawRead(t, conn)
		if got := string(m["error"]); !strings.Contains(got, `"code":`+code) {
			t.Fatalf("%s: want code %s, got %v", body, code, m)
		}
	}

	// Batches work over WebSocket too.
	rawSend(t, conn, `[{"jsonrpc":"2.0","id":5,"method":"add","params":[1,2]},{"jsonrpc":"2.0","method":"record","params":["ws"]}]`)
	_, b, err := conn.Read(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[{"jsonrpc":"2.0","id":5,"result":3}]` {
		t.Fatalf("ws batch: %s", b)
	}
	if got := recv(t, ts.called, "ws notification"); got != "ws" {
		t.Fatalf("notification got %q", got)
	}
}

func TestSubscriptionOrderAndUnsubscribe(t *testing.T) {
	stopped := make(chan struct{}, 4)
	ts := startServer(t, Config{}, func(s *Server) { s.RegisterSubscription("count", countSub(stopped)) })
	ctx := testCtx(t)
	c, err := Dial(ctx, ts.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 800 // below the client buffer so a slow test reader is not cut off
	ch, stop, err := c.Subscribe(ctx, "count", n)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		raw, ok := <-ch
		if !ok {
			t.Fatalf("channel closed after %d notifications", i)
		}
		if string(raw) != jsonInt(i) {
			t.Fatalf("notification %d is %s: out of order", i, raw)
		}
	}
	stop()
	recv(t, stopped, "server-side subscriber to stop")
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after stop")
	}
	stop() // idempotent
	// The connection stays usable.
	if err := c.Call(ctx, "add", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func jsonInt(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestSubscriberErrorEndsSubscription(t *testing.T) {
	stopped := make(chan struct{}, 4)
	ts := startServer(t, Config{}, func(s *Server) { s.RegisterSubscription("count", countSub(stopped)) })
	ctx := testCtx(t)
	c, err := Dial(ctx, ts.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// "x" is not an int: the subscriber rejects its params after the id was
	// issued, so the client learns through a final error notice.
	ch, stop, err := c.Subscribe(ctx, "count", "x")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	recv(t, stopped, "subscriber to return")
	select {
	case v, ok := <-ch:
		if ok {
			t.Fatalf("unexpected notification %s", v)
		}
	case <-ctx.Done():
		t.Fatal("channel not closed after subscriber error")
	}
}

func TestSlowConsumerDisconnected(t *testing.T) {
	flooded := make(chan error, 1)
	ts := startServer(t, Config{SendQueue: 8}, func(s *Server) {
		s.RegisterSubscription("flood", func(ctx context.Context, _ json.RawMessage, notify func(any) error) error {
			pad := strings.Repeat("x", 4096)
			for {
				if err := notify(pad); err != nil {
					flooded <- err
					return err
				}
			}
		})
	})
	conn := rawDial(t, ts.ws)
	rawSend(t, conn, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["flood"]}`)
	// The client never reads, so the socket buffers fill, then the queue.
	err := recv(t, flooded, "slow consumer detection")
	if !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("notify error %v, want ErrSlowConsumer", err)
	}
	// The client sees the connection end once it drains what was buffered.
	ctx := testCtx(t)
	for {
		if _, _, err := conn.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("connection not closed")
			}
			break
		}
	}
	// The server itself is unaffected.
	if _, r := postOne(t, ts.url, `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`); string(r.Result) != "3" {
		t.Fatalf("server after slow consumer: %s", r.Result)
	}
}

func TestWebSocketMessageTooLarge(t *testing.T) {
	ts := startServer(t, Config{MaxRequestBytes: 512}, nil)
	conn := rawDial(t, ts.ws)
	rawSend(t, conn, `{"jsonrpc":"2.0","id":1,"method":"add","params":{"pad":"`+strings.Repeat("x", 1024)+`"}}`)
	_, _, err := conn.Read(testCtx(t))
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("read after oversized message: %v", err)
	}
}

func TestWebSocketRateLimited(t *testing.T) {
	ts := startServer(t, Config{RateLimit: 0.001, RateBurst: 3}, nil)
	conn := rawDial(t, ts.ws) // the upgrade costs one token
	for i := range 3 {
		rawSend(t, conn, `{"jsonrpc":"2.0","id":1,"method":"add"}`)
		m := rawRead(t, conn)
		_, isErr := m["error"]
		if want := i == 2; isErr != want {
			t.Fatalf("call %d: %v", i, m)
		}
		if isErr && !strings.Contains(string(m["error"]), "-32005") {
			t.Fatalf("call %d: %v", i, m)
		}
	}
}

// TestSetupSubscriptionBeforeReply: a SetupSubscriber's setup has run when
// the client receives its subscription ID, so an event published right
// after the reply is delivered; a setup error is the subscribe call's
// error.
func TestSetupSubscriptionBeforeReply(t *testing.T) {
	var feed Feed[int]
	ts := startServer(t, Config{}, func(s *Server) {
		s.RegisterSetupSubscription("values", func(ctx context.Context, params json.RawMessage) (func(func(any) error) error, error) {
			if string(params) == `["bad"]` {
				return nil, InvalidParams("no such argument")
			}
			ch, cancel := feed.Subscribe(8)
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
		})
	})
	conn := rawDial(t, ts.ws)
	rawSend(t, conn, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["values"]}`)
	if m := rawRead(t, conn); !subIDRe.MatchString(string(m["result"])) {
		t.Fatalf("subscribe reply %v", m)
	}
	if feed.Len() != 1 {
		t.Fatalf("after the reply the feed has %d subscribers, want 1", feed.Len())
	}
	feed.Send(7)
	m := rawRead(t, conn)
	var p subParams
	if json.Unmarshal(m["params"], &p) != nil || string(p.Result) != "7" {
		t.Fatalf("notification %v", m)
	}
	rawSend(t, conn, `{"jsonrpc":"2.0","id":2,"method":"subscribe","params":["values","bad"]}`)
	if m := rawRead(t, conn); string(m["id"]) != "2" || !strings.Contains(string(m["error"]), "no such argument") {
		t.Fatalf("setup error reply %v", m)
	}
}
