package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/node"
)

var (
	networkFlag = &cli.StringFlag{Name: "network", Aliases: []string{"n"}, Usage: "main, test or regtest (default: the data directory's network, or test for a new one)"}
	dataDirFlag = &cli.StringFlag{Name: "datadir", Aliases: []string{"d"}, Usage: "data directory (default ~/.thingchain/<network>)"}
)

// dataDir resolves --datadir, defaulting by network.
func dataDir(c *cli.Context) string {
	if d := c.String("datadir"); d != "" {
		return d
	}
	network := c.String("network")
	if network == "" {
		network = "test"
	}
	return node.DefaultDataDir(network)
}

// commandNetwork is the network a client command works on: --network
// when given; else the network recorded in --datadir, so `--datadir ./n1`
// alone is enough for a regtest node's directory; else the flag's default
// (test). An explicit --network that disagrees with --datadir's is refused
// with both names.
func commandNetwork(c *cli.Context) (*consensus.Params, error) {
	requested := ""
	if c.IsSet("network") {
		requested = c.String("network")
	}
	if d := c.String("datadir"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "network")); err == nil {
			net, err := node.ResolveNetwork(d, requested)
			if err != nil {
				return nil, fmt.Errorf("%w, or drop --network", err)
			}
			return net, nil
		}
	}
	if requested == "" {
		requested = c.String("network") // the flag's own default, if it has one
	}
	if requested == "" {
		requested = "test"
	}
	return consensus.ForNetwork(requested)
}

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "run a full node of both chains",
		UsageText: `thingchain node [--network main|test|regtest] [--datadir DIR] [--mine] [--mine-threads N]

Runs both chains until Ctrl-C (SIGINT) or SIGTERM; a restart resumes at the same tips.

Examples:
   thingchain node --network regtest --mine --datadir ./n1
   thingchain node --network test --mine --mine-threads 2
   thingchain node --network test --rpc 0.0.0.0:19741 --rpc-vhosts mynode.lan
   thingchain node --network test --bootstrap /ip4/127.0.0.1/tcp/19740/p2p/12D3KooW...`,
		Flags: []cli.Flag{
			networkFlag, dataDirFlag,
			&cli.BoolFlag{Name: "json", Usage: "write the log as JSON lines (same as the global --log-format json)"},
			&cli.BoolFlag{Name: "mine", Usage: "mine both chains"},
			&cli.IntFlag{Name: "mine-threads", Value: 2, Usage: "mining threads, split between the two chains"},
			&cli.StringFlag{Name: "reward", Usage: "address that receives mining fees (default: the node's miner key)"},
			&cli.StringSliceFlag{Name: "listen", Usage: "libp2p listen multiaddr, repeatable (default /ip4/0.0.0.0/tcp/PORT and QUIC on the network's P2P port; \"off\" for no network)"},
			&cli.StringSliceFlag{Name: "bootstrap", Usage: "peer to keep connected to, as /ip4/HOST/tcp/PORT/p2p/PEERID; repeatable"},
			&cli.StringSliceFlag{Name: "allow", Usage: "admit only these peer IDs (permissioned networks); repeatable"},
			&cli.BoolFlag{Name: "mdns", Usage: "discover peers on the local network with mDNS"},
			&cli.StringFlag{Name: "rpc", Usage: "API listen address, e.g. 127.0.0.1:29741, 127.0.0.1:0 for any free port, or off (default: 127.0.0.1 and the network's API port)"},
			&cli.StringSliceFlag{Name: "rpc-vhosts", Usage: "extra host names the API answers to in the Host header, comma-separated or repeated, e.g. mynode.lan (loopback names and IP addresses always work; \"*\" turns this DNS-rebinding check off)"},
			&cli.StringSliceFlag{Name: "rpc-origins", Usage: "extra browser origins allowed to call the API, e.g. http://localhost:5173 (pages the node serves itself are always allowed)"},
			&cli.StringFlag{Name: "pprof", Usage: "serve Go runtime profiles (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060 (off by default)"},
		},
		Action: func(c *cli.Context) error {
			// Signals are caught from the start, so a stop request during
			// start-up still shuts down cleanly.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if c.Bool("json") { // a node's output is its log
				if err := c.Set("log-format", "json"); err != nil {
					return err
				}
			}
			log, err := newLogger(c, os.Stderr)
			if err != nil {
				return err
			}
			network := c.String("network")
			dir := dataDir(c)
			if network == "" {
				if _, err := node.ResolveNetwork(dir, ""); err != nil {
					network = "test"
				}
			}
			if c.Int("mine-threads") < 1 {
				return cli.Exit("--mine-threads must be at least 1", 2)
			}
			if addr := c.String("pprof"); addr != "" {
				if _, err := servePprof(ctx, addr, log); err != nil {
					return cli.Exit(err.Error(), 2)
				}
			}
			n, err := node.New(node.Config{
				Network: network, DataDir: dir, Mine: c.Bool("mine"), MineThreads: c.Int("mine-threads"),
				Reward: c.String("reward"), Logger: log, RPCAddr: c.String("rpc"),
				RPCVirtualHosts: c.StringSlice("rpc-vhosts"), RPCOrigins: c.StringSlice("rpc-origins"),
				P2PListen: c.StringSlice("listen"), Bootstrap: c.StringSlice("bootstrap"), Allowlist: c.StringSlice("allow"), MDNS: c.Bool("mdns"),
			})
			if err != nil {
				return err
			}
			log.Info("node started", "network", n.Net.Name, "datadir", dir,
				"metadata_height", n.Metadata.Tip().Height, "auction_height", n.Auction.Tip().Height)
			return n.Run(ctx)
		},
	}
}
