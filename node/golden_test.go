package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/registry"
)

// The golden vectors in ../testdata pin what other implementations (the
// web app's JavaScript, the Python reference device) and future versions
// of this node must reproduce byte for byte: genesis hashes, transaction
// encodings and signatures, and the state root after a fixed script of
// blocks. A change to any of them is a consensus change. When one is
// intended, regenerate with
//
//	go test ./node -run TestGolden -update-golden
//
// and review the diff. testdata/README.md describes the files.
var updateGolden = flag.Bool("update-golden", false, "rewrite the golden vectors in testdata/ instead of comparing")

const goldenDir = "../testdata"

// checkGolden compares got (indented JSON) with the file, or rewrites it.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join(goldenDir, name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with -update-golden)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from what this code produces: a consensus-visible change.\nIf it is intended, run go test ./node -run TestGolden -update-golden and review the diff.\ngot:\n%s", path, firstDiff(got, want))
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y []byte
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if !bytes.Equal(x, y) {
			return fmt.Sprintf("line %d: produced %q, file has %q", i+1, x, y)
		}
	}
	return "(no line differs)"
}

// vectorKey is a fixed private key: SHA-256("thingchain vector <name>").
func vectorKey(t *testing.T, name string) *keys.PrivateKey {
	t.Helper()
	sum := sha256.Sum256([]byte("thingchain vector " + name))
	k, err := keys.PrivateKeyFromBytes(sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// detReader is a deterministic byte stream (SHA-256 in counter mode) for
// the ECIES randomness of the key-delivery vector.
type detReader struct {
	seed string
	n    uint64
	buf  []byte
}

func (r *detReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], r.n)
		r.n++
		s := sha256.Sum256(append([]byte(r.seed), c[:]...))
		r.buf = append(r.buf, s[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

type genesisVector struct {
	Network      string `json:"network"`
	Chain        string `json:"chain"`
	ChainID      uint32 `json:"chain_id"`
	HeaderHex    string `json:"header"`
	GenesisHash  string `json:"genesis_hash"`
	StateRootHex string `json:"state_root"`
}

// TestGoldenGenesis pins the genesis block of both chains of every
// network: the header bytes and the hash (double SHA-256 of them).
func TestGoldenGenesis(t *testing.T) {
	file := struct {
		Format      string          `json:"format"`
		Description string          `json:"description"`
		Vectors     []genesisVector `json:"vectors"`
	}{
		Format:      "thingchain-genesis-v1",
		Description: "Genesis block of each network and chain. header: the canonical header encoding (hex); genesis_hash: double SHA-256 of header, in byte order (hex), as the API and logs print hashes; state_root: the header's state root, the LtHash16 commitment of the chain's initial state.",
	}
	for _, net := range []*consensus.Params{consensus.MainNet(), consensus.TestNet(), consensus.RegTest()} {
		cs, err := OpenChains(t.TempDir(), net, nil, TestnetStoreOptions(), nil)
		if err != nil {
			t.Fatalf("%s: %v", net.Name, err)
		}
		for _, c := range []*chain.Chain{cs.Metadata, cs.Auction} {
			g := c.GenesisHash()
			hdr, err := c.HeaderByHash(g)
			if err != nil {
				t.Fatal(err)
			}
			if hdr.Hash() != g {
				t.Fatalf("%s %s: stored genesis header hashes to %s, not %s", net.Name, c.Params().Kind, hdr.Hash(), g)
			}
			file.Vectors = append(file.Vectors, genesisVector{
				Network: net.Name, Chain: c.Params().Kind.String(), ChainID: c.Params().ChainID,
				HeaderHex: hex.EncodeToString(hdr.Encode()), GenesisHash: g.String(), StateRootHex: hex.EncodeToString(hdr.StateRoot[:]),
			})
		}
		cs.Close()
	}
	checkGolden(t, "genesis.json", file)
}

type txVector struct {
	Name          string         `json:"name"`
	Network       string         `json:"network"`
	Chain         string         `json:"chain"`
	TypeName      string         `json:"type_name"`
	PrivateKeyHex string         `json:"private_key"`
	Tx            txFields       `json:"tx"`
	PayloadFields map[string]any `json:"payload_fields"`
	UnsignedHex   string         `json:"unsigned"`
	SigHashHex    string         `json:"sig_hash"`
	SignatureHex  string         `json:"signature"`
	SignedHex     string         `json:"signed"`
	TxIDHex       string         `json:"txid"`
}

type txFields struct {
	ChainID    uint32 `json:"chain_id"`
	Type       uint16 `json:"type"`
	Nonce      uint64 `json:"nonce"`
	Fee        uint64 `json:"fee"`
	Expiry     uint64 `json:"expiry"`
	SenderHex  string `json:"sender"`
	PayloadHex string `json:"payload"`
}

// describe turns a payload struct into JSON-friendly fields: byte arrays
// and slices become hex strings, nested structs objects, named by their
// Go field names (embedded structs flattened).
func describe(v any) map[string]any {
	out := map[string]any{}
	describeInto(out, reflect.ValueOf(v))
	return out
}

func describeInto(out map[string]any, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			describeInto(out, v.Field(i))
			continue
		}
		out[f.Name] = describeValue(v.Field(i))
	}
}

func describeValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Array, reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			return hex.EncodeToString(b)
		}
		list := make([]any, v.Len())
		for i := range list {
			list[i] = describeValue(v.Index(i))
		}
		return list
	case reflect.Struct:
		m := map[string]any{}
		describeInto(m, v)
		return m
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() // exact in JSON up to 2^53; the vectors stay below
	case reflect.Int, reflect.Int64:
		return v.Int()
	}
	panic("describe: unsupported kind " + v.Kind().String())
}

