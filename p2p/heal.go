package p2p

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Gossipsub (v0.19) can lose track of a connected peer's subscriptions:
// when a duplicate connection to the peer closes and takes our outbound
// pubsub stream with it, handleDeadPeers clears the peer's subscriptions
// and respawns only our writer; the peer, whose own stream is fine, never
// sends them again. Nothing is then gossiped to it, in either direction of
// our mesh, until it reconnects. Blocks still arrive by sync, transactions
// would be lost, so the node checks every SyncInterval and reconnects
// (once per healEvery) a peer that speaks our sync protocol, has been
// connected a while, and is missing from our topics.
const (
	healAfter = 3  // SyncIntervals a peer must have been connected
	healEvery = 10 // SyncIntervals between reconnects of one peer
)

// healLoop runs healGossip every SyncInterval.
func (n *Node) healLoop() {
	t := time.NewTicker(n.cfg.SyncInterval)
	defer t.Stop()
	healed := map[peer.ID]time.Time{}
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.healGossip(healed)
			n.forgetBudgets()
		}
	}
}

func (n *Node) healGossip(healed map[peer.ID]time.Time) {
	now := time.Now()
	for p, at := range healed {
		if now.Sub(at) > healEvery*n.cfg.SyncInterval {
			delete(healed, p)
		}
	}
	for _, p := range n.connectedPeers() {
		if _, recent := healed[p]; recent || !n.connectedSince(p, now.Add(-healAfter*n.cfg.SyncInterval)) {
			continue
		}
		for _, cn := range n.chains {
			if protos, _ := n.host.Peerstore().SupportsProtocols(p, cn.syncProto); len(protos) == 0 {
				continue // another network, or a chain the peer does not serve
			}
			if slices.Contains(cn.blocks.ListPeers(), p) && slices.Contains(cn.txs.ListPeers(), p) {
				continue
			}
			healed[p] = now
			n.log.Info("gossip lost track of a peer's subscriptions; reconnecting", "peer", p, "chain", cn.name)
			info := peer.AddrInfo{ID: p, Addrs: n.host.Peerstore().Addrs(p)}
			n.host.Network().ClosePeer(p)
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
				defer cancel()
				if err := n.host.Connect(ctx, info); err != nil {
					n.log.Debug("reconnect failed", "peer", p, "err", err)
				}
			}()
			break
		}
	}
}

// connectedSince reports whether p has had a connection open since before t.
func (n *Node) connectedSince(p peer.ID, t time.Time) bool {
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if c.Stat().Opened.Before(t) {
			return true
		}
	}
	return false
}
