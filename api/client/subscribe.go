package client

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/thingchain/thingchain/api/apitypes"
)

// Subscriber opens WebSocket subscriptions; *rpc.Client dialled with a
// ws:// URL implements it.
type Subscriber interface {
	Subscribe(ctx context.Context, name string, params ...any) (<-chan json.RawMessage, func(), error)
}

// SubscribeHeads delivers each new main-chain header of a chain
// ("metadata" or "auction") in order (newHeads). The channel closes when
// the subscription ends for any reason; stop ends it.
func SubscribeHeads(ctx context.Context, s Subscriber, chain string) (<-chan apitypes.Header, func(), error) {
	return subscribe[apitypes.Header](ctx, s, "newHeads", chain)
}

// SubscribePending delivers each transaction a chain's mempool accepts
// (newPendingTransactions).
func SubscribePending(ctx context.Context, s Subscriber, chain string) (<-chan apitypes.Tx, func(), error) {
	return subscribe[apitypes.Tx](ctx, s, "newPendingTransactions", chain)
}

// subscribe decodes a subscription's notifications on one goroutine, which
// ends when the raw channel closes (stop, the server, the connection). A
// notification that does not decode ends the subscription: the node and
// this client disagree on the API, and skipping events would hide it.
func subscribe[T any](ctx context.Context, s Subscriber, name, chain string) (<-chan T, func(), error) {
	raw, stopRaw, err := s.Subscribe(ctx, name, chain)
	if err != nil {
		return nil, nil, err
	}
	out := make(chan T, cap(raw))
	done := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(done); stopRaw() }) }
	go func() {
		defer close(out)
		for msg := range raw {
			var v T
			if json.Unmarshal(msg, &v) != nil {
				stop()
				return
			}
			select {
			case out <- v:
			case <-done:
				return
			}
		}
	}()
	return out, stop, nil
}
