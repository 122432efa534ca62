package registry

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// testDeviceKey is testDevice's private key.
func testDeviceKey(t testing.TB) *keys.PrivateKey {
	k, err := keys.PrivateKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// checkedFor builds testDevice's check-in carrying td and metadata on
// chainID and runs CheckCheckIn on it.
func checkedFor(t testing.TB, chainID uint32, td, metadata []byte) *CheckedCheckIn {
	t.Helper()
	req := fridgeRequest(t)
	req.ThingDescription, req.Metadata = td, metadata
	tx := NewSignedCheckInTx(chainID, testDeviceKey(t), 0, mustKey(t), req)
	c, err := CheckCheckIn(tx)
	if err != nil {
		t.Fatalf("CheckCheckIn: %v", err)
	}
	return c
}

func errText(err error) string { return fmt.Sprint(err) }

// TestCheckedInstanceMatchesCheckInstance: comparing a parsed check-in
// with a parsed Thing Model (what block import does) gives exactly
// CheckInstance's answer on the texts, error message included, for every
// case of TestCheckInstance's table.
func TestCheckedInstanceMatchesCheckInstance(t *testing.T) {
	tm, err := ParseThingModel([]byte(lampTM))
	if err != nil {
		t.Fatal(err)
	}
	mutations := []func(map[string]any){
		func(map[string]any) {},
		func(td map[string]any) { delete(td["properties"].(map[string]any), "status") },
		func(td map[string]any) { delete(td, "actions") },
		func(td map[string]any) { aff(td, "properties", "status")["type"] = "number" },
		func(td map[string]any) { aff(td, "properties", "brightness")["maximum"] = 150 },
		func(td map[string]any) { aff(td, "actions", "fade")["input"] = map[string]any{"type": "string"} },
		func(td map[string]any) { td["title"] = "Lamp Thing Model {{SERIES}}" },
		func(td map[string]any) { td["@type"] = []any{"saref:Lamp", "tm:ThingModel"} },
	}
	chainID := consensus.RegTest().Metadata.ChainID
	rejected := 0
	for i, mutate := range mutations {
		td := lampTD()
		mutate(td)
		b := withDeviceID(t, mustJSON(t, td), testDevice)
		want := CheckInstance(b, []byte(lampTM))
		got := checkedFor(t, chainID, b, []byte(`{}`)).Instantiates(tm)
		if errText(got) != errText(want) {
			t.Errorf("mutation %d: parsed %v, texts %v", i, got, want)
		}
		if want != nil {
			rejected++
		}
	}
	if rejected != len(mutations)-1 {
		t.Fatalf("%d of %d mutations rejected, want all but the first", rejected, len(mutations))
	}
}

// TestCheckedMetadataMatchesCheckMetadata: MatchesSchema gives exactly
// CheckMetadata's answer, on a test network and on main (whose endpoint
// policy differs from the one CheckMetadata applies).
func TestCheckedMetadataMatchesCheckMetadata(t *testing.T) {
	schema := []Field{{Name: "energy_class", Type: TypeString, Required: true}, {Name: "capacity_l", Type: TypeInteger}}
	cases := map[string]string{
		"conforming":       `{"energy_class":"A","capacity_l":300}`,
		"required missing": `{"capacity_l":300}`,
		"undeclared field": `{"energy_class":"A","colour":"white"}`,
		"wrong type":       `{"energy_class":"A","capacity_l":1.5}`,
		"null value":       `{"energy_class":null}`,
	}
	td := mustJSON(t, fridgeTD())
	for _, net := range []*consensus.Params{consensus.RegTest(), consensus.MainNet()} {
		for name, md := range cases {
			want := CheckMetadata([]byte(md), schema)
			got := checkedFor(t, net.Metadata.ChainID, withDeviceID(t, td, testDevice), []byte(md)).MatchesSchema(schema)
			if errText(got) != errText(want) {
				t.Errorf("%s, %s: parsed %v, text %v", net.Name, name, got, want)
			}
			if (want == nil) != (name == "conforming") {
				t.Errorf("%s, %s: CheckMetadata says %v", net.Name, name, want)
			}
		}
	}
}

// TestCheckInMemo: a check-in's checks are worked out once whichever copy
// of the transaction comes back, a transaction changed after its check is
// checked again, and the memo stays bounded.
func TestCheckInMemo(t *testing.T) {
	w := newWorld(t)
	m := NewMachine(w.net, keys.NewSigCache(100))
	dev := w.attest()
	tx := w.checkIn(dev, mustKey(t), fridgeRequest(t))
	first, err := m.checkedCheckIn(tx)
	if err != nil {
		t.Fatal(err)
	}
	copyOf, err := wire.DecodeTx(tx.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if again, err := m.checkedCheckIn(copyOf); err != nil || again != first {
		t.Fatalf("a decoded copy of the transaction was checked again (%v)", err)
	}
	if err := m.CheckTxSanity(copyOf); err != nil {
		t.Fatalf("sanity from the memo: %v", err)
	}

	// Changed in place after its check: the region's first letter made
	// lower case (the payload starts with the 33-byte owner key, then the
	// region's u16 length).
	changed, _ := wire.DecodeTx(tx.Encode())
	if err := m.CheckTxSanity(changed); err != nil {
		t.Fatal(err)
	}
	changed.Payload[keys.PubKeySize+2] = 'e'
	wantKind(t, m.CheckTxSanity(changed), ErrBadRegion)
	// Another nonce: the owner signed a different hash.
	renonced, _ := wire.DecodeTx(tx.Encode())
	renonced.Nonce++
	wantKind(t, m.CheckTxSanity(renonced), ErrBadOwnerSig)

	// Bounded: at most two generations of check-ins, by count and by
	// memory.
	for i := 0; i < 3*memoGeneration; i++ {
		fake := *tx
		fake.Nonce = uint64(i)
		m.memo.putCheckIn(&fake, first)
	}
	if n := len(m.memo.cur) + len(m.memo.old); n > 2*memoGeneration || n == 0 {
		t.Fatalf("memo holds %d check-ins, bound %d", n, 2*memoGeneration)
	}
	big := *tx
	big.Payload = make([]byte, 1<<20)
	for i := 0; i < 3*memoGenerationBytes/memoCost(len(big.Payload)); i++ {
		big.Nonce = uint64(i)
		m.memo.putCheckIn(&big, first)
	}
	if n, limit := len(m.memo.cur)+len(m.memo.old), 2*memoGenerationBytes/memoCost(len(big.Payload)); n > limit {
		t.Fatalf("memo holds %d check-ins of 1 MiB, bound %d", n, limit)
	}
	for i := 0; i < memoModels+10; i++ {
		if _, err := m.memo.thingModel(EmptyThingModel(fmt.Sprintf("model %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(m.memo.models); n > memoModels {
		t.Fatalf("memo holds %d Thing Models, bound %d", n, memoModels)
	}
	if _, err := m.memo.thingModel([]byte(`{"title":"no context"}`)); !errors.Is(err, ErrBadThingModel) {
		t.Fatalf("an invalid Thing Model: %v", err)
	}
}

// TestImportWithoutMemo: a block of check-ins mined by a node whose
// machine remembers its checks connects on a peer whose machine does not
// (Machine without NewMachine): the same state root either way.
func TestImportWithoutMemo(t *testing.T) {
	w := newWorld(t)
	peer := newNodeWith(t, w.net, w.clock, func(net *consensus.Params, sigs *keys.SigCache) Machine {
		return Machine{Net: net, Sigs: sigs}
	})
	owner := mustKey(t)
	var checkIns []*wire.Tx
	for i := 0; i < 5; i++ {
		req := fridgeRequest(t)
		req.Metadata = []byte(fmt.Sprintf(`{"energy_class":"A","capacity_l":%d}`, 100+i))
		checkIns = append(checkIns, w.checkIn(w.attest(), owner, req))
	}
	blk := w.mine(checkIns...)
	peer.syncFrom(w.node, blk.Header.Height)
}

// TestRecordKey: keys read from records are checked for form, not on the
// curve (they were checked before the record was written).
func TestRecordKey(t *testing.T) {
	valid := testDevice.String()
	notOnCurve := "02" + strings.Repeat("00", 31) + "05" // x = 5 has no point on secp256k1
	if _, err := keys.ParsePubKeyHex(notOnCurve); err == nil {
		t.Fatal("test key is on the curve")
	}
	for _, tc := range []struct {
		name, hex string
		ok        bool
	}{
		{"valid", valid, true},
		{"form only: not on the curve", notOnCurve, true},
		{"short", valid[:64], false},
		{"long", valid + "00", false},
		{"not hex", "zz" + valid[2:], false},
		{"uncompressed prefix", "04" + valid[2:], false},
	} {
		k, err := recordKey(tc.hex)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.name, err, tc.ok)
		}
		if tc.ok && k.String() != tc.hex {
			t.Errorf("%s: got %s", tc.name, k)
		}
	}
}

// TestOwnerKeyOffCurve: a check-in whose owner key is not a point on the
// curve is refused with DecodeCheckIn's payload error, word for word,
// whether the key is found by its signature check (CheckCheckIn leaves
// it to that), with another fault in the payload, or in a block.
func TestOwnerKeyOffCurve(t *testing.T) {
	w := newWorld(t)
	dev := w.attest()
	var bad keys.PubKey
	bad[0], bad[keys.PubKeySize-1] = 0x02, 5 // x = 5: no point on secp256k1
	build := func(req CheckInRequest) *wire.Tx {
		req.ThingDescription = withDeviceID(t, req.ThingDescription, dev.PubKey())
		return NewCheckInTx(w.chainID(), dev, w.nonce(dev), bad, keys.Signature{}, req)
	}
	valid := build(fridgeRequest(t))
	_, want := DecodeCheckIn(valid.Payload)
	if !errors.Is(want, ErrBadPayload) || !strings.Contains(want.Error(), "owner") {
		t.Fatalf("DecodeCheckIn: %v", want)
	}
	broken := fridgeRequest(t)
	broken.ThingDescription = []byte(`{"not":"a TD"}`)
	for name, tx := range map[string]*wire.Tx{"otherwise valid": valid, "with a bad TD too": build(broken)} {
		for _, m := range []Machine{NewMachine(w.net, keys.NewSigCache(100)), {}} {
			if got := m.CheckTxSanity(tx); errText(got) != errText(want) {
				t.Errorf("%s: got %v, want %v", name, got, want)
			}
		}
	}
	blk, err := w.template(valid) // templates trust the mempool's sanity check
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.ProcessBlock(t.Context(), blk); errText(err) != errText(want) {
		t.Fatalf("block: got %v, want %v", err, want)
	}
}
