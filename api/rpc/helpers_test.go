package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// waitTimeout bounds every wait on a channel in these tests; it is generous
// because -race on a 2-core CI box is slow, and a hit means a real hang.
const waitTimeout = 15 * time.Second

type addParams struct {
	A int `json:"a"`
	B int `json:"b"`
}

type testServer struct {
	s      *Server
	url    string // http://host:port/
	ws     string // ws://host:port/
	cancel context.CancelFunc
	called chan string // names of "record" invocations
}

func testMethods(s *Server, called chan string) {
	s.Register(Method{Name: "add", Summary: "a+b", Handler: func(_ context.Context, p json.RawMessage) (any, error) {
		var in addParams
		if err := DecodeParams(p, &in); err != nil {
			return nil, err
		}
		return in.A + in.B, nil
	}})
	s.Register(Method{Name: "nothing", Handler: func(context.Context, json.RawMessage) (any, error) { return nil, nil }})
	s.Register(Method{Name: "fail", Handler: func(context.Context, json.RawMessage) (any, error) {
		return nil, errors.New("refused for a reason")
	}})
	s.Register(Method{Name: "coded", Handler: func(context.Context, json.RawMessage) (any, error) {
		return nil, errors.Join(errors.New("context"), &Error{Code: -32050, Message: "custom", Data: map[string]string{"k": "v"}})
	}})
	s.Register(Method{Name: "range", Handler: func(context.Context, json.RawMessage) (any, error) {
		return nil, InvalidParams("height %d out of range", 99)
	}})
	s.Register(Method{Name: "boom", Handler: func(context.Context, json.RawMessage) (any, error) { panic("bug") }})
	s.Register(Method{Name: "secret", Admin: true, Summary: "admin only", Handler: func(context.Context, json.RawMessage) (any, error) { return "ok", nil }})
	s.Register(Method{Name: "record", Handler: func(_ context.Context, p json.RawMessage) (any, error) {
		var args []string
		_ = DecodeParams(p, &args)
		if called != nil {
			called <- strings.Join(args, ",")
		}
		return "recorded", nil
	}})
}

func startServer(t testing.TB, cfg Config, setup func(*Server)) *testServer {
	t.Helper()
	s := NewServer(cfg)
	ts := &testServer{s: s, called: make(chan string, 100)}
	testMethods(s, ts.called)
	if setup != nil {
		setup(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := s.ListenAndServe(ctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ts.cancel = cancel
	ts.url = "http://" + addr.String() + "/"
	ts.ws = "ws://" + addr.String() + "/"
	t.Cleanup(func() {
		cancel()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ts
}

type testResp struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *Error          `json:"error"`
}

func post(t testing.TB, url, body string, hdr ...string) (int, []byte) {
	t.Helper()
	return postReader(t, url, strings.NewReader(body), hdr...)
}

func postReader(t testing.TB, url string, body io.Reader, hdr ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// postOne posts body and decodes a single response object.
func postOne(t testing.TB, url, body string, hdr ...string) (int, testResp) {
	t.Helper()
	status, b := post(t, url, body, hdr...)
	var r testResp
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("response %q: %v", b, err)
	}
	if r.JSONRPC != "2.0" {
		t.Fatalf("response %q lacks jsonrpc 2.0", b)
	}
	if (r.Error == nil) == (r.Result == nil) {
		t.Fatalf("response %q must have exactly one of result and error", b)
	}
	return status, r
}

func wantCode(t testing.TB, r testResp, code int) {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("want error %d, got result %s", code, r.Result)
	}
	if r.Error.Code != code {
		t.Fatalf("want error %d, got %d (%s)", code, r.Error.Code, r.Error.Message)
	}
}

func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	t.Cleanup(cancel)
	return ctx
}
