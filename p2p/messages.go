package p2p

import (
	"encoding/binary"
	"io"
	"math/big"

	"github.com/thingchain/thingchain/chain/wire"
)

// MsgType is the first byte of every sync message.
type MsgType byte

// Sync protocol message types. A request is answered by exactly one
// response on the same stream; the stream then closes.
const (
	MsgGetStatus  MsgType = 1 // → Status
	MsgStatus     MsgType = 2
	MsgGetHeaders MsgType = 3 // → Headers
	MsgHeaders    MsgType = 4
	MsgGetBlocks  MsgType = 5 // → Blocks
	MsgBlocks     MsgType = 6
)

// Limits of the sync protocol. They bound every allocation a peer can cause
// before it has proven anything.
const (
	MaxHeadersPerMsg = 2000 // headers in one Headers message
	MaxBlocksPerMsg  = 128  // hashes in GetBlocks, blocks in Blocks
	MaxLocator       = 64   // hashes in a GetHeaders locator
	MaxWorkBytes     = 40   // cumulative work, big-endian (256 bits + slack)

	// MaxMessageBytes bounds one framed response: a batch of blocks. One
	// block of wire.MaxBlockBytes always fits.
	MaxMessageBytes = 16<<20 + 64<<10
	// MaxRequestBytes bounds one framed request; requests are small, so a
	// peer cannot make us buffer megabytes by asking.
	MaxRequestBytes = 64 << 10
)

// Message is one sync protocol message: *GetStatus, *Status, *GetHeaders,
// *Headers, *GetBlocks or *Blocks.
type Message interface {
	Type() MsgType
	appendBody(b []byte) []byte
}

// GetStatus asks for the peer's tip on this chain.
type GetStatus struct{}

// Status is a peer's tip on one chain.
type Status struct {
	Height uint64
	Hash   wire.Hash
	Work   *big.Int // cumulative work of the tip; never negative
}

// GetHeaders asks for up to Max main-chain headers following the first
// locator hash the peer has on its main chain (genesis if none).
type GetHeaders struct {
	Locator []wire.Hash // at most MaxLocator
	Max     uint32      // 1..MaxHeadersPerMsg
}

// Headers answers GetHeaders, in chain order.
type Headers struct{ Headers []wire.Header }

// GetBlocks asks for blocks by hash.
type GetBlocks struct{ Hashes []wire.Hash }

// Blocks answers GetBlocks with encoded blocks: a prefix of the requested
// hashes, in request order (it stops at the first block the peer does not
// have or when the message would exceed MaxMessageBytes).
type Blocks struct{ Blocks [][]byte }

func (*GetStatus) Type() MsgType  { return MsgGetStatus }
func (*Status) Type() MsgType     { return MsgStatus }
func (*GetHeaders) Type() MsgType { return MsgGetHeaders }
func (*Headers) Type() MsgType    { return MsgHeaders }
func (*GetBlocks) Type() MsgType  { return MsgGetBlocks }
func (*Blocks) Type() MsgType     { return MsgBlocks }

func (*GetStatus) appendBody(b []byte) []byte { return b }

func (m *Status) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, m.Height)
	b = append(b, m.Hash[:]...)
	var work []byte
	if m.Work != nil {
		work = m.Work.Bytes()
	}
	b = binary.AppendUvarint(b, uint64(len(work)))
	return append(b, work...)
}

func (m *GetHeaders) appendBody(b []byte) []byte {
	b = appendHashes(b, m.Locator)
	return binary.LittleEndian.AppendUint32(b, m.Max)
}

func (m *Headers) appendBody(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(m.Headers)))
	for i := range m.Headers {
		b = m.Headers[i].AppendEncode(b)
	}
	return b
}

func (m *GetBlocks) appendBody(b []byte) []byte { return appendHashes(b, m.Hashes) }

func (m *Blocks) appendBody(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(m.Blocks)))
	for _, blk := range m.Blocks {
		b = binary.AppendUvarint(b, uint64(len(blk)))
		b = append(b, blk...)
	}
	return b
}

