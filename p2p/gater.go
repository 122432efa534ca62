package p2p

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater is the libp2p ConnectionGater: it refuses banned peers until their
// ban expires, everyone while the network is off (SetNetworkActive) and,
// when an allowlist is set, every peer not on it, in both
// directions. The peer ID is known only after the security handshake, so
// inbound refusals happen in InterceptSecured.
type gater struct {
	offline atomic.Bool // SetNetworkActive(false): refuse everyone
	mu      sync.Mutex
	banned  map[peer.ID]time.Time // until
	allowed map[peer.ID]bool      // empty: everyone
}

func newGater(allow []peer.ID) *gater {
	g := &gater{banned: map[peer.ID]time.Time{}, allowed: map[peer.ID]bool{}}
	for _, p := range allow {
		g.allowed[p] = true
	}
	return g
}

func (g *gater) ban(p peer.ID, until time.Time) {
	g.mu.Lock()
	g.banned[p] = until
	g.mu.Unlock()
}

// bannedUntil reports a current ban, forgetting expired ones.
func (g *gater) bannedUntil(p peer.ID) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.banned[p]
	if ok && !time.Now().Before(until) {
		delete(g.banned, p)
		return time.Time{}, false
	}
	return until, ok
}

func (g *gater) bans() map[peer.ID]time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	out := make(map[peer.ID]time.Time, len(g.banned))
	for p, until := range g.banned {
		if now.Before(until) {
			out[p] = until
		}
	}
	return out
}

func (g *gater) permit(p peer.ID) bool {
	if g.offline.Load() {
		return false
	}
	if _, banned := g.bannedUntil(p); banned {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.allowed) == 0 || g.allowed[p]
}

func (g *gater) InterceptPeerDial(p peer.ID) bool             { return g.permit(p) }
func (g *gater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool { return true }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool  { return true }
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.permit(p)
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
