package devicesim

import (
	"context"
	"errors"
	"github.com/thingchain/thingchain/api/apitypes"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/wallet"
)

// marketNet is a three-node loopback network: node 0 mines on demand,
// bidders talk to node 1, node 2 only follows.
type marketNet struct {
	t          *testing.T
	ctx        context.Context
	n0, n1, n2 *node.Node
	c0, c1, c2 *rpc.Client
}

func (m *marketNet) waitFor(what string, cond func() bool) {
	m.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-m.ctx.Done():
			m.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// mine has node 0 mine n auction blocks once it holds txs (sent to node 1
// and gossiped), then waits for every node to follow.
func (m *marketNet) mine(kind consensus.ChainKind, n int, txs ...wire.Hash) {
	m.t.Helper()
	m.waitFor("transactions to reach node 0", func() bool {
		for _, id := range txs {
			if !m.n0.AuctionPool.Has(id) {
				return false
			}
		}
		return true
	})
	if _, err := m.n0.Generate(m.ctx, kind, n); err != nil {
		m.t.Fatal(err)
	}
	m.waitFor("nodes 1 and 2 to reach node 0's tips", func() bool {
		for _, nd := range []*node.Node{m.n1, m.n2} {
			if nd.Metadata.Tip().Hash != m.n0.Metadata.Tip().Hash || nd.Auction.Tip().Hash != m.n0.Auction.Tip().Hash {
				return false
			}
		}
		return true
	})
}

func (m *marketNet) auction(id wire.Hash) *api.AuctionView {
	m.t.Helper()
	var av *api.AuctionView
	if err := m.c2.Call(m.ctx, "auction.get", api.AuctionIDParams{ID: id}, &av); err != nil || av == nil {
		m.t.Fatalf("auction.get %s: %v %v", id, av, err)
	}
	return av
}

// TestMarketEndToEnd is the auction chain's acceptance test on a real
// three-node loopback network: devices check in; a data scientist bids on
// two devices in one batch, a second bids lower, a third bids highest but
// never reveals; reveals, settlement, payment and key delivery (by the
// device agents, unattended) follow; the winner decrypts its keys and
// fetches data; the device refuses a forged key and, after the access
// period, the real one. The agents deliver on newHeads events. Every
// node ends on the same state, and owners, winner, losers and the miners
// of both chains add up to the supply.
func TestMarketEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m := &marketNet{t: t, ctx: ctx}
	m.n0 = startPeer(t, nil)
	m.n1 = startPeer(t, m.n0.P2PAddrs()[:1])
	m.n2 = startPeer(t, m.n1.P2PAddrs()[:1])
	var err error
	for _, p := range []struct {
		c **rpc.Client
		n *node.Node
	}{{&m.c0, m.n0}, {&m.c1, m.n1}, {&m.c2, m.n2}} {
		if *p.c, err = rpc.Dial(ctx, p.n.RPCURL, rpc.WithToken(p.n.RPC.Token())); err != nil {
			t.Fatal(err)
		}
		defer (*p.c).Close()
	}
	net := m.n0.Net
	ap := net.Auctions

	// Devices: checked in through node 0; their agents deliver keys and
	// guard their data on their own. Their clock can be moved forward.
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	fridge, _ := KindByName("fridge")
	thermo, _ := KindByName("thermostat")
	// The agents learn of new auction blocks only from newHeads events
	// (the backstop poll is an hour away): the subscription path.
	heads, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(m.n0.RPCURL, "http"), rpc.WithToken(m.n0.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	defer heads.Close()
	sim, err := New(Config{Client: m.c0, Heads: heads, Devices: 2, Kinds: []*Kind{fridge, thermo}, Generate: AdminGenerate(m.c0),
		PollInterval: 20 * time.Millisecond, AuctionPoll: time.Hour, Now: clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	devA, devB := sim.Agents()[0], sim.Agents()[1]
	// Anchor the check-ins: metadata blocks AnchorDepth deep, then an
	// auction block (which also confirms the devices' fee money).
	m.mine(consensus.MetadataChain, int(net.Auction.AnchorDepth)+1)
	m.mine(consensus.AuctionChain, 1)

	// Three data scientists funded by the faucet.
	type scientist struct {
		key *keys.PrivateKey
		b   *wallet.Bidder
	}
	newScientist := func() scientist {
		k, _ := keys.GenerateKey()
		book, err := wallet.OpenBidBook(t.TempDir(), k.PubKey().Address().Encode(net.AddressHRP))
		if err != nil {
			t.Fatal(err)
		}
		var res api.SubmitResult
		if err := m.c0.Call(ctx, "faucet.request", api.FaucetParams{Address: k.PubKey().Address().Encode(net.AddressHRP), Amount: 1000 * ledger.Coin}, &res); err != nil {
			t.Fatal(err)
		}
		b := wallet.NewBidder(net, book)
		b.BondOnly = true // this test walks the payment step of bond-only wins
		return scientist{k, b}
	}
	alice, bob, carol := newScientist(), newScientist(), newScientist()
	m.mine(consensus.AuctionChain, 1)

	read := func(fn func(v *chain.View) error) {
		t.Helper()
		if err := m.n2.Auction.ReadState(func(v *chain.View, _ chain.TipInfo) error { return fn(v) }); err != nil {
			t.Fatal(err)
		}
	}
	balance := func(addr string) uint64 {
		a, err := keys.DecodeAddress(addr, net.AddressHRP)
		if err != nil {
			t.Fatal(err)
		}
		var acct ledger.Account
		read(func(v *chain.View) error { acct, err = ledger.GetAccount(v, a); return err })
		return acct.Balance
	}
	addrOf := func(s scientist) string { return s.key.PubKey().Address().Encode(net.AddressHRP) }
	faucet, _ := ledger.FaucetKey(net)
	everyone := []string{addrOf(alice), addrOf(bob), addrOf(carol), devA.DeviceAddress(), devB.DeviceAddress(),
		devA.OwnerAddress(), devB.OwnerAddress(), m.n0.Reward.Encode(net.AddressHRP), faucet.PubKey().Address().Encode(net.AddressHRP)}
	conserved := func(when string) {
		t.Helper()
		var supply, escrow, pool uint64
		read(func(v *chain.View) error {
			var err error
			if supply, err = ledger.Supply(v); err != nil {
				return err
			}
			if escrow, err = auction.Escrow(v); err != nil {
				return err
			}
			pool, err = auction.MetadataPool(v)
			return err
		})
		sum := escrow + pool
		for _, a := range everyone {
			sum += balance(a)
		}
		if sum != supply {
			t.Fatalf("%s: balances + escrow %d + metadata pool %d = %d, supply %d", when, escrow, pool, sum, supply)
		}
	}
	conserved("after funding")
	before := map[string]uint64{}
	for _, a := range everyone {
		before[a] = balance(a)
	}

	// Sealed bids: alice on both devices in ONE commit transaction.
	const fee = 10_000
	bid := func(s scientist, devs []string, price uint64) *wallet.BidResult {
		t.Helper()
		res, err := s.b.Bid(ctx, m.c1, s.key, devs, price, fee)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	termsA := devA.CurrentTerms()
	ra := bid(alice, []string{devA.DeviceHex(), devB.DeviceHex()}, 3*termsA.ReservePerPoint)
	if len(ra.Bids) != 2 || len(ra.TxIDs) != 1 {
		t.Fatalf("alice's batch: %d bids in %d transactions, want 2 in 1 (skipped %v)", len(ra.Bids), len(ra.TxIDs), ra.Skipped)
	}
	rb := bid(bob, []string{devA.DeviceHex()}, 2*termsA.ReservePerPoint)
	rc := bid(carol, []string{devA.DeviceHex()}, 5*termsA.ReservePerPoint)
	m.mine(consensus.AuctionChain, 1, append(append(ra.TxIDs, rb.TxIDs...), rc.TxIDs...)...)
	idA, idB := ra.Bids[0].Auction, ra.Bids[1].Auction
	if ra.Bids[0].Device != devA.DeviceHex() {
		idA, idB = idB, idA
	}

	// Reveal phase: alice and bob reveal; carol does not.
	for m.auction(idA).Phase == "commit" {
		m.mine(consensus.AuctionChain, 1)
	}
	var reveals []wire.Hash
	for _, s := range []scientist{alice, bob} {
		r, err := s.b.RevealDue(ctx, m.c1, s.key, fee)
		if err != nil || len(r.TxIDs) != 1 {
			t.Fatalf("reveal: %+v %v", r, err)
		}
		reveals = append(reveals, r.TxIDs...)
	}
	m.mine(consensus.AuctionChain, 1, reveals...)
	for m.auction(idA).Status == apitypes.StatusOpen {
		m.mine(consensus.AuctionChain, 1)
	}

	// Settlement: alice wins A at bob's price (second price), B at the
	// reserve; carol's unrevealed deposit is forfeited.
	a := m.auction(idA)
	if a.Winner != addrOf(alice) || a.PricePerPoint != 2*termsA.ReservePerPoint {
		t.Fatalf("auction A settled with winner %s at %d per point, want alice at bob's %d", a.Winner, a.PricePerPoint, 2*termsA.ReservePerPoint)
	}
	b := m.auction(idB)
	if b.Winner != addrOf(alice) || b.PricePerPoint != b.Terms.ReservePerPoint {
		t.Fatalf("auction B: winner %s at %d per point, want alice at the reserve %d", b.Winner, b.PricePerPoint, b.Terms.ReservePerPoint)
	}
	for _, bd := range a.BidList {
		if bd.Bidder == addrOf(carol) && bd.Status != apitypes.BidForfeited {
			t.Fatalf("carol's unrevealed bid is %s, want forfeited", bd.Status)
		}
	}
	conserved("after settlement")

	// Payment (alice's deposits cover only the bond), then the device
	// agents deliver the keys without anyone asking.
	pay, err := alice.b.PayDue(ctx, m.c1, alice.key, fee)
	if err != nil || len(pay.TxIDs) == 0 {
		t.Fatalf("pay: %+v %v", pay, err)
	}
	m.mine(consensus.AuctionChain, 1, pay.TxIDs...)
	m.waitFor("the device agents' key deliveries", func() bool { return m.n0.AuctionPool.Stats().Count >= 2 })
	m.mine(consensus.AuctionChain, 1)
	for _, id := range []wire.Hash{idA, idB} {
		if av := m.auction(id); av.Status != apitypes.StatusDelivered || av.Delivery == nil {
			t.Fatalf("auction %s: status %s, delivery %v", id, av.Status, av.Delivery)
		}
	}
	conserved("after delivery")

	// The winner decrypts its keys and fetches data, through node 2.
	ks, err := alice.b.Keys(ctx, m.c2, alice.key)
	if err != nil || len(ks) != 2 {
		t.Fatalf("alice's keys: %d %v", len(ks), err)
	}
	var keyA *wallet.AccessKey
	for i := range ks {
		if !ks[i].Valid || ks[i].Error != "" {
			t.Fatalf("key %+v not usable", ks[i])
		}
		if ks[i].Device == devA.DeviceHex() {
			keyA = &ks[i]
		}
	}
	if _, data, err := wallet.FetchData(ctx, m.c2, http.DefaultClient, keyA, ""); err != nil || len(data) < 10 {
		t.Fatalf("fetch with the delivered key: %v (%d bytes)", err, len(data))
	}
	forged := *keyA
	forged.Key = append([]byte(nil), keyA.Key...)
	forged.Key[0] ^= 1
	var refused *wallet.RefusedError
	if _, _, err := wallet.FetchData(ctx, m.c2, http.DefaultClient, &forged, ""); !errors.As(err, &refused) || refused.Status != http.StatusForbidden {
		t.Fatalf("forged key: got %v, want a 403 refusal", err)
	}
	skew.Store(int64(time.Until(keyA.Expires) + time.Second))
	if _, _, err := wallet.FetchData(ctx, m.c2, http.DefaultClient, keyA, ""); !errors.As(err, &refused) || refused.Status != http.StatusForbidden {
		t.Fatalf("after the access period: got %v, want a 403 refusal", err)
	}

	// Who gained what. Bob lost only his fees; carol her deposit and fee;
	// each owner got the price less the protocol fee (plus, for A, its
	// share of carol's forfeit); the miners (node 0 mines both chains) got
	// the rest; every node agrees.
	delta := func(addr string) int64 { return int64(balance(addr)) - int64(before[addr]) }
	if d := delta(addrOf(bob)); d != -2*fee {
		t.Errorf("bob (revealed, lost): %d, want -%d (two fees)", d, 2*fee)
	}
	carolDeposit := int64(rc.Deposit)
	if d := delta(addrOf(carol)); d != -carolDeposit-fee {
		t.Errorf("carol (never revealed): %d, want -%d (deposit and fee)", d, carolDeposit+fee)
	}
	priceA, priceB := int64(a.Price), int64(b.Price)
	aliceFees := int64(2+len(pay.TxIDs)) * fee // one commit, one reveal, the payments
	if d := delta(addrOf(alice)); d != -priceA-priceB-aliceFees {
		t.Errorf("alice (won both): %d, want -%d", d, priceA+priceB+aliceFees)
	}
	ownerA := priceA - priceA*int64(ap.ProtocolFeePermille)/1000 + carolDeposit*int64(ap.ForfeitOwnerPermille)/1000
	if d := delta(devA.OwnerAddress()); d != ownerA {
		t.Errorf("owner of A: %d, want %d", d, ownerA)
	}
	if d := delta(devB.OwnerAddress()); d != priceB-priceB*int64(ap.ProtocolFeePermille)/1000 {
		t.Errorf("owner of B: %d, want %d", d, priceB-priceB*int64(ap.ProtocolFeePermille)/1000)
	}
	if d := delta(m.n0.Reward.Encode(net.AddressHRP)); d <= 0 {
		t.Errorf("the miner of both chains gained %d", d)
	}
	for _, nd := range []*node.Node{m.n1, m.n2} {
		if nd.Auction.TipHeader().StateRoot != m.n0.Auction.TipHeader().StateRoot {
			t.Fatal("nodes disagree on the auction state")
		}
	}
}
