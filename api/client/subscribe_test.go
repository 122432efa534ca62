package client

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
)

// TestSubscribeHeads: typed notifications arrive in order over a real
// WebSocket, and stop closes the channel.
func TestSubscribeHeads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := rpc.NewServer(rpc.Config{})
	srv.RegisterSetupSubscription("newHeads", func(ctx context.Context, params json.RawMessage) (func(func(any) error) error, error) {
		var args []string
		if err := json.Unmarshal(params, &args); err != nil || len(args) != 1 || args[0] != "auction" {
			return nil, rpc.InvalidParams("want [\"auction\"], got %s", params)
		}
		return func(notify func(any) error) error {
			for h := uint64(1); h <= 3; h++ {
				if err := notify(apitypes.Header{Height: h, Bits: "207fffff"}); err != nil {
					return err
				}
			}
			<-ctx.Done()
			return nil
		}, nil
	})
	addr, err := srv.ListenAndServe(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ws, err := rpc.Dial(ctx, fmt.Sprintf("ws://%s", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	heads, stop, err := SubscribeHeads(ctx, ws, "auction")
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(1); want <= 3; want++ {
		select {
		case h := <-heads:
			if h.Height != want || h.Bits != "207fffff" {
				t.Fatalf("header %+v, want height %d", h, want)
			}
		case <-ctx.Done():
			t.Fatalf("no header %d", want)
		}
	}
	stop()
	select {
	case _, ok := <-heads:
		if ok {
			t.Fatal("a header after stop")
		}
	case <-ctx.Done():
		t.Fatal("channel not closed after stop")
	}
	if _, _, err := SubscribeHeads(ctx, ws, "nowhere"); err == nil {
		t.Fatal("a bad chain argument was accepted")
	}
}
