package wallet_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
	"github.com/thingchain/thingchain/registry"
	"github.com/thingchain/thingchain/wallet"
)

// regtest is an in-process regtest node driven through its API.
type regtest struct {
	t   *testing.T
	n   *node.Node
	c   *rpc.Client
	ctx context.Context
}

func startRegtest(t *testing.T) *regtest {
	t.Helper()
	n := nodetest.Start(t, node.Config{})
	cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(ccancel)
	return &regtest{t: t, n: n, c: nodetest.Client(t, cctx, n), ctx: cctx}
}

func (r *regtest) call(method string, params, result any) {
	r.t.Helper()
	if err := r.c.Call(r.ctx, method, params, result); err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
}

func (r *regtest) nonce(k *keys.PrivateKey, chainName string) uint64 {
	r.t.Helper()
	var n uint64
	r.call("account.nextNonce", api.NonceParams{PubKey: k.PubKey().String(), Chain: chainName}, &n)
	return n
}

func (r *regtest) submit(tx *wire.Tx) {
	r.t.Helper()
	var res api.SubmitResult
	r.call("tx.submit", api.SubmitParams{Raw: hex.EncodeToString(tx.Encode())}, &res)
}

func (r *regtest) generate(chainName string, count int) {
	r.t.Helper()
	var hashes []wire.Hash
	r.call("admin.generate", api.GenerateParams{Chain: chainName, Count: count}, &hashes)
}

func (r *regtest) balance(a keys.Address) uint64 {
	r.t.Helper()
	var acct api.Account
	r.call("account.get", api.AddressParams{Address: a.Encode(r.n.Net.AddressHRP)}, &acct)
	return acct.Balance
}

func (r *regtest) fund(a keys.Address, amount uint64) {
	r.t.Helper()
	var res api.SubmitResult
	r.call("faucet.request", api.FaucetParams{Address: a.Encode(r.n.Net.AddressHRP), Amount: amount}, &res)
}

func (r *regtest) auction(id wire.Hash) map[string]any {
	r.t.Helper()
	var out map[string]any
	r.call("auction.get", api.AuctionIDParams{ID: id}, &out)
	if out == nil {
		r.t.Fatalf("auction %s does not exist", id)
	}
	return out
}

func mustKey(t *testing.T) *keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// auctionableDevices admits an OEM, attests n devices, checks them in
// (reserve 5 per point, 100 points) and mines until the auction chain's
// anchor covers the check-in. It returns the device keys and the owner.
func (r *regtest) auctionableDevices(n int) ([]*keys.PrivateKey, *keys.PrivateKey) {
	t := r.t
	net := r.n.Net
	auth, ok := registry.DevAuthorityKeys(net)
	if !ok {
		t.Fatal("regtest has no dev authority keys")
	}
	chainID := net.Metadata.ChainID
	oem, gov := mustKey(t), mustKey(t)
	p := registry.Proposal{Action: registry.AdmitOEM, Subject: oem.PubKey(), Name: "Acme", ProposalNonce: 1}
	r.submit(registry.NewApprovedGovernanceTx(chainID, gov, r.nonce(gov, "metadata"), p, auth, []uint8{0, 1}))
	r.generate("metadata", 1)
	r.submit(registry.NewPublishModelTx(chainID, oem, r.nonce(oem, "metadata"), registry.PublishModel{
		ModelID: "acme-fridge-x1", Kind: "fridge", Title: "Acme Fridge X1",
		MetadataSchema: []registry.Field{{Name: "capacity_l", Type: registry.TypeInteger, Required: true}},
		Version:        1, ThingModel: registry.EmptyThingModel("Acme Fridge X1"),
	}))
	var devs []*keys.PrivateKey
	for i := 0; i < n; i++ {
		dev := mustKey(t)
		devs = append(devs, dev)
		r.submit(registry.NewAttestTx(chainID, oem, r.nonce(oem, "metadata"), dev.PubKey(), "acme-fridge-x1"))
	}
	r.generate("metadata", 1)
	owner := mustKey(t)
	for _, dev := range devs {
		td, _ := json.Marshal(map[string]any{
			"@context": registry.TDContext11, "id": registry.DeviceURN(dev.PubKey()), "title": "Acme Fridge X1",
			"securityDefinitions": map[string]any{"bearer_sc": map[string]any{"scheme": "bearer"}}, "security": "bearer_sc",
			"properties": map[string]any{"temperature": map[string]any{"type": "number", "forms": []any{map[string]any{"href": "http://127.0.0.1:1/temperature"}}}},
		})
		req := registry.CheckInRequest{Region: "EU-DE", Terms: registry.Terms{ReservePerPoint: 5, PointsPerPeriod: 100, AccessPeriodSeconds: 600},
			ThingDescription: td, Metadata: []byte(`{"capacity_l":320}`)}
		r.submit(registry.NewSignedCheckInTx(chainID, dev, r.nonce(dev, "metadata"), owner, req))
	}
	r.generate("metadata", 1+int(net.Auction.AnchorDepth))
	r.generate("auction", 1)
	return devs, owner
}