// goldenTx signs one transaction and records every intermediate.
func goldenTx(t *testing.T, name, typeName string, net *consensus.Params, kind consensus.ChainKind, key *keys.PrivateKey, typ uint16, nonce, fee uint64, fields interface{ Encode() []byte }) (txVector, *wire.Tx) {
	t.Helper()
	tx := &wire.Tx{ChainID: net.Chain(kind).ChainID, Type: typ, Nonce: nonce, Fee: fee, Expiry: 0, Sender: key.PubKey(), Payload: fields.Encode()}
	tx.Sig = key.Sign(tx.SigHash())
	signed := tx.Encode()
	unsigned := signed[:len(signed)-wire.SignatureSize]
	return txVector{
		Name: name, Network: net.Name, Chain: kind.String(), TypeName: typeName,
		PrivateKeyHex: hex.EncodeToString(key.Bytes()),
		Tx: txFields{ChainID: tx.ChainID, Type: tx.Type, Nonce: tx.Nonce, Fee: tx.Fee, Expiry: tx.Expiry,
			SenderHex: hex.EncodeToString(tx.Sender[:]), PayloadHex: hex.EncodeToString(tx.Payload)},
		PayloadFields: describe(fields),
		UnsignedHex:   hex.EncodeToString(unsigned),
		SigHashHex:    hex.EncodeToString(func() []byte { h := tx.SigHash(); return h[:] }()),
		SignatureHex:  hex.EncodeToString(tx.Sig[:]),
		SignedHex:     hex.EncodeToString(signed),
		TxIDHex:       tx.ID().String(),
	}, tx
}

// script is the fixed regtest metadata-chain script: an OEM admitted by
// two authorities, a model, a device attested, checked in by its owner,
// its terms changed, then disabled — one block per transaction.
type scriptKeys struct {
	net                      *consensus.Params
	authorities              []*keys.PrivateKey
	oem, device, owner, user *keys.PrivateKey
	kind                     *devicesim.Kind
}

func newScriptKeys(t *testing.T) scriptKeys {
	net := consensus.RegTest()
	auth, ok := registry.DevAuthorityKeys(net)
	if !ok {
		t.Fatal("regtest has no well-known authority keys")
	}
	kind, err := devicesim.KindByName("thermostat")
	if err != nil {
		t.Fatal(err)
	}
	return scriptKeys{net: net, authorities: auth, oem: vectorKey(t, "oem"), device: vectorKey(t, "device"),
		owner: vectorKey(t, "owner"), user: vectorKey(t, "user"), kind: kind}
}

