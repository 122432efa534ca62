package p2p

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Gossipsub drops an RPC frame over its maximum size by resetting the
// stream, and tells nobody. A peer could so send 12 MiB frames at no cost.
// gossipHost hands pubsub a host whose inbound streams report, as they
// are read, any frame whose length prefix is over MaxGossipBytes, so the
// sender is penalised (PenaltyOversized) before pubsub discards it.
type gossipHost struct {
	host.Host
	oversized func(s network.Stream, size uint64)
}

func (g gossipHost) SetStreamHandler(pid protocol.ID, handler network.StreamHandler) {
	g.Host.SetStreamHandler(pid, func(s network.Stream) {
		handler(&frameWatcher{Stream: s, max: MaxGossipBytes, oversized: func(size uint64) { g.oversized(s, size) }})
	})
}

// frameWatcher passes a stream of uvarint-length-prefixed frames through
// unchanged while following the frame boundaries.
type frameWatcher struct {
	network.Stream
	max       uint64
	oversized func(size uint64)

	remaining uint64 // body bytes of the current frame still to pass
	length    uint64 // varint being read
	shift     uint
	reported  bool
}

func (f *frameWatcher) Read(p []byte) (int, error) {
	n, err := f.Stream.Read(p)
	f.scan(p[:n])
	return n, err
}

func (f *frameWatcher) scan(b []byte) {
	for len(b) > 0 && !f.reported {
		if f.remaining > 0 {
			k := min(uint64(len(b)), f.remaining)
			f.remaining -= k
			b = b[k:]
			continue
		}
		c := b[0]
		b = b[1:]
		if f.shift >= 63 {
			f.report(^uint64(0))
			return
		}
		f.length |= uint64(c&0x7f) << f.shift
		f.shift += 7
		if c&0x80 != 0 {
			continue
		}
		if f.length > f.max {
			f.report(f.length)
			return
		}
		f.remaining, f.length, f.shift = f.length, 0, 0
	}
}

func (f *frameWatcher) report(size uint64) {
	f.reported = true
	f.oversized(size)
}

func (n *Node) gossipOversized(s network.Stream, size uint64) {
	n.penalize(s.Conn().RemotePeer(), PenaltyOversized, false, fmt.Sprintf("gossip frame of %d bytes, limit %d", size, MaxGossipBytes))
}
