package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// node is one real metadata chain in a temp directory, driven like the
// node drives it: sanity check (mempool), template, solve, ProcessBlock.
type node struct {
	t     testing.TB
	c     *chain.Chain
	net   *consensus.Params
	miner *keys.PrivateKey
	clock *time.Time
}

func newNode(t testing.TB, net *consensus.Params, clock *time.Time) *node {
	return newNodeWith(t, net, clock, NewMachine)
}

// newNodeWith is newNode with the state machine machine makes.
func newNodeWith(t testing.TB, net *consensus.Params, clock *time.Time, machine func(*consensus.Params, *keys.SigCache) Machine) *node {
	t.Helper()
	mk := mustKey(t)
	n := &node{t: t, net: net, miner: mk, clock: clock}
	sigs := keys.NewSigCache(100_000) // shared by chain and machine, as the node does
	c, err := chain.Open(chain.Config{
		Net: net, Kind: consensus.MetadataChain, Dir: t.TempDir(),
		StateMachine: machine(net, sigs), SigCache: sigs,
		Now: func() time.Time { return *n.clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	n.c = c
	return n
}

func newRegtest(t testing.TB) *node {
	net := consensus.RegTest()
	clock := time.UnixMilli(net.Metadata.GenesisTime).Add(time.Hour)
	return newNode(t, net, &clock)
}

func (n *node) chainID() uint32 { return n.net.Metadata.ChainID }

func mustKey(t testing.TB) *keys.PrivateKey {
	t.Helper()
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// submit offers one transaction as the mempool and miner would: sanity
// first, then a template on the tip. It returns the rejection, or mines
// the transaction into a new block and returns nil.
func (n *node) submit(tx *wire.Tx) error {
	n.t.Helper()
	if err := n.c.CheckTxSanity(tx); err != nil {
		return err
	}
	blk, err := n.template(tx)
	if err != nil {
		return err
	}
	if _, err := n.c.ProcessBlock(context.Background(), blk); err != nil {
		n.t.Fatalf("mined block rejected: %v", err)
	}
	return nil
}

// mustSubmit is submit that fails the test on rejection.
func (n *node) mustSubmit(tx *wire.Tx) *wire.Block {
	n.t.Helper()
	if err := n.submit(tx); err != nil {
		n.t.Fatalf("transaction type %d rejected: %v", tx.Type, err)
	}
	blk, err := n.c.BlockByHash(n.c.Tip().Hash)
	if err != nil {
		n.t.Fatal(err)
	}
	return blk
}

// template returns a solved block on the tip holding txs, or the first
// rejection.
func (n *node) template(txs ...*wire.Tx) (*wire.Block, error) {
	n.t.Helper()
	*n.clock = n.clock.Add(time.Second)
	tmpl, err := n.c.NewTemplate(chain.TemplateRequest{Reward: n.miner.PubKey().Address(), MinerKey: n.miner.PubKey(), Txs: txs})
	if err != nil {
		n.t.Fatal(err)
	}
	if len(tmpl.Rejected) > 0 {
		return nil, tmpl.Rejected[0].Err
	}
	miner.Sign(&tmpl.Block.Header, n.miner)
	if !miner.Solve(context.Background(), &tmpl.Block.Header, 1, nil) {
		n.t.Fatal("solve failed")
	}
	return tmpl.Block, nil
}

// mine extends the tip with txs (which must all apply).
func (n *node) mine(txs ...*wire.Tx) *wire.Block {
	n.t.Helper()
	blk, err := n.template(txs...)
	if err != nil {
		n.t.Fatal(err)
	}
	if _, err := n.c.ProcessBlock(context.Background(), blk); err != nil {
		n.t.Fatal(err)
	}
	return blk
}

// syncFrom processes src's main-chain blocks 1 to height on n, failing
// the test on the first error, and checks that n ends on src's tip.
func (n *node) syncFrom(src *node, height uint64) {
	n.t.Helper()
	for h := uint64(1); h <= height; h++ {
		b, err := src.c.BlockByHeight(h)
		if err != nil {
			n.t.Fatal(err)
		}
		if _, err := n.c.ProcessBlock(context.Background(), b); err != nil {
			n.t.Fatalf("block %d: %v", h, err)
		}
	}
	if n.c.Tip().Hash != src.c.Tip().Hash {
		n.t.Fatal("not on the source's tip")
	}
}

func (n *node) nonce(k *keys.PrivateKey) uint64 {
	n.t.Helper()
	var out uint64
	n.read(func(v *chain.View) (err error) { out, err = NextNonce(v, k.PubKey()); return })
	return out
}

func (n *node) read(fn func(v *chain.View) error) {
	n.t.Helper()
	if err := n.c.ReadState(func(v *chain.View, _ chain.TipInfo) error { return fn(v) }); err != nil {
		n.t.Fatal(err)
	}
}

func (n *node) device(k keys.PubKey) *Device {
	n.t.Helper()
	var d *Device
	n.read(func(v *chain.View) (err error) { d, err = GetDevice(v, k); return })
	return d
}

func wantKind(t testing.TB, err error, kind consensus.ErrorKind) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want %s", err, kind)
	}
}

// world is a regtest chain with the dev authorities and one admitted OEM
// that has published the fridge model.
type world struct {
	*node
	auth  []*keys.PrivateKey
	oem   *keys.PrivateKey
	gov   *keys.PrivateKey // submits governance transactions
	model PublishModel
	prop  uint64 // next proposal nonce
}

func newWorld(t testing.TB) *world {
	t.Helper()
	n := newRegtest(t)
	auth, ok := DevAuthorityKeys(n.net)
	if !ok {
		t.Fatal("regtest has no dev authority keys")
	}
	w := &world{node: n, auth: auth, oem: mustKey(t), gov: mustKey(t), model: fridgeModel()}
	w.mustSubmit(w.govTx(AdmitOEM, w.oem.PubKey(), "Acme Appliances", 0, 2))
	w.mustSubmit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), w.model))
	return w
}