func (s scriptKeys) metadataTxs(t *testing.T) ([]txVector, []*wire.Tx) {
	net, id := s.net, s.net.Metadata.ChainID
	p := registry.Proposal{Action: registry.AdmitOEM, Subject: s.oem.PubKey(), Name: "Vector OEM", ProposalNonce: 1}
	gov := &registry.Governance{Proposal: p, Approvals: []registry.Approval{
		registry.Approve(id, p, 0, s.authorities[0]), registry.Approve(id, p, 1, s.authorities[1])}}
	model := s.kind.Model
	model.ModelID = "vector-thermostat"
	devKey := s.device.PubKey()
	req := registry.CheckInRequest{Region: "EU-DE", Terms: s.kind.TermsFor(net),
		ThingDescription: s.kind.ThingDescription(hex.EncodeToString(devKey[:]), "http://127.0.0.1:8080"),
		Metadata:         s.kind.Metadata(7)}
	checkIn := &registry.CheckIn{Owner: s.owner.PubKey(), Region: req.Region, Terms: req.Terms,
		ThingDescription: req.ThingDescription, Metadata: req.Metadata,
		OwnerSig: registry.SignEnable(id, s.owner, devKey, 0, req)}
	newTerms := req.Terms
	newTerms.ReservePerPoint *= 2
	steps := []struct {
		name   string
		key    *keys.PrivateKey
		typ    uint16
		nonce  uint64
		fields interface{ Encode() []byte }
	}{
		{"Governance", s.user, registry.TxGovernance, 0, gov},
		{"PublishModel", s.oem, registry.TxPublishModel, 0, &model},
		{"AttestDevice", s.oem, registry.TxAttestDevice, 1, &registry.AttestDevice{DeviceKey: devKey, ModelID: model.ModelID}},
		{"CheckIn", s.device, registry.TxCheckIn, 0, checkIn},
		{"SetTerms", s.owner, registry.TxSetTerms, 0, &registry.SetTerms{DeviceKey: devKey, Terms: newTerms}},
		{"Disable", s.owner, registry.TxDisable, 1, &registry.DeviceRef{DeviceKey: devKey}},
	}
	var vecs []txVector
	var txs []*wire.Tx
	for _, st := range steps {
		v, tx := goldenTx(t, "metadata/"+st.name, st.name, net, consensus.MetadataChain, st.key, st.typ, st.nonce, 0, st.fields)
		vecs, txs = append(vecs, v), append(txs, tx)
	}
	return vecs, txs
}

func (s scriptKeys) auctionTxs(t *testing.T) []txVector {
	net := s.net
	devKey := s.device.PubKey()
	bidder := s.user.PubKey().Address()
	aid := auction.AuctionID(devKey, 0)
	var salt [32]byte
	copy(salt[:], bytes.Repeat([]byte{0x5a}, 32))
	sealed := auction.SealBid(bidder, devKey, 0, 30_000, 500_000, salt)
	full := auction.SealFullBid(bidder, devKey, 0, 30_000, 30_000*100, salt)
	accessKey := []byte("vector access key 0123456789abcdef")
	ct, err := keys.EncryptECIES(&detReader{seed: "thingchain vector ecies"}, s.user.PubKey(), accessKey)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		key    *keys.PrivateKey
		typ    uint16
		nonce  uint64
		fields interface{ Encode() []byte }
	}{
		{"Transfer", s.user, ledger.TxTransfer, 0, ledger.Transfer{To: s.owner.PubKey().Address(), Amount: 1_000_000}},
		{"OpenAuction", s.owner, auction.TxOpenAuction, 0, auction.OpenAuction{Device: devKey, Seq: 0}},
		{"CommitBids", s.user, auction.TxCommitBids, 1, auction.CommitBids{Bids: []auction.BidCommit{sealed.Commit(bidder)}}},
		{"RevealBids", s.user, auction.TxRevealBids, 2, auction.RevealBids{Reveals: []auction.Reveal{sealed.Reveal()}}},
		{"CommitFullBids", s.user, auction.TxCommitFullBids, 4, auction.CommitBids{Bids: []auction.BidCommit{full.Commit(bidder)}}},
		{"Pay", s.user, auction.TxPay, 3, auction.Pay{Auction: aid}},
		{"DeliverKey", s.device, auction.TxDeliverKey, 0, auction.DeliverKey{Auction: aid, KeyHash: auction.KeyHash(accessKey), EncryptedKey: ct}},
	}
	var vecs []txVector
	for _, st := range steps {
		v, _ := goldenTx(t, "auction/"+st.name, st.name, net, consensus.AuctionChain, st.key, st.typ, st.nonce, 2_000, st.fields)
		vecs = append(vecs, v)
	}
	return vecs
}

