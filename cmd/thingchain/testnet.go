package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/node"
)

func testnetCommand() *cli.Command {
	return &cli.Command{
		Name:  "testnet",
		Usage: "start a local network of real nodes on 127.0.0.1 (no configuration needed)",
		UsageText: `thingchain testnet [--nodes N] [--miners M] [--dir DIR] [--network test|regtest]

Starts N nodes in this process, each with its own data directory, libp2p host and
API address on 127.0.0.1; the first M mine both chains. Prints each node's API
address and peer ID, then a live summary; Ctrl-C stops them all.

Examples:
   thingchain testnet
   thingchain testnet --nodes 4 --miners 2 --dir ./mynet`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "nodes", Value: 3, Usage: "number of nodes"},
			&cli.IntFlag{Name: "miners", Value: 2, Usage: "how many of the nodes mine (one thread per chain each)"},
			&cli.StringFlag{Name: "dir", Usage: "parent directory for the nodes' data (default: a new temporary directory, removed on exit)"},
			&cli.StringFlag{Name: "network", Value: "test", Usage: "test or regtest"},
			&cli.IntFlag{Name: "devices", Value: 12, Usage: "simulated devices checked in through node0 (0: none)"},
			&cli.IntFlag{Name: "bidders", Value: 3, Usage: "simulated data scientists bidding through node0 (0: none)"},
			&cli.DurationFlag{Name: "bid-every", Value: 15 * time.Second, Usage: "how often each simulated bidder bids"},
			&cli.DurationFlag{Name: "summary-every", Value: 3 * time.Second, Usage: "how often to print the live summary"},
			&cli.DurationFlag{Name: "duration", Usage: "stop by itself after this long (default: run until Ctrl-C)"},
			jsonFlag,
		},
		Action: runTestnet,
	}
}

func runTestnet(c *cli.Context) error {
	n, m := c.Int("nodes"), c.Int("miners")
	if n < 1 || n > 32 {
		return fmt.Errorf("--nodes must be between 1 and 32, got %d", n)
	}
	if m < 0 || m > n {
		return fmt.Errorf("--miners must be between 0 and --nodes (%d), got %d", n, m)
	}
	if d, b := c.Int("devices"), c.Int("bidders"); d < 0 || d > 10000 || b < 0 || b > 100 || c.Duration("bid-every") <= 0 {
		return fmt.Errorf("--devices must be 0 to 10000 (got %d), --bidders 0 to 100 (got %d), --bid-every positive", d, b)
	}
	network := c.String("network")
	if network != "test" && network != "regtest" {
		return fmt.Errorf("--network %q: a local testnet runs on test or regtest", network)
	}
	log, err := newLogger(c, os.Stderr)
	if err != nil {
		return err
	}
	dir := c.String("dir")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "thingchain-testnet-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if d := c.Duration("duration"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}

	// Node 0 starts first; every other node keeps a connection to it (and
	// to its predecessor), so the network is connected whatever starts when.
	nodes := make([]*node.Node, 0, n)
	var bootstrap []string
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		var peers []string
		if len(bootstrap) > 0 {
			peers = append(peers, bootstrap[0])
			if i > 1 {
				peers = append(peers, bootstrap[i-1])
			}
		}
		nd, err := node.New(node.Config{
			Network: network, DataDir: filepath.Join(dir, fmt.Sprintf("node%d", i)),
			Mine: i < m, MineThreads: 2, Logger: log.With("node", i),
			Store: node.TestnetStoreOptions(), RPCAddr: "127.0.0.1:0",
			P2PListen: []string{"/ip4/127.0.0.1/tcp/0"}, Bootstrap: peers,
		})
		if err != nil {
			stop()
			wg.Wait()
			return fmt.Errorf("node %d: %w", i, err)
		}
		nodes = append(nodes, nd)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := nd.Run(ctx); err != nil {
				log.Error("node stopped", "node", i, "err", err)
			}
		}()
		select {
		case <-nd.Ready():
		case <-ctx.Done():
			wg.Wait()
			return nil
		}
		bootstrap = append(bootstrap, nd.P2PAddrs()[0])
		if i == 0 {
			// The marketplace's address comes first: it is what most
			// people starting a testnet want to open.
			fmt.Fprintf(c.App.Writer, "web marketplace: open %s/ in a browser\n", nd.RPCURL)
			fmt.Fprintf(c.App.Writer, "thingchain testnet: %d nodes (%d mining) on network %q, data in %s\n", n, m, network, dir)
		}
		fmt.Fprintf(c.App.Writer, "node%d  api %s  peer %s  mining=%v\n", i, nd.RPCURL, nd.P2P.ID(), i < m)
	}
	mk := &market{out: c.App.Writer, log: log, nodes: nodes}
	wg.Add(1)
	go func() {
		defer wg.Done()
		mk.run(ctx, dir, c.Int("devices"), c.Int("bidders"), c.Duration("bid-every"))
	}()
	every(ctx, c.Duration("summary-every"), func() { printSummary(c, nodes, mk) })
	wg.Wait()
	fmt.Fprintln(c.App.Writer, "testnet stopped")
	return nil
}

// every calls fn at each interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func printSummary(c *cli.Context, nodes []*node.Node, mk *market) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-6s %-24s %-24s %s\n", time.Now().Format("15:04:05"), "node", "metadata height tip", "auction height tip", "peers  mempool")
	for i, nd := range nodes {
		if nd.Metadata == nil {
			continue
		}
		mt, at := nd.Metadata.Tip(), nd.Auction.Tip()
		peers := 0
		if nd.P2P != nil {
			peers = len(nd.P2P.Peers())
		}
		fmt.Fprintf(&b, "          node%-2d %6d %s… %6d %s… %5d  %7d\n", i, mt.Height, mt.Hash.String()[:12], at.Height, at.Hash.String()[:12], peers, nd.AuctionPool.Stats().Count)
	}
	if line := mk.summaryLine(); line != "" {
		b.WriteString(line + "\n")
	}
	fmt.Fprint(c.App.Writer, b.String())
}