// govTx builds a governance transaction approved by the given authority
// indices.
func (w *world) govTx(a Action, subject keys.PubKey, name string, idx ...uint8) *wire.Tx {
	p := Proposal{Action: a, Subject: subject, Name: name, ProposalNonce: w.prop}
	w.prop++
	return NewApprovedGovernanceTx(w.chainID(), w.gov, w.nonce(w.gov), p, w.auth, idx)
}

// attest has the OEM attest a fresh device key of the fridge model.
func (w *world) attest() *keys.PrivateKey {
	w.t.Helper()
	dev := mustKey(w.t)
	w.mustSubmit(NewAttestTx(w.chainID(), w.oem, w.nonce(w.oem), dev.PubKey(), w.model.ModelID))
	return dev
}

// checkIn builds a signed check-in; a TD without "id" gets the device's
// URN, as a maker's TD carries it.
func (w *world) checkIn(dev, owner *keys.PrivateKey, req CheckInRequest) *wire.Tx {
	req.ThingDescription = withDeviceID(w.t, req.ThingDescription, dev.PubKey())
	return NewSignedCheckInTx(w.chainID(), dev, w.nonce(dev), owner, req)
}

// withDeviceID sets a TD object's "id" to the device URN when it has none.
func withDeviceID(t testing.TB, td []byte, device keys.PubKey) []byte {
	var m map[string]any
	if json.Unmarshal(td, &m) != nil || m == nil {
		return td
	}
	if _, ok := m["id"]; ok {
		return td
	}
	m["id"] = DeviceURN(device)
	return mustJSON(t, m)
}

func fridgeModel() PublishModel {
	return PublishModel{
		ModelID: "acme-fridge-x1", Kind: "fridge", Title: "Acme Fridge X1",
		MetadataSchema: []Field{
			{Name: "energy_class", Type: TypeString, Required: true},
			{Name: "capacity_l", Type: TypeInteger, Required: true},
			{Name: "has_freezer", Type: TypeBoolean},
			{Name: "rated_power_w", Type: TypeNumber},
		},
		Version: 1, ThingModel: fridgeTM(),
	}
}

// fridgeTM is the Thing Model fridgeTD instantiates.
func fridgeTM() []byte {
	return []byte(`{
  "@context": ["https://www.w3.org/2022/wot/td/v1.1"],
  "@type": "tm:ThingModel",
  "title": "Acme Fridge X1",
  "version": {"model": "1.0.0"},
  "tm:optional": ["/events/defrost"],
  "properties": {
    "temperature": {"type": "number", "unit": "degC", "readOnly": true},
    "door_open": {"type": "boolean"}
  },
  "events": {"defrost": {}}
}`)
}

func fridgeTD() map[string]any {
	return map[string]any{
		"@context":            []any{TDContext11, map[string]any{"saref": "https://saref.etsi.org/core/"}},
		"title":               "Acme Fridge X1",
		"securityDefinitions": map[string]any{"bearer_sc": map[string]any{"scheme": "bearer"}},
		"security":            "bearer_sc",
		"properties": map[string]any{
			"temperature": map[string]any{"type": "number", "unit": "degC", "readOnly": true,
				"forms": []any{map[string]any{"href": "https://device.local/props/temperature"}}},
			"door_open": map[string]any{"type": "boolean",
				"forms": []any{map[string]any{"href": "https://device.local/props/door"}}},
		},
		"events": map[string]any{
			"defrost": map[string]any{"forms": []any{map[string]any{"href": "https://device.local/events/defrost"}}},
		},
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fridgeRequest(t testing.TB) CheckInRequest {
	return CheckInRequest{
		Region:           "EU-DE",
		Terms:            Terms{ReservePerPoint: 10, PointsPerPeriod: 1000, AccessPeriodSeconds: 30 * 24 * 3600},
		ThingDescription: mustJSON(t, fridgeTD()),
		Metadata:         []byte(`{"energy_class":"A++","capacity_l":320,"has_freezer":true}`),
	}
}

var netForIndex = consensus.RegTest()

// testDevice is the device key TD-only tests check against.
var testDevice = func() keys.PubKey {
	k, err := keys.PrivateKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	return k.PubKey()
}()

var regtestPolicy = EndpointPolicy{AllowLoopback: true}

// checkTD checks a TD built as a map, with testDevice's URN as its id
// unless it sets one.
func checkTD(t testing.TB, td map[string]any) ([]TDProperty, error) {
	t.Helper()
	return CheckThingDescription(withDeviceID(t, mustJSON(t, td), testDevice), testDevice, regtestPolicy)
}

// isRegistryKind reports whether err is a rule error of one of this
// package's kinds.
func isRegistryKind(err error) bool {
	for _, k := range allErrorKinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