// TestGoldenTransactions pins the encoding, signature hash, signature and
// ID of one transaction of every type of both chains, and checks that each
// vector is self-consistent the way another implementation would check it:
// the signed bytes decode, the signature hash is double SHA-256 of the
// domain and the unsigned bytes, and the signature verifies.
func TestGoldenTransactions(t *testing.T) {
	s := newScriptKeys(t)
	meta, _ := s.metadataTxs(t)
	vecs := append(meta, s.auctionTxs(t)...)
	for _, v := range vecs {
		signed, _ := hex.DecodeString(v.SignedHex)
		tx, err := wire.DecodeTx(signed)
		if err != nil {
			t.Fatalf("%s: signed bytes do not decode: %v", v.Name, err)
		}
		unsigned, _ := hex.DecodeString(v.UnsignedHex)
		want := wire.DoubleSHA256(append([]byte("thingchain/tx/v1"), unsigned...))
		if hex.EncodeToString(want[:]) != v.SigHashHex || tx.SigHash() != want {
			t.Fatalf("%s: signature hash is not double SHA-256(domain ‖ unsigned)", v.Name)
		}
		if !keys.Verify(keys.PubKey(tx.Sender), want, keys.Signature(tx.Sig)) {
			t.Fatalf("%s: signature does not verify", v.Name)
		}
	}
	checkGolden(t, "transactions.json", struct {
		Format      string     `json:"format"`
		Description string     `json:"description"`
		Encoding    []string   `json:"encoding"`
		Vectors     []txVector `json:"vectors"`
	}{
		Format:      "thingchain-tx-v1",
		Description: "One signed transaction of every type of both chains on regtest, with fixed private keys (SHA-256 of \"thingchain vector <role>\"; governance approvals by the regtest authority keys). All byte strings are lowercase hex in byte order.",
		Encoding: []string{
			"unsigned = chain_id u32 LE ‖ type u16 LE ‖ nonce u64 LE ‖ fee u64 LE ‖ expiry u64 LE (little-endian) ‖ sender (33-byte compressed secp256k1 key) ‖ varint(len(payload)) ‖ payload; varint is unsigned LEB128 (Go binary.Uvarint)",
			"sig_hash = SHA-256(SHA-256(\"thingchain/tx/v1\" ‖ unsigned))",
			"signature = r (32 bytes BE) ‖ s (32 bytes BE), ECDSA over secp256k1 with RFC 6979 nonces and low s",
			"signed = unsigned ‖ signature; txid = SHA-256(SHA-256(signed))",
			"payload_fields names the payload's fields as the Go types declare them (docs/consensus.md, docs/auction.md, docs/device-api.md give the payload layouts); the DeliverKey ciphertext used a deterministic random stream, so only its bytes, not a re-encryption, can be compared",
		},
		Vectors: vecs,
	})
}

type blockVector struct {
	Height    uint64   `json:"height"`
	Txs       []string `json:"txs"`
	Hash      string   `json:"hash"`
	StateRoot string   `json:"state_root"`
}

