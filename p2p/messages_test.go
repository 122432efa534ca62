package p2p

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
)

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func sampleMessages() []*Message {
	h := wire.Header{Version: 1, Height: 7, Bits: 0x207fffff}
	return []*Message{
		{Type: msgGetStatus},
		{Type: msgStatus, Status: Status{Height: 9, Hash: wire.Hash{1}, Work: []byte{1, 2}}},
		{Type: msgGetHeaders, Locator: []wire.Hash{{1}, {2}}, Max: 2000},
		{Type: msgHeaders, Headers: []wire.Header{h, h}},
		{Type: msgGetBlocks, Hashes: []wire.Hash{{3}}},
		{Type: msgBlocks, Blocks: [][]byte{{1, 2, 3}, {}}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		enc := m.Encode()
		got, err := DecodeMessage(enc)
		if err != nil {
			t.Fatalf("type %d: %v", m.Type, err)
		}
		if !bytes.Equal(got.Encode(), enc) {
			t.Fatalf("type %d: round trip changed the message", m.Type)
		}
		var buf bytes.Buffer
		writeMessage(&buf, m)
		framed, err := readMessage(&buf)
		if err != nil || !bytes.Equal(framed.Encode(), enc) {
			t.Fatalf("type %d: framing: %v", m.Type, err)
		}
	}
}

func TestMessageRejects(t *testing.T) {
	tooMany := []byte{msgGetBlocks}
	tooMany = append(tooMany, 0xff, 0x01) // 255 hashes > MaxBlocksPerMsg
	for name, b := range map[string][]byte{
		"empty":        nil,
		"unknown type": {0x63},
		"truncated":    sampleMessages()[1].Encode()[:10],
		"trailing":     append(sampleMessages()[0].Encode(), 0),
		"over limit":   tooMany,
	} {
		if _, err := DecodeMessage(b); !errors.Is(err, ErrBadMessage) {
			t.Errorf("%s: got %v, want ErrBadMessage", name, err)
		}
	}
	huge := bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}) // frame claims 4 GiB
	if _, err := readMessage(huge); !errors.Is(err, ErrBadMessage) {
		t.Errorf("oversized frame: %v", err)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(m.Encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Encode(), b) {
			t.Fatal("decoded message does not re-encode to its input")
		}
	})
}
