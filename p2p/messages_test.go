package p2p

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
)

func sampleMessages() []Message {
	h := wire.Header{Version: 1, Height: 7, Bits: 0x207fffff, Nonce: 9}
	return []Message{
		&GetStatus{},
		&Status{Height: 9, Hash: wire.Hash{1}, Work: big.NewInt(1 << 40)},
		&Status{Work: new(big.Int)},
		&GetHeaders{Locator: []wire.Hash{{1}, {2}}, Max: MaxHeadersPerMsg},
		&GetHeaders{Max: 1},
		&Headers{Headers: []wire.Header{h, h}},
		&Headers{},
		&GetBlocks{Hashes: []wire.Hash{{3}}},
		&Blocks{Blocks: [][]byte{{1, 2, 3}, {}}},
		&Blocks{},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		enc := EncodeMessage(m)
		got, err := DecodeMessage(enc)
		if err != nil {
			t.Fatalf("type %d: %v", m.Type(), err)
		}
		if got.Type() != m.Type() || !bytes.Equal(EncodeMessage(got), enc) {
			t.Fatalf("type %d: round trip changed the message", m.Type())
		}
		var buf bytes.Buffer
		if err := WriteMessage(&buf, m); err != nil {
			t.Fatal(err)
		}
		framed, err := ReadMessage(&buf, MaxMessageBytes)
		if err != nil || !bytes.Equal(EncodeMessage(framed), enc) {
			t.Fatalf("type %d: framing: %v", m.Type(), err)
		}
		if buf.Len() != 0 {
			t.Fatalf("type %d: %d bytes left after the frame", m.Type(), buf.Len())
		}
	}
	st, _ := DecodeMessage(EncodeMessage(&Status{Height: 3, Hash: wire.Hash{9}, Work: big.NewInt(12345)}))
	if s := st.(*Status); s.Height != 3 || s.Hash != (wire.Hash{9}) || s.Work.Int64() != 12345 {
		t.Fatalf("status fields changed: %+v", s)
	}
}

func TestMessageRejects(t *testing.T) {
	count := func(typ MsgType, n uint64) []byte { // a count varint and nothing else
		b := []byte{byte(typ)}
		for ; n >= 0x80; n >>= 7 {
			b = append(b, byte(n)|0x80)
		}
		return append(b, byte(n))
	}
	status := EncodeMessage(&Status{Height: 1, Work: big.NewInt(5)})
	leadingZero := append(append([]byte{}, status[:len(status)-2]...), 2, 0, 5)
	getHeaders := func(max uint32) []byte {
		return EncodeMessage(&GetHeaders{Max: max})
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformedMessage},
		{"unknown type", []byte{0x63}, ErrUnknownMessage},
		{"type zero", []byte{0}, ErrUnknownMessage},
		{"truncated status", status[:10], ErrMalformedMessage},
		{"trailing byte", append(EncodeMessage(&GetStatus{}), 0), ErrMalformedMessage},
		{"non-minimal varint", []byte{byte(MsgGetBlocks), 0x80, 0x00}, ErrMalformedMessage},
		{"work leading zero", leadingZero, ErrMalformedMessage},
		{"work too long", append(append([]byte{}, status[:1+8+32]...), MaxWorkBytes+1), ErrOversizedMessage},
		{"too many block hashes", count(MsgGetBlocks, MaxBlocksPerMsg+1), ErrOversizedMessage},
		{"too many headers", count(MsgHeaders, MaxHeadersPerMsg+1), ErrOversizedMessage},
		{"too many blocks", count(MsgBlocks, MaxBlocksPerMsg+1), ErrOversizedMessage},
		{"locator too long", count(MsgGetHeaders, MaxLocator+1), ErrOversizedMessage},
		{"header count without headers", count(MsgHeaders, 3), ErrMalformedMessage},
		{"hash count without hashes", count(MsgGetBlocks, 100), ErrMalformedMessage},
		{"max zero", getHeaders(0), ErrMalformedMessage},
		{"max over limit", getHeaders(MaxHeadersPerMsg + 1), ErrMalformedMessage},
		{"huge count varint", []byte{byte(MsgBlocks), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ErrOversizedMessage},
		{"body over limit", append([]byte{byte(MsgBlocks)}, make([]byte, MaxMessageBytes)...), ErrOversizedMessage},
	}
	for _, c := range cases {
		_, err := DecodeMessage(c.b)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		var me *MessageError
		if !errors.As(err, &me) {
			t.Errorf("%s: error %T is not a *MessageError", c.name, err)
		}
	}
	frames := []struct {
		name string
		b    []byte
		want error
	}{
		{"frame over limit", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, ErrOversizedMessage},
		{"frame varint overflow", bytes.Repeat([]byte{0xff}, 11), ErrOversizedMessage},
		{"empty frame", []byte{0}, ErrMalformedMessage},
		{"unknown type in frame", []byte{2, 0x63, 0}, ErrUnknownMessage},
	}
	for _, f := range frames {
		if _, err := ReadMessage(bytes.NewReader(f.b), MaxMessageBytes); !errors.Is(err, f.want) {
			t.Errorf("%s: got %v, want %v", f.name, err, f.want)
		}
	}
	// A request frame is held to the request limit.
	var buf bytes.Buffer
	WriteMessage(&buf, &Blocks{Blocks: [][]byte{make([]byte, MaxRequestBytes)}})
	if _, err := ReadMessage(&buf, MaxRequestBytes); !errors.Is(err, ErrOversizedMessage) {
		t.Errorf("large frame under the request limit: %v", err)
	}
	// Transport errors are not the peer's fault.
	if _, err := ReadMessage(bytes.NewReader([]byte{5, 1}), MaxMessageBytes); err == nil || penaltyOf(err) != 0 {
		t.Errorf("truncated frame: %v should carry no penalty", err)
	}
}

func penaltyOf(err error) int { p, _ := penaltyFor(err); return p }

func TestPenaltyForEveryKind(t *testing.T) {
	for err, want := range map[error]int{
		msgErr(ErrMalformedMessage, "x"): PenaltyMalformed,
		msgErr(ErrOversizedMessage, "x"): PenaltyOversized,
		msgErr(ErrUnknownMessage, "x"):   PenaltyUnknownMessage,
		errors.New("stream reset"):       0,
	} {
		if got := penaltyOf(err); got != want {
			t.Errorf("%v: penalty %d, want %d", err, got, want)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(EncodeMessage(m))
	}
	f.Add([]byte{byte(MsgHeaders), 0xd0, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedMessage) && !errors.Is(err, ErrOversizedMessage) && !errors.Is(err, ErrUnknownMessage) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(EncodeMessage(m), b) {
			t.Fatal("decoded message does not re-encode to its input")
		}
		// The framed form decodes the same way.
		var buf bytes.Buffer
		WriteMessage(&buf, m)
		if _, err := ReadMessage(&buf, MaxMessageBytes); err != nil {
			t.Fatalf("framed re-read: %v", err)
		}
	})
}
