package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// runApp runs the CLI in this process and returns its output.
func runApp(t *testing.T, wantErr bool, args ...string) string {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	argv := interspersed(app, append([]string{"thingchain"}, args...))
	err := app.Run(argv)
	if (err != nil) != wantErr {
		t.Fatalf("thingchain %v: err=%v\nstdout: %s\nstderr: %s", args, err, out.String(), errOut.String())
	}
	if wantErr {
		return err.Error()
	}
	return out.String()
}

func submitTx(t *testing.T, c *rpc.Client, tx *wire.Tx) {
	t.Helper()
	var res api.SubmitResult
	if err := c.Call(context.Background(), "tx.submit", api.SubmitParams{Raw: hex.EncodeToString(tx.Encode())}, &res); err != nil {
		t.Fatalf("tx.submit: %v", err)
	}
}

func txNonce(t *testing.T, c *rpc.Client, k *keys.PrivateKey, chainName string) uint64 {
	t.Helper()
	var n uint64
	if err := c.Call(context.Background(), "account.nextNonce", api.NonceParams{PubKey: k.PubKey().String(), Chain: chainName}, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWalletAuctionCommands: `wallet bid --bond-only` finds the devices by
// filter and commits one batch; `wallet reveal` reveals in the reveal phase and pays
// after the close; `wallet auctions` shows the win; after the device
// delivers a key, `wallet keys` decrypts it and `wallet fetch` downloads
// the data with the bearer access proof.
func TestWalletAuctionCommands(t *testing.T) {
	n := nodetest.Start(t, node.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := nodetest.Client(t, ctx, n)
	gen := func(kind consensus.ChainKind, count int) {
		t.Helper()
		if _, err := n.Generate(ctx, kind, count); err != nil {
			t.Fatal(err)
		}
	}
	net := n.Net

	// The device's data endpoint checks the access proof.
	var wantToken string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+wantToken {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "bad key"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"temperature": 4.5, "path": r.URL.Path})
	}))
	defer srv.Close()

	// An OEM, two fridges checked in, anchored.
	auth, _ := registry.DevAuthorityKeys(net)
	mk := func() *keys.PrivateKey {
		k, err := keys.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	chainID := net.Metadata.ChainID
	oem, gov, owner := mk(), mk(), mk()
	submitTx(t, c, registry.NewApprovedGovernanceTx(chainID, gov, txNonce(t, c, gov, "metadata"),
		registry.Proposal{Action: registry.AdmitOEM, Subject: oem.PubKey(), Name: "Acme", ProposalNonce: 1}, auth, []uint8{0, 1}))
	gen(consensus.MetadataChain, 1)
	submitTx(t, c, registry.NewPublishModelTx(chainID, oem, txNonce(t, c, oem, "metadata"), registry.PublishModel{
		ModelID: "acme-fridge-x1", Kind: "fridge", Title: "Acme Fridge X1",
		MetadataSchema: []registry.Field{{Name: "capacity_l", Type: registry.TypeInteger, Required: true}},
		Version:        1, ThingModel: registry.EmptyThingModel("Acme Fridge X1"),
	}))
	devs := []*keys.PrivateKey{mk(), mk()}
	for _, d := range devs {
		submitTx(t, c, registry.NewAttestTx(chainID, oem, txNonce(t, c, oem, "metadata"), d.PubKey(), "acme-fridge-x1"))
	}
	gen(consensus.MetadataChain, 1)
	for _, d := range devs {
		td, _ := json.Marshal(map[string]any{
			"@context": registry.TDContext11, "id": registry.DeviceURN(d.PubKey()), "title": "Acme Fridge X1", "base": srv.URL,
			"securityDefinitions": map[string]any{"bearer_sc": map[string]any{"scheme": "bearer"}}, "security": "bearer_sc",
			"forms":      []any{map[string]any{"href": "/things/" + d.PubKey().String() + "/properties"}},
			"properties": map[string]any{"temperature": map[string]any{"type": "number", "forms": []any{map[string]any{"href": srv.URL + "/temperature"}}}},
		})
		req := registry.CheckInRequest{Region: "EU-DE", Terms: registry.Terms{ReservePerPoint: 5, PointsPerPeriod: 100, AccessPeriodSeconds: 600},
			ThingDescription: td, Metadata: []byte(`{"capacity_l":320}`)}
		submitTx(t, c, registry.NewSignedCheckInTx(chainID, d, txNonce(t, c, d, "metadata"), owner, req))
	}
	gen(consensus.MetadataChain, 1+int(net.Auction.AnchorDepth))
	gen(consensus.AuctionChain, 1)

	t.Setenv(wallet.PasswordEnvVar, "correct horse")
	common := []string{"--network", "regtest", "--wallet-dir", t.TempDir(), "--node", n.RPCURL}
	var created map[string]string
	json.Unmarshal([]byte(runApp(t, false, append([]string{"wallet", "new", "--kdf", "light", "--json", "alice"}, common...)...)), &created)
	aliceAddr := created["address"]

	// No funds: a clear error.
	msg := runApp(t, true, append([]string{"wallet", "bid", "alice", "--filter", "kind=fridge", "--max-price-per-point", "10u", "--no-wait"}, common...)...)
	if !strings.Contains(msg, "insufficient funds") {
		t.Fatalf("bid without funds: %s", msg)
	}
	msg = runApp(t, true, append([]string{"wallet", "bid", "alice", "--filter", "colour=red", "--max-price-per-point", "10u"}, common...)...)
	if !strings.Contains(msg, "unknown key") {
		t.Fatalf("bad filter: %s", msg)
	}
	runApp(t, false, append([]string{"wallet", "faucet", "alice", "--amount", "10"}, common...)...)
	gen(consensus.AuctionChain, 1)

	var bid struct {
		Bids    []wallet.PlacedBid     `json:"bids"`
		Skipped []wallet.SkippedDevice `json:"skipped"`
		TxIDs   []wire.Hash            `json:"txids"`
		Deposit uint64                 `json:"deposit"`
	}
	out := runApp(t, false, append([]string{"wallet", "bid", "alice", "--filter", "kind=fridge", "--filter", "region=EU", "--max-price-per-point", "10u", "--fee", "1000u", "--bond-only", "--no-wait", "--json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &bid); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(bid.Bids) != 2 || len(bid.TxIDs) != 1 || bid.Deposit != 200 {
		t.Fatalf("bid: %s", out)
	}
	gen(consensus.AuctionChain, 1)
	out = runApp(t, false, append([]string{"wallet", "reveal", "alice", "--fee", "1000u"}, common...)...)
	if !strings.Contains(out, "commit phase") {
		t.Fatalf("reveal during the commit phase: %s", out)
	}
	gen(consensus.AuctionChain, int(net.Auctions.CommitBlocks))
	out = runApp(t, false, append([]string{"wallet", "reveal", "alice", "--fee", "1000u"}, common...)...)
	if !strings.Contains(out, "revealed 2 bids") {
		t.Fatalf("reveal in the reveal phase: %s", out)
	}
	gen(consensus.AuctionChain, int(net.Auctions.RevealBlocks))
	out = runApp(t, false, append([]string{"wallet", "reveal", "alice", "--fee", "1000u"}, common...)...)
	if !strings.Contains(out, "paid 2 won auctions") {
		t.Fatalf("payment after the close: %s", out)
	}
	gen(consensus.AuctionChain, 1)
	var mine []wallet.MyAuction
	out = runApp(t, false, append([]string{"wallet", "auctions", aliceAddr, "--json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &mine); err != nil || len(mine) != 2 {
		t.Fatalf("auctions: %v %s", err, out)
	}
	for _, m := range mine {
		if !m.Won || m.Price != 500 || m.Phase != "awaiting_delivery" || m.AmountPerPoint != 10 {
			t.Fatalf("auction %+v", m)
		}
	}
	if out := runApp(t, false, append([]string{"wallet", "auctions", "alice"}, common...)...); !strings.Contains(out, "awaiting_delivery") || !strings.Contains(out, "me") {
		t.Fatalf("auctions table: %s", out)
	}

	// Before delivery: fetch says why it cannot.
	dev := devs[0]
	msg = runApp(t, true, append([]string{"wallet", "fetch", "alice", dev.PubKey().String()}, common...)...)
	if !strings.Contains(msg, "no access key delivered") {
		t.Fatalf("fetch before delivery: %s", msg)
	}
	// The device delivers.
	var fres api.SubmitResult
	if err := c.Call(ctx, "faucet.request", api.FaucetParams{Address: dev.PubKey().Address().Encode(net.AddressHRP), Amount: ledger.Coin}, &fres); err != nil {
		t.Fatal(err)
	}
	gen(consensus.AuctionChain, 1)
	accessKey := make([]byte, 32)
	rand.Read(accessKey)
	var id wire.Hash
	for _, m := range mine {
		if m.Device == dev.PubKey().String() {
			id = m.Auction
		}
	}
	var av api.AuctionView
	if err := c.Call(ctx, "auction.get", api.AuctionIDParams{ID: id}, &av); err != nil || len(av.BidList) != 1 {
		t.Fatalf("auction.get: %v %+v", err, av)
	}
	winnerKey, err := keys.ParsePubKeyHex(av.BidList[0].BidderKey)
	if err != nil {
		t.Fatal(err)
	}
	dtx, err := auction.NewDeliverKeyTx(net, dev, txNonce(t, c, dev, "auction"), 1000, id, winnerKey, accessKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	submitTx(t, c, dtx)
	gen(consensus.AuctionChain, 1)

	var ks []wallet.AccessKey
	out = runApp(t, false, append([]string{"wallet", "keys", "alice", "--json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &ks); err != nil || len(ks) != 1 || ks[0].KeyHex != hex.EncodeToString(accessKey) || !ks[0].Valid {
		t.Fatalf("keys: %v %s", err, out)
	}
	wantToken = id.String() + "." + hex.EncodeToString(accessKey)
	out = runApp(t, false, append([]string{"wallet", "fetch", "alice", dev.PubKey().String(), "--property", "temperature"}, common...)...)
	if !strings.Contains(out, `"temperature": 4.5`) || !strings.Contains(out, `"/temperature"`) {
		t.Fatalf("fetch property: %s", out)
	}
	out = runApp(t, false, append([]string{"wallet", "fetch", "alice", dev.PubKey().String()}, common...)...)
	if !strings.Contains(out, "/properties") {
		t.Fatalf("fetch all properties (relative href against base): %s", out)
	}
	wantToken = "something else"
	msg = runApp(t, true, append([]string{"wallet", "fetch", "alice", dev.PubKey().String()}, common...)...)
	if !strings.Contains(msg, "refused") || !strings.Contains(msg, "bad key") {
		t.Fatalf("refused fetch: %s", msg)
	}

	// By default `wallet bid` escrows full deposits and stays until every
	// bid ended: here the devices never deliver, so both wins end refunded.
	runApp(t, false, append([]string{"wallet", "new", "--kdf", "light", "bob"}, common...)...)
	runApp(t, false, append([]string{"wallet", "faucet", "bob", "--amount", "10"}, common...)...)
	gen(consensus.AuctionChain, 1)
	app := newApp()
	var bout, berr bytes.Buffer
	app.Writer, app.ErrWriter = &bout, &berr
	finished := make(chan error, 1)
	go func() {
		finished <- app.Run(interspersed(app, append([]string{"thingchain", "wallet", "bid", "bob", "--filter", "kind=fridge", "--max-price-per-point", "6u", "--fee", "1000u"}, common...)))
	}()
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case err := <-finished:
			if err != nil {
				t.Fatalf("bid with wait: %v\n%s\n%s", err, bout.String(), berr.String())
			}
			waiting = false
		case <-tick.C:
			gen(consensus.AuctionChain, 1)
		case <-time.After(30 * time.Second):
			t.Fatalf("bid did not return after its bids ended: %s", bout.String())
		}
	}
	if out := bout.String(); !strings.Contains(out, "committed 2 sealed bids") || !strings.Contains(out, "revealed 2 bids") ||
		!strings.Contains(out, "full deposits") || !strings.Contains(out, "all 2 bids ended: 2 won but not delivered (price refunded)") {
		t.Fatalf("bid with wait: %s\n%s", out, berr.String())
	}

	// Stopped while waiting (Ctrl-C cancels the command's context), `wallet
	// bid` says how to resume; `wallet watch` resumes from the bid book and
	// follows the bids to their end.
	runApp(t, false, append([]string{"wallet", "new", "--kdf", "light", "carol"}, common...)...)
	runApp(t, false, append([]string{"wallet", "faucet", "carol", "--amount", "10"}, common...)...)
	gen(consensus.AuctionChain, 1)
	var cout, cerr syncBuffer
	bidCtx, stopBid := context.WithCancel(ctx)
	finished = runAppAsync(bidCtx, &cout, &cerr, append([]string{"wallet", "bid", "carol", "--filter", "kind=fridge", "--max-price-per-point", "6u", "--fee", "1000u"}, common...)...)
	mineUntil(t, gen, finished, func() bool { return strings.Contains(cout.String(), "sealed bid on chain") }, &cout)
	stopBid()
	if err := <-finished; err != nil {
		t.Fatalf("interrupted bid: %v", err)
	}
	if msg := cerr.String(); !strings.Contains(msg, "2 bids have not ended") || !strings.Contains(msg, "Resume with:\n  thingchain wallet watch carol --network regtest --wallet-dir") {
		t.Fatalf("interrupted bid's message: %s", msg)
	}
	var wout, werr syncBuffer
	finished = runAppAsync(ctx, &wout, &werr, append([]string{"wallet", "watch", "carol", "--fee", "1000u"}, common...)...)
	mineUntil(t, gen, finished, nil, &wout)
	if err := <-finished; err != nil {
		t.Fatalf("watch: %v\n%s", err, werr.String())
	}
	if out := wout.String(); !strings.Contains(out, "revealed 2 bids") || !strings.Contains(out, "all 2 bids ended") {
		t.Fatalf("watch after the interrupted bid: %s\n%s", out, werr.String())
	}
	if out := runApp(t, false, append([]string{"wallet", "watch", "carol"}, common...)...); !strings.Contains(out, "no bid to follow") {
		t.Fatalf("watch with every bid ended: %s", out)
	}
	var none struct {
		Bids         []wallet.BidProgress `json:"bids"`
		Ended, Total int
	}
	out = runApp(t, false, append([]string{"wallet", "watch", "carol", "--json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &none); err != nil || none.Bids == nil || len(none.Bids) != 0 || none.Total != 0 {
		t.Fatalf("watch --json with every bid ended: %v %s", err, out)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// runAppAsync runs the CLI in this process until ctx ends or it returns.
func runAppAsync(ctx context.Context, out, errOut io.Writer, args ...string) chan error {
	app := newApp()
	app.Writer, app.ErrWriter = out, errOut
	done := make(chan error, 1)
	go func() { done <- app.RunContext(ctx, interspersed(app, append([]string{"thingchain"}, args...))) }()
	return done
}

// mineUntil mines an auction block every 400 ms until cond holds (nil:
// until the command finishes, whose result it leaves in finished). The
// pace leaves a wallet slowed by -race and a busy machine time to reveal
// within regtest's 3-block reveal phase (a node with --mine makes one
// block per second).
func mineUntil(t *testing.T, gen func(consensus.ChainKind, int), finished chan error, cond func() bool, out *syncBuffer) {
	t.Helper()
	tick := time.NewTicker(400 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-finished:
			finished <- err
			if cond != nil {
				t.Fatalf("command ended before the condition held: %v\n%s", err, out.String())
			}
			return
		case <-tick.C:
			if cond != nil && cond() {
				return
			}
			gen(consensus.AuctionChain, 1)
		case <-deadline:
			t.Fatalf("timed out; output so far:\n%s", out.String())
		}
	}
}
