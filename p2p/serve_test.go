package p2p

import (
	"bytes"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestWriteBlocksHolding: a Blocks answer is the same whether the server
// keeps the blocks between its two passes, keeps some, or reads each
// again, and it carries the asked blocks in order, stopping at the first
// block it does not have.
func TestWriteBlocksHolding(t *testing.T) {
	tn := newTestNode(t)
	k := consensus.AuctionChain
	hashes := tn.mine(k, 6, nil)
	ask := append(append([]wire.Hash{}, hashes...), wire.Hash{1}, hashes[0]) // an unknown block ends the answer
	cn := tn.p2p.chains[1]
	if cn.h.Chain != tn.chain(k) {
		t.Fatal("chains[1] is not the auction chain")
	}
	first, _ := tn.chain(k).BlockBytes(hashes[0])
	var answers [][]byte
	for _, hold := range []int{0, 2 * len(first), serveHoldBytes} {
		var buf bytes.Buffer
		if err := cn.writeBlocksHolding(&buf, ask, hold); err != nil {
			t.Fatalf("hold %d: %v", hold, err)
		}
		answers = append(answers, buf.Bytes())
		msg, err := ReadMessage(&buf, MaxMessageBytes)
		if err != nil {
			t.Fatalf("hold %d: %v", hold, err)
		}
		blocks := msg.(*Blocks).Blocks
		if len(blocks) != len(hashes) {
			t.Fatalf("hold %d: %d blocks, want the %d before the unknown one", hold, len(blocks), len(hashes))
		}
		for i, b := range blocks {
			want, err := tn.chain(k).BlockBytes(hashes[i])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Fatalf("hold %d: block %d differs from the stored one", hold, i)
			}
		}
	}
	for i := 1; i < len(answers); i++ {
		if !bytes.Equal(answers[i], answers[0]) {
			t.Fatalf("answer %d differs from answer 0", i)
		}
	}
}
