package node

import (
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/p2p"
)

// peerJSON is a peer as node.info shows it: times in RFC 3339, omitted
// when unset.
func peerJSON(p p2p.PeerInfo) apitypes.PeerInfo {
	out := apitypes.PeerInfo{ID: p.ID.String(), Addrs: p.Addrs, Score: p.Score, Banned: p.Banned}
	if !p.BannedUntil.IsZero() {
		out.BannedUntil = p.BannedUntil.UTC().Format(time.RFC3339)
	}
	if !p.ConnectedAt.IsZero() {
		out.ConnectedAt = p.ConnectedAt.UTC().Format(time.RFC3339)
	}
	return out
}
