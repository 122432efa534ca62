package nodetest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/node"
)

// Start runs a node until the test ends and returns it once its API is
// up. Empty fields of cfg get test defaults: regtest, a temporary data
// directory, the API on a free loopback port, libp2p on a free loopback
// port, and a discarding logger.
func Start(t testing.TB, cfg node.Config) *node.Node {
	t.Helper()
	if cfg.Network == "" {
		cfg.Network = "regtest"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.RPCAddr == "" {
		cfg.RPCAddr = "127.0.0.1:0"
	}
	if len(cfg.P2PListen) == 0 {
		cfg.P2PListen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-n.Ready():
	case <-done:
		t.Fatal("node stopped during start-up")
	case <-time.After(20 * time.Second):
		t.Fatal("node API did not start within 20 s")
	}
	return n
}

// Client dials a node's API with its admin token; it closes when the test
// ends.
func Client(t testing.TB, ctx context.Context, n *node.Node) *rpc.Client {
	t.Helper()
	c, err := rpc.Dial(ctx, n.RPCURL, rpc.WithToken(n.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
