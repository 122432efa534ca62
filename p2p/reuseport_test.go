package p2p

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
)

// TestListenPortNotShared: a second node asked to listen on a TCP port
// another node holds fails to start, naming the address, instead of
// binding it too with SO_REUSEPORT and splitting incoming connections.
func TestListenPortNotShared(t *testing.T) {
	first := newTestNode(t, func(c *Config) { c.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"} })
	var held string
	for _, a := range first.p2p.host.Addrs() {
		if port, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			held = "/ip4/127.0.0.1/tcp/" + port
		}
	}
	if held == "" {
		t.Fatal("first node listens on no TCP port")
	}
	var handles []ChainHandle
	for _, k := range kinds {
		handles = append(handles, ChainHandle{Chain: first.chain(k), TxPool: first.pools[k]})
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	second, err := New(ctx, Config{NetworkName: "regtest", BanDuration: time.Hour, SyncInterval: 2 * time.Second,
		IdentityPath: filepath.Join(dir, "p2p.key"), Chains: handles, ListenAddrs: []string{held}})
	if err == nil {
		second.Close()
		t.Fatalf("a second node listened on %s, which the first node holds", held)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(held, "/ip4/127.0.0.1")) && !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("error does not name the address or the cause: %v", err)
	}
}
