package node

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// startNode runs a regtest node in this process with its API on a free port.
func startNode(t *testing.T) *Node {
	t.Helper()
	n, err := New(Config{Network: "regtest", DataDir: t.TempDir(), RPCAddr: "127.0.0.1:0", P2PListen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-n.Ready():
	case <-done:
		t.Fatal("node stopped during start-up")
	case <-time.After(10 * time.Second):
		t.Fatal("API did not start")
	}
	return n
}

func TestAPISubscriptionsAndErrors(t *testing.T) {
	n := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(n.RPCURL, "http"), rpc.WithToken(n.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	heads, stopHeads, err := ws.Subscribe(ctx, "newHeads", "auction")
	if err != nil {
		t.Fatal(err)
	}
	defer stopHeads()
	pending, stopPending, err := ws.Subscribe(ctx, "newPendingTransactions", "auction")
	if err != nil {
		t.Fatal(err)
	}
	defer stopPending()

	alice, _ := keys.GenerateKey()
	var sub api.SubmitResult
	if err := ws.Call(ctx, "faucet.request", api.FaucetParams{Address: alice.PubKey().Address().Encode("tcr"), Amount: 5 * ledger.Coin}, &sub); err != nil {
		t.Fatal(err)
	}
	select {
	case raw := <-pending:
		var tx api.TxJSON
		json.Unmarshal(raw, &tx)
		if tx.ID != sub.ID {
			t.Fatalf("pending notification for %s, submitted %s", tx.ID, sub.ID)
		}
	case <-ctx.Done():
		t.Fatal("no newPendingTransactions notification")
	}
	var hashes []string
	if err := ws.Call(ctx, "admin.generate", api.GenerateParams{Chain: "auction", Count: 2}, &hashes); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case raw := <-heads:
			var h api.HeaderJSON
			json.Unmarshal(raw, &h)
			if h.Hash.String() != hashes[i] || h.Height != uint64(i+1) {
				t.Fatalf("head %d: %s at %d, generated %s", i, h.Hash, h.Height, hashes[i])
			}
		case <-ctx.Done():
			t.Fatal("no newHeads notification")
		}
	}
	var tr api.TxResult
	if err := ws.Call(ctx, "chain.getTransaction", api.TxQuery{Chain: "auction", ID: sub.ID}, &tr); err != nil || tr.Status != "confirmed" || tr.Height != 1 {
		t.Fatalf("faucet tx: %+v %v", tr, err)
	}

	// Errors, over plain HTTP without the cookie.
	h, err := rpc.Dial(ctx, n.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	wrong := ledger.NewTransfer(consensus.TestNet(), alice, keys.Address{1}, 1, 1, 0)
	var rerr *rpc.Error
	err = h.Call(ctx, "tx.submit", api.SubmitParams{Raw: hex.EncodeToString(wrong.Encode())}, nil)
	if !errors.As(err, &rerr) || !strings.Contains(rerr.Message, "ErrTxWrongChain") {
		t.Fatalf("tx for another network: %v", err)
	}
	// The rule's kind travels as error.data.kind, not only in the text.
	if rerr.Kind() != "ErrTxWrongChain" || rpc.KindOf(err) != "ErrTxWrongChain" {
		t.Fatalf("tx for another network: error.data %v, want kind ErrTxWrongChain", rerr.Data)
	}
	err = h.Call(ctx, "tx.submit", api.SubmitParams{Raw: "zz"}, nil)
	if !errors.As(err, &rerr) || rerr.Code != rpc.CodeInvalidParams {
		t.Fatalf("non-hex tx: %v", err)
	}
	err = h.Call(ctx, "admin.generate", api.GenerateParams{Chain: "auction", Count: 1}, nil)
	if !errors.As(err, &rerr) || rerr.Code != rpc.CodeUnauthorized {
		t.Fatalf("admin without cookie: %v", err)
	}
	err = h.Call(ctx, "account.get", api.AddressParams{Address: "tct1notanaddress"}, nil)
	if !errors.As(err, &rerr) || rerr.Code != rpc.CodeInvalidParams {
		t.Fatalf("bad address: %v", err)
	}
	var acct api.Account
	if err := h.Call(ctx, "account.get", []string{alice.PubKey().Address().Encode("tcr")}, &acct); err != nil || acct.Balance != 5*ledger.Coin {
		t.Fatalf("alice: %+v %v", acct, err)
	}
}