func appendHashes(b []byte, hs []wire.Hash) []byte {
	b = binary.AppendUvarint(b, uint64(len(hs)))
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

// EncodeMessage returns a message's body: its type byte and fields, without
// the length frame.
func EncodeMessage(m Message) []byte { return m.appendBody([]byte{byte(m.Type())}) }

// msgReader consumes a message body and keeps the first error, so decoders
// check once at the end.
type msgReader struct {
	b   []byte
	err error
}

func (r *msgReader) fail(kind error, format string, args ...any) {
	if r.err == nil {
		r.err = msgErr(kind, format, args...)
	}
}

func (r *msgReader) take(n uint64, what string) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.fail(ErrMalformedMessage, "%s: truncated: need %d bytes, have %d", what, n, len(r.b))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// uvarint reads a minimal varint; a value over max is ErrOversizedMessage.
func (r *msgReader) uvarint(what string, max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(ErrMalformedMessage, "%s: bad varint", what)
		return 0
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		r.fail(ErrMalformedMessage, "%s: non-minimal varint", what)
		return 0
	}
	if v > max {
		r.fail(ErrOversizedMessage, "%s: %d exceeds limit %d", what, v, max)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *msgReader) hashes(what string, max uint64) []wire.Hash {
	n := r.uvarint(what+" count", max)
	raw := r.take(n*wire.HashSize, what)
	if raw == nil {
		return nil
	}
	out := make([]wire.Hash, n)
	for i := range out {
		copy(out[i][:], raw[i*wire.HashSize:])
	}
	return out
}

// DecodeMessage parses one message body. It never panics and allocates at
// most in proportion to len(b). Errors wrap ErrMalformedMessage,
// ErrOversizedMessage or ErrUnknownMessage. Whatever decodes re-encodes to
// exactly b (the encoding is canonical).
func DecodeMessage(b []byte) (Message, error) {
	if len(b) == 0 {
		return nil, msgErr(ErrMalformedMessage, "empty message")
	}
	if len(b) > MaxMessageBytes {
		return nil, msgErr(ErrOversizedMessage, "%d bytes exceeds %d", len(b), MaxMessageBytes)
	}
	r := &msgReader{b: b[1:]}
	var m Message
	switch MsgType(b[0]) {
	case MsgGetStatus:
		m = &GetStatus{}
	case MsgStatus:
		s := &Status{}
		if h := r.take(8, "height"); h != nil {
			s.Height = binary.LittleEndian.Uint64(h)
		}
		copy(s.Hash[:], r.take(wire.HashSize, "tip hash"))
		work := r.take(r.uvarint("work length", MaxWorkBytes), "work")
		if len(work) > 0 && work[0] == 0 {
			r.fail(ErrMalformedMessage, "work has a leading zero byte")
		}
		s.Work = new(big.Int).SetBytes(work)
		m = s
	case MsgGetHeaders:
		g := &GetHeaders{Locator: r.hashes("locator", MaxLocator)}
		if v := r.take(4, "max"); v != nil {
			g.Max = binary.LittleEndian.Uint32(v)
			if g.Max == 0 || g.Max > MaxHeadersPerMsg {
				r.fail(ErrMalformedMessage, "max %d headers outside 1..%d", g.Max, MaxHeadersPerMsg)
			}
		}
		m = g
	case MsgHeaders:
		n := r.uvarint("header count", MaxHeadersPerMsg)
		raw := r.take(n*wire.HeaderSize, "headers")
		hs := &Headers{}
		if raw != nil {
			hs.Headers = make([]wire.Header, n)
		}
		for i := range hs.Headers {
			h, err := wire.DecodeHeader(raw[i*wire.HeaderSize : (i+1)*wire.HeaderSize])
			if err != nil {
				r.fail(ErrMalformedMessage, "header %d: %v", i, err)
				break
			}
			hs.Headers[i] = h
		}
		m = hs
	case MsgGetBlocks:
		m = &GetBlocks{Hashes: r.hashes("block hashes", MaxBlocksPerMsg)}
	case MsgBlocks:
		n := r.uvarint("block count", MaxBlocksPerMsg)
		bs := &Blocks{}
		for i := uint64(0); i < n && r.err == nil; i++ {
			raw := r.take(r.uvarint("block length", wire.MaxBlockBytes), "block")
			if raw != nil {
				bs.Blocks = append(bs.Blocks, append([]byte{}, raw...))
			}
		}
		m = bs
	default:
		return nil, msgErr(ErrUnknownMessage, "message type %d", b[0])
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(ErrMalformedMessage, "%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// WriteMessage writes one message framed by its uvarint length.
func WriteMessage(w io.Writer, m Message) error {
	body := EncodeMessage(m)
	frame := binary.AppendUvarint(make([]byte, 0, len(body)+binary.MaxVarintLen64), uint64(len(body)))
	_, err := w.Write(append(frame, body...))
	return err
}

// byteReader reads the frame length one byte at a time, so nothing past
// the frame header is consumed before the length is checked.
type byteReader struct {
	r   io.Reader
	err error // the transport's error, if reading failed
}

func (b *byteReader) ReadByte() (byte, error) {
	var one [1]byte
	_, err := io.ReadFull(b.r, one[:])
	if err != nil {
		b.err = err
	}
	return one[0], err
}

// ReadMessage reads one framed message of at most max bytes. A frame over
// max is refused before anything is allocated for it. Transport errors
// (EOF, reset, deadline) are returned as they are: they are nobody's fault.
func ReadMessage(r io.Reader, max int) (Message, error) {
	br := &byteReader{r: r}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		if br.err != nil {
			return nil, br.err
		}
		// The varint overflows 64 bits: an absurd length.
		return nil, msgErr(ErrOversizedMessage, "frame length: %v", err)
	}
	if n > uint64(max) {
		return nil, msgErr(ErrOversizedMessage, "frame of %d bytes exceeds %d", n, max)
	}
	if n == 0 {
		return nil, msgErr(ErrMalformedMessage, "empty frame")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return DecodeMessage(body)
}
