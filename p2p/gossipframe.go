package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/thingchain/thingchain/chain/wire"
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

// Transaction gossip travels in frames: one pubsub message carries every
// transaction a node announces within txFrameInterval (at most
// MaxTxFrameTxs and MaxTxFrameBytes), so the per-message costs of pubsub
// (message ID, validation goroutine, queues, yamux writes) are paid once
// per frame rather than once per transaction, and the receiver checks the
// whole frame's signatures in one parallel batch.
//
// Encoding (in one place; round-trip and fuzz tests in gossipframe_test.go):
//
//	uvarint count (1 … MaxTxFrameTxs)
//	count × (uvarint length (1 … wire.MaxTxBytes) || canonical transaction encoding)
//
// with nothing after the last transaction.
const (
	MaxTxFrameTxs   = 1024
	MaxTxFrameBytes = 1 << 20
	// txFrameInterval is how long a node collects transactions before
	// publishing them as one frame.
	txFrameInterval = 25 * time.Millisecond
	// txFrameCheckSlice is how many of a received frame's transactions go
	// to the pool at a time; the sender's ban is checked between slices.
	txFrameCheckSlice = 128
)

// errTxFrameOversized marks a frame over a count or size limit (the sender
// is penalised PenaltyOversized rather than PenaltyMalformed).
var errTxFrameOversized = errors.New("over a transaction frame limit")

// txFrame builds one frame of encoded transactions.
type txFrame struct {
	n    int
	body []byte
}

// fits reports whether a transaction of size bytes can join the frame.
func (f *txFrame) fits(size int) bool {
	return f.n < MaxTxFrameTxs && f.encodedSize()+binary.MaxVarintLen64+size <= MaxTxFrameBytes
}

func (f *txFrame) add(encoded []byte) {
	f.n++
	f.body = binary.AppendUvarint(f.body, uint64(len(encoded)))
	f.body = append(f.body, encoded...)
}

func (f *txFrame) encodedSize() int { return binary.MaxVarintLen64 + len(f.body) }

// bytes returns the frame's encoding and empties the builder.
func (f *txFrame) bytes() []byte {
	out := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(f.body)), uint64(f.n))
	out = append(out, f.body...)
	f.n, f.body = 0, nil
	return out
}

// EncodeTxFrame encodes transactions (already encoded) as one frame; it
// fails when they exceed the frame limits.
func EncodeTxFrame(encoded [][]byte) ([]byte, error) {
	var f txFrame
	for _, e := range encoded {
		if len(e) == 0 || len(e) > wire.MaxTxBytes || !f.fits(len(e)) {
			return nil, fmt.Errorf("%w: %d transactions", errTxFrameOversized, len(encoded))
		}
		f.add(e)
	}
	if f.n == 0 {
		return nil, errors.New("empty transaction frame")
	}
	return f.bytes(), nil
}

// DecodeTxFrame decodes a frame and each transaction in it. An error
// wrapping errTxFrameOversized means a limit was exceeded; any other means
// the bytes are malformed.
func DecodeTxFrame(b []byte) ([]*wire.Tx, error) {
	if len(b) > MaxTxFrameBytes {
		return nil, fmt.Errorf("%w: frame of %d bytes, limit %d", errTxFrameOversized, len(b), MaxTxFrameBytes)
	}
	count, k := binary.Uvarint(b)
	switch {
	case k <= 0:
		return nil, errors.New("transaction frame: bad count")
	case count == 0:
		return nil, errors.New("transaction frame: no transactions")
	case count > MaxTxFrameTxs:
		return nil, fmt.Errorf("%w: %d transactions, limit %d", errTxFrameOversized, count, MaxTxFrameTxs)
	}
	b = b[k:]
	txs := make([]*wire.Tx, 0, count)
	for i := range count {
		size, k := binary.Uvarint(b)
		switch {
		case k <= 0:
			return nil, fmt.Errorf("transaction frame: transaction %d: bad length", i)
		case size > wire.MaxTxBytes:
			return nil, fmt.Errorf("%w: transaction %d of %d bytes, limit %d", errTxFrameOversized, i, size, wire.MaxTxBytes)
		case size == 0 || size > uint64(len(b)-k):
			return nil, fmt.Errorf("transaction frame: transaction %d: length %d, %d bytes left", i, size, len(b)-k)
		}
		tx, err := wire.DecodeTx(b[k : k+int(size)])
		if err != nil {
			return nil, fmt.Errorf("transaction frame: transaction %d: %w", i, err)
		}
		txs = append(txs, tx)
		b = b[k+int(size):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("transaction frame: %d bytes after the last transaction", len(b))
	}
	return txs, nil
}
