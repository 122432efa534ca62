package p2p

import (
	"context"
	"errors"
	"testing"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// floorPool is a pool with a relay fee floor (as mempool.Pool has).
type floorPool struct {
	*memPool
	floor uint64
}

func (p floorPool) CheckRelayFee(tx *wire.Tx) error {
	if tx.Fee < p.floor {
		return errors.New("below the relay fee floor")
	}
	return nil
}

// TestGossipIgnoresTxBelowRelayFee: a gossiped transaction below the
// pool's relay fee floor is ignored (not relayed, and not held against
// the sender, whose node may have a lower floor); one that pays it is
// accepted for relay.
func TestGossipIgnoresTxBelowRelayFee(t *testing.T) {
	tn := newTestNode(t, func(cfg *Config) {
		for i := range cfg.Chains {
			cfg.Chains[i].TxPool = floorPool{newMemPool(), 100}
		}
	})
	cn := tn.p2p.chains[0]
	key, _ := keys.GenerateKey()
	from := peer.ID("some-peer")
	validate := func(tx *wire.Tx) pubsub.ValidationResult {
		frame, err := EncodeTxFrame([][]byte{tx.Encode()})
		if err != nil {
			t.Fatal(err)
		}
		return cn.validateTxFrame(context.Background(), from, &pubsub.Message{Message: &pb.Message{Data: frame}})
	}
	free := signedTx(tn.chain(cn.kind), key, 0, "free")
	if got := validate(free); got != pubsub.ValidationIgnore {
		t.Fatalf("free transaction: validation %v, want ignore (not relayed)", got)
	}
	paying := &wire.Tx{ChainID: free.ChainID, Type: free.Type, Nonce: 0, Fee: 100, Sender: key.PubKey(), Payload: []byte("paying")}
	paying.Sig = key.Sign(paying.SigHash())
	if got := validate(paying); got != pubsub.ValidationAccept {
		t.Fatalf("transaction paying the floor: validation %v, want accept", got)
	}
	select {
	case p := <-tn.penalties:
		t.Fatalf("a transaction below this node's fee floor was penalised: %+v", p)
	default:
	}
}
