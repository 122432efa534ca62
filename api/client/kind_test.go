package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api/rpc"
)

// TestKindFromErrorData: a refusal's kind reaches the client through a real
// HTTP round trip in error.data.kind; the message text is never read.
func TestKindFromErrorData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := rpc.NewServer(rpc.Config{})
	refuse := func(data any, msg string) rpc.Handler {
		return func(context.Context, json.RawMessage) (any, error) {
			return nil, &rpc.Error{Code: rpc.CodeApplication, Message: msg, Data: data}
		}
	}
	srv.Register(rpc.Method{Name: "t.kind", Handler: refuse(rpc.ErrorData{Kind: "ErrBadNonce"}, "nonce 3 was already used")})
	// The kind's name in the message only: not a kind.
	srv.Register(rpc.Method{Name: "t.message", Handler: refuse(nil, "ErrBadNonce: nonce 3 was already used")})
	srv.Register(rpc.Method{Name: "t.plain", Handler: func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("ErrBadNonce in text") }})
	addr, err := srv.ListenAndServe(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, rc, err := Dial(ctx, fmt.Sprintf("http://%s", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	call := func(m string) error { return c.Caller().Call(ctx, m, nil, nil) }

	err = call("t.kind")
	if Kind(err) != "ErrBadNonce" || !HasKind(err, "ErrReplacementUnderpriced", "ErrBadNonce") || HasKind(err, "ErrNonce") {
		t.Fatalf("kind %q from %v", Kind(err), err)
	}
	for _, m := range []string{"t.message", "t.plain"} {
		if err := call(m); err == nil || Kind(err) != "" || HasKind(err, "ErrBadNonce") {
			t.Fatalf("%s: kind %q read from %v", m, Kind(err), err)
		}
	}
	if Kind(nil) != "" || Kind(errors.New("x")) != "" {
		t.Fatal("kind of a non-RPC error")
	}
}
