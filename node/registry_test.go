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
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// metaClient drives a regtest node's metadata chain through its API, as a
// device agent or OEM tool would.
type metaClient struct {
	t   *testing.T
	n   *Node
	c   *rpc.Client
	ctx context.Context
}

func newMetaClient(t *testing.T, n *Node) *metaClient {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c, err := rpc.Dial(ctx, n.RPCURL, rpc.WithToken(n.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &metaClient{t: t, n: n, c: c, ctx: ctx}
}

func (m *metaClient) nonce(k *keys.PrivateKey) uint64 {
	m.t.Helper()
	var n uint64
	if err := m.c.Call(m.ctx, "account.nextNonce", api.NonceParams{PubKey: k.PubKey().String(), Chain: "metadata"}, &n); err != nil {
		m.t.Fatal(err)
	}
	return n
}

func (m *metaClient) submit(tx *wire.Tx) error {
	var res api.SubmitResult
	return m.c.Call(m.ctx, "tx.submit", api.SubmitParams{Raw: hex.EncodeToString(tx.Encode())}, &res)
}

func (m *metaClient) mustSubmit(tx *wire.Tx) {
	m.t.Helper()
	if err := m.submit(tx); err != nil {
		m.t.Fatalf("tx.submit: %v", err)
	}
}

func (m *metaClient) generate() {
	m.t.Helper()
	var hashes []wire.Hash
	if err := m.c.Call(m.ctx, "admin.generate", api.GenerateParams{Chain: "metadata", Count: 1}, &hashes); err != nil {
		m.t.Fatal(err)
	}
	if got := m.n.MetadataPool.Stats().Count; got != 0 {
		m.t.Fatalf("%d metadata transactions still pending after a block", got)
	}
}

func (m *metaClient) devices(f api.DeviceFilter) registry.QueryResult {
	m.t.Helper()
	var res registry.QueryResult
	if err := m.c.Call(m.ctx, "registry.devices", f, &res); err != nil {
		m.t.Fatal(err)
	}
	return res
}

func mustKey(t *testing.T) *keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fridgeTD(device keys.PubKey, href string) []byte {
	b, _ := json.Marshal(map[string]any{
		"@context":            registry.TDContext11,
		"id":                  registry.DeviceURN(device),
		"title":               "Acme Fridge X1",
		"securityDefinitions": map[string]any{"bearer_sc": map[string]any{"scheme": "bearer"}},
		"security":            "bearer_sc",
		"properties": map[string]any{
			"temperature": map[string]any{"type": "number", "forms": []any{map[string]any{"href": href}}},
		},
	})
	return b
}

// admitFridgeOEM admits an OEM by governance and publishes its model.
func admitFridgeOEM(m *metaClient) *keys.PrivateKey {
	t := m.t
	net := m.n.Net
	auth, ok := registry.DevAuthorityKeys(net)
	if !ok {
		t.Fatal("regtest has no dev authority keys")
	}
	oem, gov := mustKey(t), mustKey(t)
	p := registry.Proposal{Action: registry.AdmitOEM, Subject: oem.PubKey(), Name: "Acme", ProposalNonce: 1}
	chainID := net.Metadata.ChainID
	m.mustSubmit(registry.NewApprovedGovernanceTx(chainID, gov, m.nonce(gov), p, auth, []uint8{0, 1}))
	m.generate()
	m.mustSubmit(registry.NewPublishModelTx(chainID, oem, m.nonce(oem), registry.PublishModel{
		ModelID: "acme-fridge-x1", Kind: "fridge", Title: "Acme Fridge X1",
		MetadataSchema: []registry.Field{{Name: "capacity_l", Type: registry.TypeInteger, Required: true}},
		Version:        1, ThingModel: registry.EmptyThingModel("Acme Fridge X1"),
	}))
	return oem
}

// TestMetadataChainThroughAPI: governance, a model, attestations and
// owner-signed check-ins go through tx.submit into the metadata mempool
// and a mined block; registry.devices then finds exactly the enabled
// devices, and bad submissions get their specific errors.
func TestMetadataChainThroughAPI(t *testing.T) {
	n := startNode(t)
	m := newMetaClient(t, n)
	chainID := n.Net.Metadata.ChainID
	oem := admitFridgeOEM(m)

	var devs []*keys.PrivateKey
	for i := 0; i < 3; i++ {
		dev := mustKey(t)
		devs = append(devs, dev)
		// Sequential OEM nonces from the pending pool, several per block.
		m.mustSubmit(registry.NewAttestTx(chainID, oem, m.nonce(oem), dev.PubKey(), "acme-fridge-x1"))
	}
	m.generate()

	req := func(dev *keys.PrivateKey) registry.CheckInRequest {
		return registry.CheckInRequest{Region: "EU-DE", Terms: registry.Terms{ReservePerPoint: 5, PointsPerPeriod: 100, AccessPeriodSeconds: 600},
			ThingDescription: fridgeTD(dev.PubKey(), "http://127.0.0.1:1/temperature"), Metadata: []byte(`{"capacity_l":320}`)}
	}
	owner := mustKey(t)
	for _, dev := range devs[:2] {
		m.mustSubmit(registry.NewSignedCheckInTx(chainID, dev, m.nonce(dev), owner, req(dev)))
	}
	stranger := mustKey(t)
	err := m.submit(registry.NewSignedCheckInTx(chainID, stranger, 0, owner, req(stranger)))
	if err == nil || !strings.Contains(err.Error(), string(registry.ErrNotAttested)) {
		t.Fatalf("check-in of an unattested device: got %v, want %s", err, registry.ErrNotAttested)
	}
	bad := req(devs[2])
	bad.Metadata = []byte(`{"capacity_l":"large"}`)
	if err := m.submit(registry.NewSignedCheckInTx(chainID, devs[2], m.nonce(devs[2]), owner, bad)); err == nil || !strings.Contains(err.Error(), string(registry.ErrMetadataSchema)) {
		t.Fatalf("metadata not matching the schema: got %v, want %s", err, registry.ErrMetadataSchema)
	}
	m.generate()

	enabled := true
	res := m.devices(api.DeviceFilter{Kind: "fridge", Enabled: &enabled})
	if res.Total != 2 {
		t.Fatalf("enabled fridges: total %d, want 2", res.Total)
	}
	want := map[string]bool{devs[0].PubKey().String(): true, devs[1].PubKey().String(): true}
	for _, d := range res.Devices {
		if !want[d.Device] || d.Owner != owner.PubKey().Address().Encode(n.Net.AddressHRP) || d.Region != "EU-DE" {
			t.Fatalf("unexpected record %+v", d)
		}
	}
	if all := m.devices(api.DeviceFilter{Model: "acme-fridge-x1"}); all.Total != 3 {
		t.Fatalf("attested devices of the model: %d, want 3", all.Total)
	}
	if none := m.devices(api.DeviceFilter{RegionPrefix: "US"}); none.Total != 0 {
		t.Fatalf("US devices: %d, want 0", none.Total)
	}
	var rec *registry.Device
	if err := m.c.Call(m.ctx, "registry.device", api.DeviceParams{Device: devs[2].PubKey().String()}, &rec); err != nil {
		t.Fatal(err)
	}
	if rec == nil || rec.Enabled {
		t.Fatalf("attested but not checked-in device: %+v", rec)
	}
	var limit = api.DeviceFilter{Limit: registry.MaxQueryLimit + 1}
	if err := m.c.Call(m.ctx, "registry.devices", limit, &res); err == nil {
		t.Fatal("a limit above the maximum was accepted")
	}
}

// TestMetadataReorgReturnsCheckInToMempool: a check-in mined on a branch
// that loses a reorg is undone in the records and the index and goes back
// to the metadata mempool, from which the next block mines it again.
func TestMetadataReorgReturnsCheckInToMempool(t *testing.T) {
	a := startNode(t)
	b := startNode(t)
	m := newMetaClient(t, a)
	chainID := a.Net.Metadata.ChainID
	oem := admitFridgeOEM(m)
	dev := mustKey(t)
	m.mustSubmit(registry.NewAttestTx(chainID, oem, m.nonce(oem), dev.PubKey(), "acme-fridge-x1"))
	m.generate()
	copyBlocks(t, a, b, consensus.MetadataChain)

	owner := mustKey(t)
	req := registry.CheckInRequest{Region: "EU", Terms: registry.Terms{ReservePerPoint: 1, PointsPerPeriod: 10, AccessPeriodSeconds: 60}, ThingDescription: fridgeTD(dev.PubKey(), "http://127.0.0.1:1/t"), Metadata: []byte(`{"capacity_l":100}`)}
	checkIn := registry.NewSignedCheckInTx(chainID, dev, m.nonce(dev), owner, req)
	m.mustSubmit(checkIn)
	m.generate()
	if res := m.devices(api.DeviceFilter{Model: "acme-fridge-x1"}); res.Total != 1 || !res.Devices[0].Enabled {
		t.Fatalf("after the check-in: %+v", res)
	}

	// B mines a longer branch without the check-in; A adopts it.
	if _, err := b.Generate(context.Background(), consensus.MetadataChain, 2); err != nil {
		t.Fatal(err)
	}
	copyBlocks(t, b, a, consensus.MetadataChain)
	if a.Metadata.Tip().Hash != b.Metadata.Tip().Hash {
		t.Fatal("A did not reorganise to B's heavier branch")
	}
	if !a.MetadataPool.Has(checkIn.ID()) {
		t.Fatal("the reverted check-in is not back in the mempool")
	}
	if res := m.devices(api.DeviceFilter{Model: "acme-fridge-x1"}); res.Total != 1 || res.Devices[0].Enabled {
		t.Fatalf("after the reorg the device must be attested but not enabled: %+v", res)
	}
	m.generate()
	if res := m.devices(api.DeviceFilter{Model: "acme-fridge-x1"}); !res.Devices[0].Enabled {
		t.Fatal("the re-mined check-in did not enable the device")
	}
}

// copyBlocks hands every main-chain block of from to to, as sync would.
func copyBlocks(t *testing.T, from, to *Node, kind consensus.ChainKind) {
	t.Helper()
	src, dst := from.Metadata, to.Metadata
	if kind == consensus.AuctionChain {
		src, dst = from.Auction, to.Auction
	}
	for h := uint64(1); h <= src.Tip().Height; h++ {
		blk, err := src.BlockByHeight(h)
		if err != nil {
			t.Fatal(err)
		}
		if dst.HaveBlock(blk.Header.Hash()) {
			continue
		}
		if _, err := dst.ProcessBlock(context.Background(), blk); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
	}
}

// TestRegistryAndAuctionAPIBadParams: every parameter the registry and
// auction methods check is refused with -32602 and a message naming it,
// and a subscription to an unknown chain fails the subscribe call.
func TestRegistryAndAuctionAPIBadParams(t *testing.T) {
	n := startNode(t)
	m := newMetaClient(t, n)
	neg := -1
	for _, tc := range []struct {
		method string
		params any
		want   string
	}{
		{"registry.devices", map[string]any{"limit": registry.MaxQueryLimit + 1}, "limit"},
		{"registry.devices", map[string]any{"offset": neg}, "offset"},
		{"registry.devices", map[string]any{"oem": "zz"}, "oem"},
		{"registry.device", map[string]any{"device": "02abcd"}, "device"},
		{"registry.oem", map[string]any{"key": "not hex"}, "key"},
		{"registry.miner", map[string]any{"key": ""}, "key"},
		{"registry.model", map[string]any{}, "id"},
		{"auction.next", map[string]any{"device": "xyz"}, "device"},
		{"auction.ofDevice", map[string]any{"device": "00"}, "device"},
		{"auction.awaitingDelivery", map[string]any{"devices": []string{}}, "devices"},
		{"auction.awaitingDelivery", map[string]any{"devices": make([]string, 1001)}, "at most 1000"},
		{"registry.devicesByKey", map[string]any{"devices": []string{"02abcd"}}, "devices[0]"},
		{"auction.ofBidder", map[string]any{"address": "tc1notanaddress"}, "address"},
		{"auction.getMany", map[string]any{"ids": []string{}}, "ids"},
		{"auction.nextMany", map[string]any{"devices": []string{"xyz"}}, "devices[0]"},
		{"auction.getMany", map[string]any{"ids": make([]wire.Hash, 1001)}, "at most 1000"},
		{"auction.getMany", map[string]any{"ids": []wire.Hash{{}}, "bidder": "tc1notanaddress"}, "address"},
		{"account.nextNonce", map[string]any{"pubkey": mustKey(t).PubKey().String(), "chain": "sidechain"}, "sidechain"},
	} {
		var out json.RawMessage
		err := m.c.Call(m.ctx, tc.method, tc.params, &out)
		var rerr *rpc.Error
		if !errors.As(err, &rerr) || rerr.Code != rpc.CodeInvalidParams || !strings.Contains(rerr.Message, tc.want) {
			t.Errorf("%s %v: got %v, want -32602 naming %q", tc.method, tc.params, err, tc.want)
		}
	}
	ws, err := rpc.Dial(m.ctx, "ws"+strings.TrimPrefix(n.RPCURL, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if _, _, err := ws.Subscribe(m.ctx, "newHeads", "sidechain"); err == nil || !strings.Contains(err.Error(), "sidechain") {
		t.Fatalf("subscription to an unknown chain: %v", err)
	}
}

// TestOversizedSubmissions: a transaction over the size limit and a
// Thing Description over its compacted limit are refused through the API
// with rule kinds, not as malformed parameters.
func TestOversizedSubmissions(t *testing.T) {
	n := startNode(t)
	m := newMetaClient(t, n)
	chainID := n.Net.Metadata.ChainID
	dev, owner := mustKey(t), mustKey(t)
	huge := make([]byte, wire.MaxTxBytes+1)
	err := m.c.Call(m.ctx, "tx.submit", api.SubmitParams{Raw: hex.EncodeToString(huge)}, nil)
	if err == nil || !strings.Contains(err.Error(), string(consensus.ErrTxTooLarge)) {
		t.Fatalf("oversized transaction: %v", err)
	}
	var td map[string]any
	if err := json.Unmarshal(fridgeTD(dev.PubKey(), "http://127.0.0.1:1/t"), &td); err != nil {
		t.Fatal(err)
	}
	td["description"] = strings.Repeat("a", registry.MaxTDBytes)
	b, _ := json.Marshal(td)
	req := registry.CheckInRequest{Region: "EU", Terms: registry.Terms{ReservePerPoint: 1, PointsPerPeriod: 10, AccessPeriodSeconds: 60}, ThingDescription: b, Metadata: []byte(`{}`)}
	err = m.submit(registry.NewSignedCheckInTx(chainID, dev, 0, owner, req))
	if err == nil || !strings.Contains(err.Error(), string(registry.ErrTDTooLarge)) {
		t.Fatalf("TD over its compacted limit: %v", err)
	}
}
