package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thingchain/thingchain/chain/wire"
)

// Sync protocol message types.
const (
	msgGetStatus  byte = 1
	msgStatus     byte = 2
	msgGetHeaders byte = 3
	msgHeaders    byte = 4
	msgGetBlocks  byte = 5
	msgBlocks     byte = 6
)

// Limits of the sync protocol.
const (
	MaxHeadersPerMsg = 2000
	MaxBlocksPerMsg  = 64
	MaxLocator       = 64
	// MaxMessageBytes bounds one framed message: a batch of blocks.
	MaxMessageBytes = 16 << 20
)

// ErrBadMessage is wrapped by every decoding error of a sync message.
var ErrBadMessage = errors.New("malformed p2p message")

// Message is one sync protocol message.
type Message struct {
	Type    byte
	Status  Status
	Locator []wire.Hash   // GetHeaders
	Max     uint32        // GetHeaders
	Headers []wire.Header // Headers
	Hashes  []wire.Hash   // GetBlocks
	Blocks  [][]byte      // Blocks (encoded)
}

// Status is a peer's view of one chain.
type Status struct {
	Height uint64
	Hash   wire.Hash
	Work   []byte // big-endian cumulative work
}

// Encode returns the message body (without the length frame).
func (m *Message) Encode() []byte {
	b := []byte{m.Type}
	putHashes := func(hs []wire.Hash) {
		b = binary.AppendUvarint(b, uint64(len(hs)))
		for _, h := range hs {
			b = append(b, h[:]...)
		}
	}
	switch m.Type {
	case msgStatus:
		b = binary.LittleEndian.AppendUint64(b, m.Status.Height)
		b = append(b, m.Status.Hash[:]...)
		b = binary.AppendUvarint(b, uint64(len(m.Status.Work)))
		b = append(b, m.Status.Work...)
	case msgGetHeaders:
		putHashes(m.Locator)
		b = binary.LittleEndian.AppendUint32(b, m.Max)
	case msgHeaders:
		b = binary.AppendUvarint(b, uint64(len(m.Headers)))
		for i := range m.Headers {
			b = m.Headers[i].AppendEncode(b)
		}
	case msgGetBlocks:
		putHashes(m.Hashes)
	case msgBlocks:
		b = binary.AppendUvarint(b, uint64(len(m.Blocks)))
		for _, blk := range m.Blocks {
			b = binary.AppendUvarint(b, uint64(len(blk)))
			b = append(b, blk...)
		}
	}
	return b
}

type msgReader struct {
	b   []byte
	err error
}

func (r *msgReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrBadMessage, fmt.Sprintf(format, args...))
	}
}

func (r *msgReader) take(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.fail("truncated: need %d bytes, have %d", n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *msgReader) uvarint(what string, max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("%s: bad varint", what)
		return 0
	}
	if v > max {
		r.fail("%s: %d exceeds limit %d", what, v, max)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *msgReader) hashes(what string, max uint64) []wire.Hash {
	n := r.uvarint(what, max)
	if r.err != nil || uint64(len(r.b)) < n*wire.HashSize {
		r.fail("%s: truncated", what)
		return nil
	}
	out := make([]wire.Hash, n)
	for i := range out {
		copy(out[i][:], r.take(wire.HashSize))
	}
	return out
}

// DecodeMessage parses a message body, refusing unknown types, counts over
// the limits, truncation and trailing bytes.
func DecodeMessage(b []byte) (*Message, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadMessage)
	}
	if len(b) > MaxMessageBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrBadMessage, len(b), MaxMessageBytes)
	}
	m := &Message{Type: b[0]}
	r := &msgReader{b: b[1:]}
	switch m.Type {
	case msgGetStatus:
	case msgStatus:
		if h := r.take(8); h != nil {
			m.Status.Height = binary.LittleEndian.Uint64(h)
		}
		copy(m.Status.Hash[:], r.take(wire.HashSize))
		m.Status.Work = append([]byte(nil), r.take(r.uvarint("work length", 64))...)
	case msgGetHeaders:
		m.Locator = r.hashes("locator", MaxLocator)
		if v := r.take(4); v != nil {
			m.Max = binary.LittleEndian.Uint32(v)
		}
	case msgHeaders:
		n := r.uvarint("header count", MaxHeadersPerMsg)
		for i := uint64(0); i < n && r.err == nil; i++ {
			raw := r.take(wire.HeaderSize)
			if raw == nil {
				break
			}
			h, err := wire.DecodeHeader(raw)
			if err != nil {
				r.fail("header %d: %v", i, err)
				break
			}
			m.Headers = append(m.Headers, h)
		}
	case msgGetBlocks:
		m.Hashes = r.hashes("block hashes", MaxBlocksPerMsg)
	case msgBlocks:
		n := r.uvarint("block count", MaxBlocksPerMsg)
		for i := uint64(0); i < n && r.err == nil; i++ {
			l := r.uvarint("block length", wire.MaxBlockBytes)
			if raw := r.take(l); raw != nil {
				m.Blocks = append(m.Blocks, append([]byte(nil), raw...))
			}
		}
	default:
		return nil, fmt.Errorf("%w: unknown message type %d", ErrBadMessage, m.Type)
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// writeMessage frames a message with its length.
func writeMessage(w io.Writer, m *Message) error {
	body := m.Encode()
	frame := binary.AppendUvarint(make([]byte, 0, len(body)+5), uint64(len(body)))
	_, err := w.Write(append(frame, body...))
	return err
}

// byteReader adapts an io.Reader for binary.ReadUvarint without reading
// past the frame header.
type byteReader struct{ r io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var one [1]byte
	_, err := io.ReadFull(b.r, one[:])
	return one[0], err
}

// readMessage reads one framed message, refusing frames over the limit
// before allocating for them.
func readMessage(r io.Reader) (*Message, error) {
	n, err := binary.ReadUvarint(byteReader{r})
	if err != nil {
		return nil, err
	}
	if n == 0 || n > MaxMessageBytes {
		return nil, fmt.Errorf("%w: frame of %d bytes", ErrBadMessage, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return DecodeMessage(body)
}