// mineScripted mines one block of txs on c at a fixed time with a fixed
// key and the lowest winning nonce, and records it.
func mineScripted(t *testing.T, c *chain.Chain, miner *keys.PrivateKey, when time.Time, anchor wire.Anchor, txs ...*wire.Tx) blockVector {
	t.Helper()
	tmpl, err := c.NewTemplate(chain.TemplateRequest{Reward: miner.PubKey().Address(), MinerKey: miner.PubKey(), Txs: txs, Now: when, Anchor: anchor})
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpl.Rejected) > 0 {
		t.Fatalf("%s script block: transaction refused: %v", c.Params().Kind, tmpl.Rejected[0].Err)
	}
	hdr := &tmpl.Block.Header
	hdr.MinerSig = miner.Sign(hdr.SigningHash())
	target, _ := consensus.CompactToBig(hdr.Bits)
	for consensus.HashToBig(hdr.Hash()).Cmp(target) > 0 {
		hdr.Nonce++
	}
	if _, err := c.ProcessBlock(context.Background(), tmpl.Block); err != nil {
		t.Fatalf("%s script block %d: %v", c.Params().Kind, hdr.Height, err)
	}
	v := blockVector{Height: hdr.Height, Txs: []string{}, Hash: hdr.Hash().String(), StateRoot: hex.EncodeToString(hdr.StateRoot[:])}
	for _, tx := range txs {
		v.Txs = append(v.Txs, tx.ID().String())
	}
	return v
}

// TestGoldenStateRoot runs a fixed script on regtest — the six metadata
// transactions of transactions.json, one per metadata block, then three
// auction-chain blocks (a faucet payment, a transfer, an empty block)
// anchored as a node anchors them — at fixed times with a fixed miner key,
// and pins every block's hash and state root.
func TestGoldenStateRoot(t *testing.T) {
	s := newScriptKeys(t)
	_, txs := s.metadataTxs(t)
	cs, err := OpenChains(t.TempDir(), s.net, nil, TestnetStoreOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	miner := vectorKey(t, "miner")
	genesis := time.UnixMilli(s.net.Metadata.GenesisTime)
	var meta, auc []blockVector
	for i, tx := range txs {
		meta = append(meta, mineScripted(t, cs.Metadata, miner, genesis.Add(time.Duration(i+1)*time.Minute), wire.Anchor{}, tx))
	}
	faucet, ok := ledger.FaucetKey(s.net)
	if !ok {
		t.Fatal("regtest has no faucet key")
	}
	auctionTxs := [][]*wire.Tx{
		{ledger.NewTransfer(s.net, faucet, s.user.PubKey().Address(), 50*ledger.Coin, 1_000, 0)},
		{ledger.NewTransfer(s.net, s.user, s.owner.PubKey().Address(), 7*ledger.Coin, 2_000, 0)},
		{},
	}
	for i, block := range auctionTxs {
		last, err := lastAnchor(cs.Auction)
		if err != nil {
			t.Fatal(err)
		}
		anchor, err := auction.ChooseAnchor(s.net, cs.link, last)
		if err != nil {
			t.Fatal(err)
		}
		auc = append(auc, mineScripted(t, cs.Auction, miner, genesis.Add(time.Duration(len(txs)+i+1)*time.Minute), anchor, block...))
	}
	metaTip, aucTip := cs.Metadata.TipHeader(), cs.Auction.TipHeader()
	checkGolden(t, "state_root.json", struct {
		Format            string        `json:"format"`
		Description       string        `json:"description"`
		Network           string        `json:"network"`
		MetadataBlocks    []blockVector `json:"metadata_blocks"`
		MetadataStateRoot string        `json:"final_metadata_state_root"`
		AuctionBlocks     []blockVector `json:"auction_blocks"`
		AuctionStateRoot  string        `json:"final_auction_state_root"`
	}{
		Format:            "thingchain-state-root-v1",
		Description:       "Regtest after a fixed script. Metadata chain: the six metadata transactions of transactions.json, in that order, one per block. Auction chain, after them: a faucet transfer of 50 THG to the user key, a transfer of 7 THG from the user to the owner key, an empty block; each anchored at the metadata tip as a node anchors (docs/auction.md). Every block: timestamp genesis_time + k minutes (k counting all blocks, metadata first), the miner key SHA-256(\"thingchain vector miner\"), reward to its address, the lowest nonce meeting the target. state_root is the LtHash16 commitment (docs/architecture.md) after the block.",
		Network:           s.net.Name,
		MetadataBlocks:    meta,
		MetadataStateRoot: hex.EncodeToString(metaTip.StateRoot[:]),
		AuctionBlocks:     auc,
		AuctionStateRoot:  hex.EncodeToString(aucTip.StateRoot[:]),
	})
}
