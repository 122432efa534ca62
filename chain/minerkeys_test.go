package chain

import (
	"errors"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestMinerKeyTableInHeaderRules: once the miner's key has a table, the
// header signature rules give the same verdicts through it: a valid
// header passes and each broken signature fails with ErrBadMinerSig. An
// admitted miner (MinerAllowed) gets its table with its first block.
func TestMinerKeyTableInHeaderRules(t *testing.T) {
	h := newHarness(t, consensus.RegTest())
	admitted := h.key.PubKey()
	h.close()
	h.config.MinerAllowed = func(k keys.PubKey) error {
		if k != admitted {
			return errors.New("not admitted")
		}
		return nil
	}
	h.open()
	if h.c.MinerKeys().Table(admitted) != nil {
		t.Fatal("a table before any block")
	}
	h.mine()
	h.c.MinerKeys().WaitBuilds()
	if h.c.MinerKeys().Table(admitted) == nil {
		t.Fatal("the admitted miner has no table after its first block")
	}

	other, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	valid := h.template().Header
	cases := []struct {
		name   string
		mutate func(*wire.Header)
		want   error
	}{
		{"valid", func(*wire.Header) {}, nil},
		{"signature by another key", func(hd *wire.Header) { hd.MinerSig = other.Sign(hd.SigningHash()) }, consensus.ErrBadMinerSig},
		{"header changed after signing", func(hd *wire.Header) { hd.Reward[0] ^= 1 }, consensus.ErrBadMinerSig},
		{"zero signature", func(hd *wire.Header) { hd.MinerSig = [wire.SignatureSize]byte{} }, consensus.ErrBadMinerSig},
		{"s flipped to the high half", func(hd *wire.Header) { highS(&hd.MinerSig) }, consensus.ErrBadMinerSig},
		{"malformed key", func(hd *wire.Header) { hd.MinerKey[0] = 0x05 }, consensus.ErrBadMinerSig},
	}
	for _, tc := range cases {
		hd := valid
		tc.mutate(&hd)
		target, _ := consensus.CompactToBig(hd.Bits)
		for hd.Nonce = 0; consensus.HashToBig(hd.Hash()).Cmp(target) > 0; hd.Nonce++ {
		}
		err := h.c.CheckHeaderSanity(&hd)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if tc.want != nil && keys.Verify(keys.PubKey(hd.MinerKey), hd.SigningHash(), keys.Signature(hd.MinerSig)) {
			t.Errorf("%s: the plain verifier accepts what the table refused", tc.name)
		}
	}
}

// highS replaces s with N − s, the malleated twin every verifier refuses.
func highS(sig *[wire.SignatureSize]byte) {
	order := [32]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41}
	borrow := 0
	for i := 31; i >= 0; i-- {
		d := int(order[i]) - int(sig[32+i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		sig[32+i] = byte(d)
	}
}
