package chain

import (
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

func TestMineAndRestart(t *testing.T) {
	h := newHarness(t, consensus.RegTest())
	user, _ := newKey(t)
	for i := 0; i < 5; i++ {
		h.mine(signTx(h.c, user, txSet, uint64(i), 2, "a=v"+string(rune('0'+i))))
	}
	tip := h.c.Tip()
	mustEqual(t, "height", tip.Height, uint64(5))
	v, _ := h.state("kv/a")
	mustEqual(t, "kv/a", v, "v4")
	mustEqual(t, "reward", h.reward(h.key.PubKey().Address()), uint64(5*(1+2)))
	h.reopen()
	mustEqual(t, "tip after restart", h.c.Tip().Hash, tip.Hash)
	mustEqual(t, "reward after restart", h.reward(h.key.PubKey().Address()), uint64(15))
}