func newBidder(t *testing.T, net *consensus.Params, key *keys.PrivateKey) *wallet.Bidder {
	book, err := wallet.OpenBidBook(t.TempDir(), key.PubKey().Address().Encode(net.AddressHRP))
	if err != nil {
		t.Fatal(err)
	}
	return wallet.NewBidder(net, book)
}

// TestBidderEndToEnd (bond-only bids): one batch commit transaction bids
// on two devices;
// a second bidder bids lower on one of them; RevealDue reveals both of
// the first bidder's bids in one transaction when the reveal phase
// opens; at close the first bidder wins both, at the second price on
// the contested device and at the reserve on the other, pays, and after
// the device delivers a key Keys decrypts it. Balances add up exactly.
func TestBidderEndToEnd(t *testing.T) {
	r := startRegtest(t)
	net := r.n.Net
	devs, _ := r.auctionableDevices(2)
	devHex := []string{devs[0].PubKey().String(), devs[1].PubKey().String()}

	alice, bob := mustKey(t), mustKey(t)
	aAddr, bAddr := alice.PubKey().Address(), bob.PubKey().Address()
	const start = 10 * ledger.Coin
	r.fund(aAddr, start)
	r.fund(bAddr, start)
	r.generate("auction", 1)

	const fee = 1000
	ab, bb := newBidder(t, net, alice), newBidder(t, net, bob)
	ab.BondOnly, bb.BondOnly = true, true // this test follows the payment window

	// Insufficient funds: a stranger without coin is refused before
	// anything is saved or sent.
	poor := mustKey(t)
	pb := newBidder(t, net, poor)
	if _, err := pb.Bid(r.ctx, r.c, poor, devHex, 10, fee); !errors.Is(err, wallet.ErrInsufficientFunds) {
		t.Fatalf("bid without funds: got %v, want ErrInsufficientFunds", err)
	}
	if saved, _ := pb.Book.Load(); len(saved) != 0 {
		t.Fatalf("a refused bid left %d records", len(saved))
	}

	res, err := ab.Bid(r.ctx, r.c, alice, append(devHex, "zz", devHex[0]), 10, fee)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bids) != 2 || len(res.TxIDs) != 1 || len(res.Skipped) != 1 {
		t.Fatalf("bid result: %+v", res)
	}
	if res.Bids[0].Deposit != 100 || res.Deposit != 200 { // 10 × 100 points × 10% bond
		t.Fatalf("deposits %d (%d), want 100 each", res.Bids[0].Deposit, res.Deposit)
	}
	if _, err := bb.Bid(r.ctx, r.c, bob, devHex[:1], 7, fee); err != nil {
		t.Fatal(err)
	}
	saved, err := ab.Book.Load()
	if err != nil || len(saved) != 2 || saved[0].State != wallet.BidStateCommitting {
		t.Fatalf("bid book before mining: %+v %v", saved, err)
	}
	r.generate("auction", 1)
	var tr api.TxResult
	r.call("chain.getTransaction", api.TxQuery{Chain: "auction", ID: res.TxIDs[0]}, &tr)
	if tr.Status != "confirmed" {
		t.Fatalf("commit transaction %s", tr.Status)
	}
	// A second bid on the same auctions is skipped.
	if again, err := ab.Bid(r.ctx, r.c, alice, devHex, 10, fee); !errors.Is(err, wallet.ErrNothingToBid) || len(again.Skipped) != 2 {
		t.Fatalf("bidding twice: %+v %v", again, err)
	}

	// Mine until the reveal phase; RevealDue does nothing before.
	ids := []wire.Hash{res.Bids[0].Auction, res.Bids[1].Auction}
	var revealTx wire.Hash
	for i := 0; i < 10 && revealTx.IsZero(); i++ {
		rr, err := ab.RevealDue(r.ctx, r.c, alice, fee)
		if err != nil {
			t.Fatal(err)
		}
		if len(rr.TxIDs) > 0 {
			if len(rr.TxIDs) != 1 || len(rr.Revealed) != 2 {
				t.Fatalf("reveal: %+v", rr)
			}
			if ph := r.auction(ids[0])["phase"]; ph != "reveal" {
				t.Fatalf("revealed in phase %v", ph)
			}
			revealTx = rr.TxIDs[0]
			// Not sent twice while pending.
			if again, err := ab.RevealDue(r.ctx, r.c, alice, fee); err != nil || len(again.TxIDs) != 0 {
				t.Fatalf("second RevealDue while pending: %+v %v", again, err)
			}
			break
		}
		if rr.Waiting != 2 {
			t.Fatalf("waiting %d, want 2", rr.Waiting)
		}
		r.generate("auction", 1)
	}
	if revealTx.IsZero() {
		t.Fatal("no reveal sent")
	}
	// Bob reveals through Watch on a WebSocket connection.
	ws, err := rpc.Dial(r.ctx, "ws"+strings.TrimPrefix(r.n.RPCURL, "http"), rpc.WithToken(r.n.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	wctx, wcancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer wcancel()
	if err := bb.Watch(wctx, ws, bob, fee, 100*time.Millisecond, func(ev wallet.WatchEvent) bool {
		if ev.Err != nil {
			t.Errorf("watch: %v", ev.Err)
			return true
		}
		return ev.Reveal != nil && len(ev.Reveal.TxIDs) > 0
	}); err != nil {
		t.Fatal(err)
	}
	r.generate("auction", 1)
	if rr, err := ab.RevealDue(r.ctx, r.c, alice, fee); err != nil || len(rr.TxIDs) != 0 {
		t.Fatalf("RevealDue after the reveal is mined: %+v %v", rr, err)
	}
	if saved, _ := ab.Book.Load(); saved[0].State != wallet.BidStateRevealed || saved[1].State != wallet.BidStateRevealed {
		t.Fatalf("book after the reveal: %+v", saved)
	}

	// Mine to the close.
	for i := 0; i < 10 && r.auction(ids[0])["status"] == "open"; i++ {
		r.generate("auction", 1)
	}
	a0, a1 := r.auction(ids[0]), r.auction(ids[1])
	if a0["status"] != "awaiting_payment" || a1["status"] != "awaiting_payment" {
		t.Fatalf("after close: %v, %v", a0["status"], a1["status"])
	}
	mine, err := ab.Auctions(r.ctx, r.c, aAddr)
	if err != nil || len(mine) != 2 {
		t.Fatalf("Auctions: %+v %v", mine, err)
	}
	byID := map[wire.Hash]wallet.MyAuction{}
	for _, m := range mine {
		byID[m.Auction] = m
	}
	if m := byID[ids[0]]; !m.Won || m.PricePerPoint != 7 || m.Price != 700 || m.AmountPerPoint != 10 || m.BidStatus != "revealed" {
		t.Fatalf("contested auction: %+v", m)
	}
	if m := byID[ids[1]]; !m.Won || m.PricePerPoint != 5 || m.Price != 500 {
		t.Fatalf("uncontested auction (reserve price): %+v", m)
	}
	// Bob's deposit stays in escrow as the fallback while Alice's payment
	// window runs.
	if got := r.balance(bAddr); got != start-2*fee-70 {
		t.Fatalf("fallback bidder's balance %d, want %d", got, start-2*fee-70)
	}

	pay, err := ab.PayDue(r.ctx, r.c, alice, fee)
	if err != nil || len(pay.TxIDs) != 2 || pay.Owed != 600+400 {
		t.Fatalf("PayDue: %+v %v", pay, err)
	}
	if again, err := ab.PayDue(r.ctx, r.c, alice, fee); err != nil || len(again.TxIDs) != 0 {
		t.Fatalf("PayDue while pending: %+v %v", again, err)
	}
	r.generate("auction", 1)
	if st := r.auction(ids[0])["status"]; st != "awaiting_delivery" {
		t.Fatalf("after payment: %v", st)
	}
	// Bob lost and is refunded: he paid only his two fees.
	if got := r.balance(bAddr); got != start-2*fee {
		t.Fatalf("loser's balance %d, want %d", got, start-2*fee)
	}
	// Alice paid both prices and four fees (commit, reveal, two payments).
	if got, want := r.balance(aAddr), uint64(start-700-500-4*fee); got != want {
		t.Fatalf("winner's balance %d, want %d", got, want)
	}

	// The device delivers a key; Keys decrypts it.
	dev := devs[0]
	r.fund(dev.PubKey().Address(), ledger.Coin)
	r.generate("auction", 1)
	accessKey := []byte("0123456789abcdef0123456789abcdef")
	dtx, err := auction.NewDeliverKeyTx(net, dev, r.nonce(dev, "auction"), fee, ids[0], alice.PubKey(), accessKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r.submit(dtx)
	r.generate("auction", 1)
	ks, err := ab.Keys(r.ctx, r.c, alice)
	if err != nil || len(ks) != 1 {
		t.Fatalf("Keys: %+v %v", ks, err)
	}
	k := ks[0]
	if !bytes.Equal(k.Key, accessKey) || k.Error != "" || k.Auction != ids[0] || k.Device != devHex[0] || !k.Valid || k.Points != 100 {
		t.Fatalf("delivered key: %+v", k)
	}
	if k.Token() != ids[0].String()+"."+hex.EncodeToString(accessKey) {
		t.Fatalf("token %s", k.Token())
	}
	if ks, err := bb.Keys(r.ctx, r.c, bob); err != nil || len(ks) != 0 {
		t.Fatalf("loser's keys: %+v %v", ks, err)
	}
}
