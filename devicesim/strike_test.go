package devicesim

import (
	"context"
	"github.com/thingchain/thingchain/api/apitypes"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
	"github.com/thingchain/thingchain/wallet"
)

// TestMissedDeliveryStrikesDeviceRecord: a device that does not deliver
// the key of an auction it sold ends the auction undelivered, the winner
// is refunded, and the device's record, as the API shows it, carries the
// strike.
func TestMissedDeliveryStrikesDeviceRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := nodetest.Start(t, node.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := nodetest.Client(t, ctx, n)
	sim, err := New(Config{Client: c, Devices: 1, Generate: AdminGenerate(c), PollInterval: 20 * time.Millisecond,
		AuctionPoll: -1, NoFunding: true}) // this device never delivers
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	dev := sim.Agents()[0]
	gen := func(kind consensus.ChainKind, count int) {
		t.Helper()
		if _, err := n.Generate(ctx, kind, count); err != nil {
			t.Fatal(err)
		}
	}
	gen(consensus.MetadataChain, int(n.Net.Auction.AnchorDepth)+1)
	key, _ := keys.GenerateKey()
	addr := key.PubKey().Address().Encode(n.Net.AddressHRP)
	var sub api.SubmitResult
	if err := c.Call(ctx, "faucet.request", api.FaucetParams{Address: addr, Amount: 100 * ledger.Coin}, &sub); err != nil {
		t.Fatal(err)
	}
	gen(consensus.AuctionChain, 1)
	start, err := wallet.NewBidder(n.Net, nil).Balance(ctx, c, key.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	book, err := wallet.OpenBidBook(t.TempDir(), addr)
	if err != nil {
		t.Fatal(err)
	}
	b := wallet.NewBidder(n.Net, book)
	b.BondOnly = true // the payment step is part of what this test walks
	const fee = 1000
	res, err := b.Bid(ctx, c, key, []string{dev.DeviceHex()}, 2*dev.CurrentTerms().ReservePerPoint, fee)
	if err != nil || len(res.Bids) != 1 {
		t.Fatalf("bid: %+v %v", res, err)
	}
	id := res.Bids[0].Auction
	get := func() *api.AuctionView {
		t.Helper()
		var av *api.AuctionView
		if err := c.Call(ctx, "auction.get", api.AuctionIDParams{ID: id}, &av); err != nil || av == nil {
			t.Fatalf("auction.get: %v", err)
		}
		return av
	}
	gen(consensus.AuctionChain, 1)
	for get().Phase == "commit" {
		gen(consensus.AuctionChain, 1)
	}
	if _, err := b.RevealDue(ctx, c, key, fee); err != nil {
		t.Fatal(err)
	}
	for get().Status == apitypes.StatusOpen {
		gen(consensus.AuctionChain, 1)
	}
	if _, err := b.PayDue(ctx, c, key, fee); err != nil {
		t.Fatal(err)
	}
	gen(consensus.AuctionChain, 1)
	if s := get().Status; s != apitypes.StatusPaid {
		t.Fatalf("after payment: %s", s)
	}
	for get().Status == apitypes.StatusPaid {
		gen(consensus.AuctionChain, 1)
	}
	if s := get().Status; s != apitypes.StatusUndelivered {
		t.Fatalf("after the delivery deadline: %s, want undelivered", s)
	}
	var rec struct{ Strikes uint64 }
	if err := c.Call(ctx, "registry.device", api.DeviceParams{Device: dev.DeviceHex()}, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Strikes != 1 {
		t.Fatalf("device record shows %d strikes, want 1", rec.Strikes)
	}
	end, err := b.Balance(ctx, c, key.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	if spent := start - end; spent != 3*fee { // commit, reveal, pay: the price came back
		t.Fatalf("the winner of an undelivered auction is down %d, want only its 3 fees (%d)", spent, 3*fee)
	}
}
