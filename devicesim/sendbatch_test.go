package devicesim

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
	"github.com/thingchain/thingchain/wallet"
)

// callLog is a Caller that records the methods called through it and,
// for tx.submitBatch, how many transactions each call carried.
type callLog struct {
	Caller
	mu      sync.Mutex
	methods map[string]int
	batches []int
}

func (c *callLog) Call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	if c.methods == nil {
		c.methods = map[string]int{}
	}
	c.methods[method]++
	if p, ok := params.(apitypes.SubmitBatchParams); ok {
		c.batches = append(c.batches, len(p.Raws))
	}
	c.mu.Unlock()
	return c.Caller.Call(ctx, method, params, result)
}

// reset forgets what was called so far.
func (c *callLog) reset() {
	c.mu.Lock()
	c.methods, c.batches = nil, nil
	c.mu.Unlock()
}

func (c *callLog) snapshot() (map[string]int, []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.methods))
	for k, v := range c.methods {
		m[k] = v
	}
	return m, append([]int(nil), c.batches...)
}

// TestDeliveriesDueAtOneHeadGoInOneBatch: five devices' auctions are sold
// in the same auction block; the watcher submits all five deliveries in
// one tx.submitBatch call (no tx.submit), and all five arrive on chain.
// One device's local nonce is stale (its key spent nonce 0 elsewhere, in
// a block), so the node refuses that item alone: the watcher refetches
// that device's nonce (the only account.nextNonce call: the others know
// theirs from funding) and sends it again in a second call of one.
func TestDeliveriesDueAtOneHeadGoInOneBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	const devices = 5
	n := nodetest.Start(t, node.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client := nodetest.Client(t, ctx, n)
	log := &callLog{Caller: client}
	kind, _ := KindByName("thermostat")
	sim, err := New(Config{
		Client: log, Devices: devices, Kinds: []*Kind{kind}, Generate: AdminGenerate(client),
		PollInterval: 20 * time.Millisecond, ConfirmTimeout: time.Minute, Logger: testLogger(t),
		AuctionPoll: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	net := sim.Network()
	generate := func(chain string, count int) {
		t.Helper()
		var hashes []wire.Hash
		if err := client.Call(ctx, "admin.generate", api.GenerateParams{Chain: chain, Count: count}, &hashes); err != nil {
			t.Fatalf("generate %d %s: %v", count, chain, err)
		}
	}
	generate("metadata", int(net.Auction.AnchorDepth)+1)
	generate("auction", 2) // the devices' fee money

	// One device spends its nonce 0 elsewhere; its Sender still counts
	// from 0, as after a submission this process has not seen.
	stale := sim.Agents()[devices-1]
	elsewhere, _ := keys.GenerateKey()
	if _, err := submit(ctx, client, ledger.NewTransfer(net, stale.DeviceKey, elsewhere.PubKey().Address(), 1, 1000, 0)); err != nil {
		t.Fatal(err)
	}

	// A data scientist bids on every device in one batch, full deposits,
	// so every auction is paid when it closes.
	bidderKey, _ := keys.GenerateKey()
	bidderAddr := bidderKey.PubKey().Address().Encode(net.AddressHRP)
	var fres api.SubmitResult
	if err := client.Call(ctx, "faucet.request", api.FaucetParams{Address: bidderAddr, Amount: 1000 * ledger.Coin}, &fres); err != nil {
		t.Fatal(err)
	}
	generate("auction", 1) // the transfer and the funding
	book, err := wallet.OpenBidBook(t.TempDir(), bidderAddr)
	if err != nil {
		t.Fatal(err)
	}
	bidder := wallet.NewBidder(net, book)
	var devs []string
	for _, a := range sim.Agents() {
		devs = append(devs, a.DeviceHex())
	}
	res, err := bidder.Bid(ctx, client, bidderKey, devs, 3*sim.Agents()[0].CurrentTerms().ReservePerPoint, 10_000)
	if err != nil || len(res.Bids) != devices {
		t.Fatalf("bids: %+v %v", res, err)
	}
	generate("auction", 1)
	ids := make([]wire.Hash, devices)
	for i, b := range res.Bids {
		ids[i] = b.Auction
	}
	view := func(id wire.Hash) *apitypes.AuctionView {
		t.Helper()
		av, err := getAuction(ctx, client, id)
		if err != nil || av == nil {
			t.Fatalf("auction.get %s: %v %v", id, av, err)
		}
		return av
	}
	for i := 0; view(ids[0]).Phase == "commit"; i++ {
		if i > 20 {
			t.Fatal("the auctions never left the commit phase")
		}
		generate("auction", 1)
	}
	if r, err := bidder.RevealDue(ctx, client, bidderKey, 10_000); err != nil || len(r.TxIDs) == 0 {
		t.Fatalf("reveal: %+v %v", r, err)
	}
	stale.auction.mu.Lock()
	stale.auction.next, stale.auction.known = 0, true
	stale.auction.mu.Unlock()
	log.reset()
	// Mine until the auctions are paid (they close in the same block):
	// from then on the watcher delivers on its own.
	for i := 0; view(ids[0]).Status == apitypes.StatusOpen; i++ {
		if i > 20 {
			t.Fatal("the auctions never closed")
		}
		generate("auction", 1)
	}
	for _, id := range ids {
		if st := view(id).Status; st != apitypes.StatusPaid && st != apitypes.StatusDelivered {
			t.Fatalf("auction %s closed as %s, want paid", id, st)
		}
	}

	// Wait for the deliveries to be in the mempool, then mine them.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n.AuctionPool.Stats().Count < devices {
		select {
		case <-tick.C:
		case <-ctx.Done():
			_, batches := log.snapshot()
			t.Fatalf("only %d deliveries pending (tx.submitBatch calls of %v)", n.AuctionPool.Stats().Count, batches)
		}
	}
	generate("auction", 1)
	byHex := map[string]*Agent{}
	for _, a := range sim.Agents() {
		byHex[a.DeviceHex()] = a
	}
	for _, id := range ids {
		av := view(id)
		if av.Status != apitypes.StatusDelivered || av.Delivery == nil {
			t.Fatalf("auction %s: status %s, want delivered", id, av.Status)
		}
		saved, ok := byHex[av.Device].AccessKey(id)
		opened, err := av.Delivery.Open(bidderKey)
		if !ok || err != nil || !bytes.Equal(opened, saved) {
			t.Fatalf("auction %s: the winner opened %x (%v), the device saved %x", id, opened, err, saved)
		}
	}
	methods, batches := log.snapshot()
	if methods["tx.submit"] != 0 {
		t.Errorf("%d tx.submit calls, want the deliveries in tx.submitBatch only", methods["tx.submit"])
	}
	if len(batches) != 2 || batches[0] != devices || batches[1] != 1 {
		t.Errorf("tx.submitBatch calls of %v transactions, want [%d 1] (all at once, then the stale nonce's retry)", batches, devices)
	}
	// The devices learnt their nonces when funded (account.get); only
	// the stale one asks.
	if got := methods["account.nextNonce"]; got != 1 {
		t.Errorf("%d account.nextNonce calls, want 1 (the stale device's)", got)
	}
}

// TestSubmitBatchKeepsEachSendersOrder: submitBatchE with several
// transactions of the same Senders sends at most one per Sender per call,
// in each Sender's order, so none waits behind a gap: two keys' five
// transfers go out in calls of 2, 2 and 1, every one is accepted at its
// nonce, and the node's next nonces are 3 and 2.
func TestSubmitBatchKeepsEachSendersOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := nodetest.Start(t, node.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := nodetest.Client(t, ctx, n)
	log := &callLog{Caller: client}
	net := n.Net
	var senders []*Sender
	for range 2 {
		k, _ := keys.GenerateKey()
		var fres api.SubmitResult
		if err := client.Call(ctx, "faucet.request", api.FaucetParams{Address: k.PubKey().Address().Encode(net.AddressHRP), Amount: ledger.Coin}, &fres); err != nil {
			t.Fatal(err)
		}
		senders = append(senders, NewAuctionSender(log, k))
	}
	var hashes []wire.Hash
	if err := client.Call(ctx, "admin.generate", api.GenerateParams{Chain: "auction", Count: 1}, &hashes); err != nil {
		t.Fatal(err)
	}
	to := keys.Address{9}
	var items []*batchSubmission
	var nonces []uint64
	for i, s := range []*Sender{senders[0], senders[1], senders[0], senders[1], senders[0]} {
		amount := uint64(i + 1)
		items = append(items, &batchSubmission{sender: s, build: func(nonce uint64) (*wire.Tx, error) {
			nonces = append(nonces, nonce)
			return ledger.NewTransfer(net, s.Key, to, amount, 10_000, nonce), nil
		}})
	}
	if err := submitBatchE(ctx, log, items); err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if it.Err != nil || it.ID == (wire.Hash{}) {
			t.Fatalf("item %d: id %s, error %v", i, it.ID, it.Err)
		}
	}
	methods, batches := log.snapshot()
	if len(batches) != 3 || batches[0] != 2 || batches[1] != 2 || batches[2] != 1 || methods["tx.submit"] != 0 {
		t.Fatalf("tx.submitBatch sizes %v, tx.submit %d: want calls of 2, 2, 1 and no tx.submit", batches, methods["tx.submit"])
	}
	if want := []uint64{0, 0, 1, 1, 2}; !slices.Equal(nonces, want) {
		t.Fatalf("built at nonces %v, want %v (each sender's in order)", nonces, want)
	}
	for i, want := range []uint64{3, 2} {
		got, err := nextNonce(ctx, client, senders[i].Key.PubKey(), "auction")
		if err != nil || got != want {
			t.Fatalf("sender %d: node's next nonce %d (%v), want %d: a transaction waits behind a gap", i, got, err, want)
		}
	}
}
