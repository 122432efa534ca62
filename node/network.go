package node

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/mempool"
	"github.com/thingchain/thingchain/p2p"
)

func (n *Node) startP2P(ctx context.Context) error {
	listen := n.cfg.P2PListen
	if len(listen) == 1 && listen[0] == "off" {
		return nil
	}
	if len(listen) == 0 {
		port := n.Net.DefaultP2PPort
		listen = []string{fmt.Sprintf("/ip4/0.0.0.0/tcp/%d", port), fmt.Sprintf("/ip4/0.0.0.0/udp/%d/quic-v1", port)}
	}
	var allow []peer.ID
	for _, s := range n.cfg.Allowlist {
		id, err := peer.Decode(s)
		if err != nil {
			return fmt.Errorf("allowlist entry %q is not a peer ID: %w", s, err)
		}
		allow = append(allow, id)
	}
	node, err := p2p.New(ctx, p2p.Config{
		NetworkName: n.Net.Name, ListenAddrs: listen, IdentityPath: filepath.Join(n.cfg.DataDir, "p2p.key"),
		BanFile:   filepath.Join(n.cfg.DataDir, "p2p-bans.json"),
		Bootstrap: n.cfg.Bootstrap, EnableMDNS: n.cfg.MDNS, Allowlist: allow, Logger: n.log,
		Chains: []p2p.ChainHandle{
			{Chain: n.Metadata, TxPool: poolAdapter{n.MetadataPool}, MinerAllowed: n.minerAllowed},
			{Chain: n.Auction, TxPool: poolAdapter{n.AuctionPool}, MinerAllowed: n.minerAllowed},
		},
	})
	if err != nil {
		return err
	}
	if err := node.Start(ctx); err != nil {
		node.Close()
		return err
	}
	n.P2P = node
	n.log.Info("p2p listening", "peer_id", node.ID(), "addrs", node.Addrs())
	return nil
}

// poolAdapter lets the network hand gossiped transactions to a mempool.
type poolAdapter struct{ *mempool.Pool }

func (a poolAdapter) AddTx(tx *wire.Tx) error { return a.Pool.Add(tx) }

// AddTxBatch takes a gossip frame's transactions in one batch
// (p2p.TxBatchAdder).
func (a poolAdapter) AddTxBatch(txs []*wire.Tx) ([]error, []bool) { return a.Pool.SubmitFromPeer(txs) }

var _ p2p.TxBatchAdder = poolAdapter{}

// P2PAddrs are the node's libp2p addresses as strings, each ending in
// /p2p/<peer ID> (for --bootstrap).
func (n *Node) P2PAddrs() []string {
	if n.P2P == nil {
		return nil
	}
	var out []string
	for _, a := range n.P2P.Addrs() {
		out = append(out, a.String())
	}
	return out
}
