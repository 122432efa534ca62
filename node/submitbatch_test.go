package node

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// tx.submitBatch answers each transaction as tx.submit would have, in
// order, and counts as one call per transaction against the rate limits.
func TestSubmitTxBatch(t *testing.T) {
	n := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := rpc.Dial(ctx, n.RPCURL, rpc.WithToken(n.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	alice, _ := keys.GenerateKey()
	var sub api.SubmitResult
	if err := admin.Call(ctx, "faucet.request", api.FaucetParams{Address: alice.PubKey().Address().Encode("tcr"), Amount: 5 * ledger.Coin}, &sub); err != nil {
		t.Fatal(err)
	}
	if err := admin.Call(ctx, "admin.generate", api.GenerateParams{Chain: "auction", Count: 1}, nil); err != nil {
		t.Fatal(err)
	}
	net := n.Net
	bob := keys.Address{7}
	transfer := func(nonce uint64) string {
		return hex.EncodeToString(ledger.NewTransfer(net, alice, bob, 1, 10_000, nonce).Encode())
	}
	badSig := ledger.NewTransfer(net, alice, bob, 1, 10_000, 2)
	badSig.Sig[10] ^= 1
	wrongChain := ledger.NewTransfer(consensus.TestNet(), alice, bob, 1, 10_000, 2)
	raws := []string{transfer(0), transfer(1), hex.EncodeToString(badSig.Encode()), "zz", hex.EncodeToString(wrongChain.Encode()), transfer(3), transfer(0)}
	var res api.SubmitBatchResult
	if err := admin.Call(ctx, "tx.submitBatch", api.SubmitBatchParams{Raws: raws}, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != len(raws) {
		t.Fatalf("%d results for %d transactions", len(res.Results), len(raws))
	}
	for _, i := range []int{0, 1, 5} { // 5 is held behind the refused nonce 2
		if r := res.Results[i]; r.Error != nil || r.ID == nil || r.Chain != "auction" {
			t.Fatalf("item %d: %+v %+v, want accepted on the auction chain", i, r, r.Error)
		}
	}
	kinds := map[int]string{2: "ErrTxBadSig", 4: "ErrTxWrongChain", 6: "ErrAlreadyKnown"}
	for i, kind := range kinds {
		r := res.Results[i]
		if r.Error == nil || r.ID == nil {
			t.Fatalf("item %d: %+v, want refused with its txid", i, r)
		}
		// The same object tx.submit answers with for that transaction alone.
		var one *rpc.Error
		if err := admin.Call(ctx, "tx.submit", api.SubmitParams{Raw: raws[i]}, nil); !errors.As(err, &one) {
			t.Fatalf("tx.submit of item %d: %v", i, err)
		}
		if one.Kind() != kind || r.Error.Code != one.Code || r.Error.Message != one.Message {
			t.Fatalf("item %d: batch error %d %q, tx.submit error %d %q (kind %s), want kind %s",
				i, r.Error.Code, r.Error.Message, one.Code, one.Message, one.Kind(), kind)
		}
	}
	if r := res.Results[4]; r.Chain != "" {
		t.Fatalf("wrong-chain item names chain %q", r.Chain)
	}
	if r := res.Results[3]; r.Error == nil || r.Error.Code != rpc.CodeInvalidParams || r.ID != nil {
		t.Fatalf("non-hex item: %+v", r)
	}
	if got := n.AuctionPool.Count(); got != 3 {
		t.Fatalf("pool holds %d transactions, want 3", got)
	}

	var rerr *rpc.Error
	for _, bad := range [][]string{nil, make([]string, api.MaxSubmitBatch+1)} {
		err := admin.Call(ctx, "tx.submitBatch", api.SubmitBatchParams{Raws: bad}, nil)
		if !errors.As(err, &rerr) || rerr.Code != rpc.CodeInvalidParams {
			t.Fatalf("batch of %d: %v, want invalid params", len(bad), err)
		}
	}
	// Without the cookie a batch counts as one call per transaction: a
	// first batch of 390 takes nearly all of a fresh connection's burst
	// of 400 (node/api.go), so a second one right after it is refused as
	// a whole (the bucket refills 200 a second: the second call would
	// need about two seconds' pause to pass).
	big := make([]string, 390)
	for i := range big {
		big[i] = "zz"
	}
	h, err := rpc.Dial(ctx, n.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Call(ctx, "tx.submitBatch", api.SubmitBatchParams{Raws: big}, &res); err != nil || len(res.Results) != len(big) {
		t.Fatalf("first 390 transactions without the cookie: %d results, %v", len(res.Results), err)
	}
	if err := h.Call(ctx, "tx.submitBatch", api.SubmitBatchParams{Raws: big}, nil); !errors.As(err, &rerr) || rerr.Code != rpc.CodeRateLimited {
		t.Fatalf("second 390 transactions without the cookie: %v, want rate limited", err)
	}
	if err := admin.Call(ctx, "tx.submitBatch", api.SubmitBatchParams{Raws: big}, &res); err != nil || len(res.Results) != len(big) {
		t.Fatalf("450 transactions with the cookie: %d results, %v", len(res.Results), err)
	}
}
