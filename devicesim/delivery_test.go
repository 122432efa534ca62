package devicesim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
	"github.com/thingchain/thingchain/registry"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger"
)

func TestKeyStorePersists(t *testing.T) {
	dir := t.TempDir()
	path := keysPath(filepath.Join(dir, "fridge-000.json"))
	var ks keyStore
	if err := ks.load(path); err != nil {
		t.Fatal(err)
	}
	id := wire.Hash{1, 2, 3}
	k1, err := ks.getOrCreate(id, rand.Reader)
	if err != nil || len(k1) != 32 {
		t.Fatalf("%x %v", k1, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v %v", st, err)
	}
	var again keyStore
	if err := again.load(path); err != nil {
		t.Fatal(err)
	}
	k2, err := again.getOrCreate(id, rand.Reader)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reloaded key %x, want %x (%v)", k2, k1, err)
	}
	if _, ok := again.get(wire.Hash{9}); ok {
		t.Fatal("key of an unknown auction")
	}
}

// TestAuctionDeliveryAndAccessOnRegtest: a simulated device checks in; a
// bidder wins its auction and pays from its deposit; the device delivers
// an access key; the winner decrypts it and fetches data; a forged key is
// refused, and so is the right key once the access period is over.
func TestAuctionDeliveryAndAccessOnRegtest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	// libp2p on loopback (no peers), so admin.setNetworkActive has a
	// network to switch in the API conformance check below.
	client := nodetest.Client(t, context.Background(), nodetest.Start(t, node.Config{}))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var skew atomic.Int64 // the simulator's clock runs this far ahead
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	kind, _ := KindByName("thermostat")
	dir := t.TempDir()
	sim, err := New(Config{
		Client: client, Dir: dir, Devices: 1, Kinds: []*Kind{kind}, Generate: AdminGenerate(client),
		PollInterval: 50 * time.Millisecond, ConfirmTimeout: time.Minute, Logger: testLogger(t),
		AuctionPoll: -1, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	net := sim.Network()
	dev := sim.Agents()[0]
	generate := func(chain string, n int) {
		t.Helper()
		var hashes []wire.Hash
		if err := client.Call(ctx, "admin.generate", api.GenerateParams{Chain: chain, Count: n}, &hashes); err != nil {
			t.Fatalf("generate %d %s: %v", n, chain, err)
		}
	}
	// Anchor the check-in: metadata blocks above it, then auction blocks
	// (which also mine the faucet's transfer to the device).
	generate("metadata", 2)
	generate("auction", 2)

	bidder, _ := keys.GenerateKey()
	bidderAddr := bidder.PubKey().Address()
	var fres api.SubmitResult
	if err := client.Call(ctx, "faucet.request", api.FaucetParams{Address: bidderAddr.Encode(net.AddressHRP), Amount: 100 * ledger.Coin}, &fres); err != nil {
		t.Fatal(err)
	}
	generate("auction", 1)
	var acct api.Account
	if err := client.Call(ctx, "account.get", api.AddressParams{Address: dev.DeviceAddress()}, &acct); err != nil || acct.Balance < FundingThreshold {
		t.Fatalf("device not funded for fees: %+v %v", acct, err)
	}

	var next api.NextAuctionResult
	if err := client.Call(ctx, "auction.next", api.DeviceParams{Device: dev.DeviceHex()}, &next); err != nil || !next.Biddable {
		t.Fatalf("auction.next: %+v %v", next, err)
	}
	amount := next.Terms.ReservePerPoint + 5
	deposit := amount * next.Terms.PointsPerPeriod // full price: paid at close
	bid := auction.SealBid(bidderAddr, dev.DeviceKey.PubKey(), next.Seq, amount, deposit, auction.NewSalt())
	send := func(build func(nonce uint64) *wire.Tx) {
		t.Helper()
		n, err := nextNonce(ctx, client, bidder.PubKey(), "auction")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := submit(ctx, client, build(n)); err != nil {
			t.Fatal(err)
		}
	}
	send(func(n uint64) *wire.Tx { return auction.NewCommitTx(net, bidder, n, 1000, bid) })
	generate("auction", 1)

	view := func() *api.AuctionView {
		t.Helper()
		a, err := getAuction(ctx, client, bid.Auction)
		if err != nil || a == nil {
			t.Fatalf("auction.get: %v %v", a, err)
		}
		return a
	}
	var phase struct {
		Phase string `json:"phase"`
	}
	for i := 0; ; i++ {
		if err := client.Call(ctx, "auction.get", api.AuctionIDParams{ID: bid.Auction}, &phase); err != nil {
			t.Fatal(err)
		}
		if phase.Phase == "reveal" {
			break
		}
		if phase.Phase != "commit" || i > 10 {
			t.Fatalf("auction in phase %q after %d blocks", phase.Phase, i)
		}
		generate("auction", 1)
	}
	send(func(n uint64) *wire.Tx { return auction.NewRevealTx(net, bidder, n, 1000, bid) })
	for i := 0; view().Status != apitypes.StatusPaid; i++ {
		if i > 10 {
			t.Fatalf("auction status %q", view().Status)
		}
		generate("auction", 1)
	}
	if a := view(); a.Winner != bidderAddr.Encode(net.AddressHRP) || a.Price != next.Terms.ReservePerPoint*next.Terms.PointsPerPeriod {
		t.Fatalf("winner %s price %d", a.Winner, a.Price)
	}

	// One batched call tells the device what to deliver, and to whom.
	awaiting := func() []api.AwaitingDelivery {
		t.Helper()
		var due []api.AwaitingDelivery
		if err := client.Call(ctx, "auction.awaitingDelivery", api.DevicesParams{Devices: []string{dev.DeviceHex(), bidder.PubKey().String()}}, &due); err != nil {
			t.Fatalf("auction.awaitingDelivery: %v", err)
		}
		return due
	}
	var dueRaw json.RawMessage // kept for the docs' conformance check below
	if err := client.Call(ctx, "auction.awaitingDelivery", api.DevicesParams{Devices: []string{dev.DeviceHex()}}, &dueRaw); err != nil {
		t.Fatal(err)
	}
	if due := awaiting(); len(due) != 1 || due[0].Auction != bid.Auction || due[0].Device != dev.DeviceHex() ||
		due[0].WinnerKey != bidder.PubKey().String() || due[0].Winner != bidderAddr.Encode(net.AddressHRP) || due[0].DeliveryDeadline <= due[0].Height {
		t.Fatalf("awaiting delivery: %+v, want auction %s to %s", due, bid.Auction, bidder.PubKey())
	}

	// The device saved a key and "crashed" before submitting: the restarted
	// agent delivers that same key.
	saved, err := dev.accessKeys.getOrCreate(bid.Auction, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	agentFile := filepath.Join(dir, "thermostat-000.json")
	restarted, err := LoadOrCreateAgent(agentFile, kind, net, client)
	if err != nil {
		t.Fatal(err)
	}
	restarted.Logger = testLogger(t)
	ids, err := restarted.DeliverKeys(ctx, DefaultDeliveryFee)
	if err != nil || len(ids) != 1 || ids[0] != bid.Auction {
		t.Fatalf("deliveries %v, %v", ids, err)
	}
	// The simulator's own round finds the delivery pending: the node
	// refuses a second one, which is no error.
	if ids, err := sim.DeliverKeys(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("second delivery round: %v, %v", ids, err)
	}
	generate("auction", 1)
	if a := view(); a.Status != apitypes.StatusDelivered || a.Delivery == nil {
		t.Fatalf("after delivery: status %s, delivery %v", a.Status, a.Delivery)
	}

	// With a device, a model, an OEM, bids and a delivered key on chain,
	// every API method's response must match docs/api.md.
	rec, err := GetDevice(ctx, client, dev.DeviceKey.PubKey())
	if err != nil || rec == nil {
		t.Fatalf("registry.device: %v %v", rec, err)
	}
	// A miner admitted by governance, so registry.miner has a record.
	minerKey, _ := keys.GenerateKey()
	authorities, ok := registry.DevAuthorityKeys(net)
	if !ok {
		t.Fatal("regtest has no dev authority keys")
	}
	idx := make([]uint8, net.AuthorityThreshold)
	for i := range idx {
		idx[i] = uint8(i)
	}
	admit := registry.Proposal{Action: registry.AdmitMiner, Subject: minerKey.PubKey(), Name: "conformance test miner", ProposalNonce: 1}
	if _, err := NewSender(client, minerKey).Submit(ctx, func(n uint64) *wire.Tx {
		return registry.NewApprovedGovernanceTx(net.Metadata.ChainID, minerKey, n, admit, authorities, idx)
	}); err != nil {
		t.Fatal(err)
	}
	generate("metadata", 1)
	commitTx := view().BidList[0]
	var hist []api.HistoryEntry
	if err := client.Call(ctx, "account.history", api.HistoryParams{Address: bidderAddr.Encode(net.AddressHRP)}, &hist); err != nil || len(hist) == 0 {
		t.Fatalf("account.history: %v %v", hist, err)
	}
	one, active := uint64(1), true
	var tips api.ChainInfoResult
	if err := client.Call(ctx, "chain.info", nil, &tips); err != nil {
		t.Fatal(err)
	}
	nextNonce := mustNonce(t, ctx, client, bidder.PubKey())
	checkAPIDocs(t, ctx, client, []apiCall{
		{method: "rpc.methods"},
		{method: "node.info"},
		{method: "chain.info"},
		{method: "chain.getBlock", params: api.BlockQuery{Chain: "metadata", Height: &one, Full: true}},
		{method: "chain.getBlock", params: api.BlockQuery{Chain: "metadata", Height: &one}},
		{method: "chain.getTransaction", params: api.TxQuery{Chain: "auction", ID: hist[0].ID}},
		{method: "tx.submit", params: api.SubmitParams{Raw: hex.EncodeToString(ledger.NewTransfer(net, bidder, dev.DeviceKey.PubKey().Address(), 1, 1000, nextNonce).Encode())}},
		// One accepted, one refused (a used nonce: error.data.kind).
		{method: "tx.submitBatch", params: api.SubmitBatchParams{Raws: []string{
			hex.EncodeToString(ledger.NewTransfer(net, bidder, dev.DeviceKey.PubKey().Address(), 1, 1000, nextNonce+1).Encode()),
			hex.EncodeToString(ledger.NewTransfer(net, bidder, dev.DeviceKey.PubKey().Address(), 2, 1000, 0).Encode())}}},
		{method: "account.get", params: api.AddressParams{Address: bidderAddr.Encode(net.AddressHRP)}},
		{method: "account.nextNonce", params: api.NonceParams{PubKey: bidder.PubKey().String()}},
		{method: "account.history", params: api.HistoryParams{Address: bidderAddr.Encode(net.AddressHRP)}},
		{method: "mempool.info", params: api.PoolParams{Chain: "auction", Limit: 10}},
		{method: "faucet.request", params: api.FaucetParams{Address: bidderAddr.Encode(net.AddressHRP), Amount: 1000}},
		{method: "admin.generate", params: api.GenerateParams{Chain: "auction", Count: 1}},
		{method: "admin.reconsiderBlock", params: api.ReconsiderParams{Chain: "auction", Hash: tips.Auction.Hash}},
		{method: "admin.setNetworkActive", params: apitypes.NetworkActiveParams{Active: &active}},
		{method: "registry.devices", params: api.DeviceFilter{Limit: 5}},
		{method: "registry.device", params: api.DeviceParams{Device: dev.DeviceHex()}},
		{method: "registry.oem", params: api.KeyParams{Key: rec.OEM}},
		{method: "registry.miner", params: api.KeyParams{Key: minerKey.PubKey().String()}},
		{method: "registry.model", params: api.ModelParams{ID: rec.Model}},
		{method: "auction.next", params: api.DeviceParams{Device: dev.DeviceHex()}},
		{method: "auction.nextMany", params: api.DevicesParams{Devices: []string{dev.DeviceHex()}}},
		{method: "auction.get", params: api.AuctionIDParams{ID: bid.Auction}},
		{method: "auction.ofDevice", params: api.DeviceParams{Device: dev.DeviceHex()}},
		{method: "auction.ofBidder", params: api.AddressParams{Address: commitTx.Bidder}},
		{method: "auction.getMany", params: api.AuctionsParams{IDs: []wire.Hash{bid.Auction}, Bidder: commitTx.Bidder}},
		{method: "auction.info"},
		{method: "registry.devicesByKey", params: api.DevicesParams{Devices: []string{dev.DeviceHex(), bidder.PubKey().String()}}},
		// Recorded while the auction awaited delivery: now it lists nothing.
		{method: "auction.awaitingDelivery", recorded: dueRaw},
	})
	// A real node's rule refusal carries its kind in error.data.
	_, err = submit(ctx, client, ledger.NewTransfer(net, bidder, dev.DeviceKey.PubKey().Address(), 1, 1000, 0))
	if !hasKind(err, kindBadNonce) {
		t.Fatalf("reused nonce: kind %q, error %v", apiclient.Kind(err), err)
	}
	if ids, err := sim.DeliverKeys(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("second round delivered again: %v %v", ids, err)
	}
	if due := awaiting(); len(due) != 0 {
		t.Fatalf("awaiting delivery after the delivery: %+v", due)
	}

	// The winner opens the key.
	d, err := GetDelivery(ctx, client, bid.Auction)
	if err != nil || d == nil {
		t.Fatalf("delivery: %v %v", d, err)
	}
	key, err := d.Open(bidder)
	if err != nil || !bytes.Equal(key, saved) {
		t.Fatalf("opened key %x (%v), the device saved %x", key, err, saved)
	}
	if d.Expires-d.Time != int64(next.Terms.AccessPeriodSeconds)*1000 {
		t.Fatalf("access period %d ms", d.Expires-d.Time)
	}
	// Block times may run ahead of this clock: start the check inside the
	// period.
	if now := time.Now().UnixMilli(); now < d.Time {
		skew.Store(int64(time.Duration(d.Time-now+1) * time.Millisecond))
	}

	token := AccessToken(bid.Auction, key)
	code, body, _ := get(t, dev.DataURL(), token)
	if code != 200 || !strings.Contains(string(body), "readings") {
		t.Fatalf("data with a valid key: %d %s", code, body)
	}
	forged := append([]byte(nil), key...)
	forged[31] ^= 0x80
	if code, body, _ := get(t, dev.DataURL(), AccessToken(bid.Auction, forged)); code != 403 || !strings.Contains(string(body), "forged or wrong key") {
		t.Fatalf("forged key: %d %s", code, body)
	}
	if code, _, _ := get(t, dev.DataURL(), ""); code != 401 {
		t.Fatalf("no key: %d", code)
	}
	// After the access period.
	skew.Store(int64(time.Duration(d.Expires-time.Now().UnixMilli()) * time.Millisecond))
	code, body, _ = get(t, dev.DataURL(), token)
	if code != 403 || !strings.Contains(string(body), "access period ended at") {
		t.Fatalf("expired key: %d %s", code, body)
	}

	// The key survives a restart of the simulator.
	reloaded, err := LoadOrCreateAgent(agentFile, kind, net, client)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := reloaded.AccessKey(bid.Auction); !ok || !bytes.Equal(k, key) {
		t.Fatalf("reloaded agent has key %x", k)
	}
}

func mustNonce(t *testing.T, ctx context.Context, c Caller, pk keys.PubKey) uint64 {
	t.Helper()
	n, err := nextNonce(ctx, c, pk, "auction")
	if err != nil {
		t.Fatal(err)
	}
	return n
}
