package main

import (
	"context"
	"fmt"
	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/chain/wire"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/node"
)

func chainCommand() *cli.Command {
	return &cli.Command{
		Name:  "chain",
		Usage: "inspect and extend the chains of a data directory",
		Description: `Reads the running node on --datadir through its API, or the data directory
itself when no node runs there.

Examples:
   thingchain chain info --datadir ./n1 --json
   thingchain chain generate 10 --chain auction --datadir ./n1     # regtest only
   thingchain chain reconsider 3f1c…9a0b --chain auction --datadir ./n1`,
		Subcommands: []*cli.Command{
			{
				Name:  "info",
				Usage: "show both tips: height, hash, cumulative work, difficulty",
				UsageText: `thingchain chain info [--datadir DIR] [--json]

Example:
   thingchain chain info --datadir ./n1 --json`,
				Flags:  []cli.Flag{networkFlag, dataDirFlag, jsonFlag},
				Action: chainInfo,
			},
			{
				Name:  "generate",
				Usage: "mine N blocks now (regtest only; the node must be stopped)",
				UsageText: `thingchain chain generate N --chain metadata|auction [--datadir DIR]

Example:
   thingchain chain generate 10 --chain auction --datadir ./n1`,
				Flags: []cli.Flag{networkFlag, dataDirFlag, jsonFlag,
					&cli.StringFlag{Name: "chain", Value: "auction", Usage: "metadata or auction"}},
				Action: chainGenerate,
			},
			{
				Name:  "reconsider",
				Usage: "clear the invalid marks of a block, its ancestors and descendants, and re-validate them",
				Description: `Like bitcoind's reconsiderblock: use it when a node marked blocks invalid
wrongly (an older version treated an anchor it could not check yet as
invalid). A block that really breaks a rule is marked again when fork
choice next tries it. Works on a running node (through its API, with the
data directory's cookie) or on a stopped node's data directory.`,
				UsageText: `thingchain chain reconsider HASH [--chain auction|metadata] [--datadir DIR] [--json]

Example:
   thingchain chain reconsider 3f1c…9a0b --chain auction --datadir ./n1`,
				Flags: []cli.Flag{networkFlag, dataDirFlag, jsonFlag,
					&cli.StringFlag{Name: "chain", Value: "auction", Usage: "metadata or auction"}},
				Action: chainReconsider,
			},
		},
	}
}

// chainSummary is chain.info's result, from the running node or read
// from a stopped node's data directory.
type chainSummary = apitypes.ChainInfo

// tipOf renders a tip as the API does.
func tipOf(t chain.TipInfo) apitypes.TipInfo {
	return apitypes.TipInfo{Hash: t.Hash, Height: t.Height, Work: t.WorkHex, Bits: fmt.Sprintf("%08x", t.Bits), Difficulty: t.Difficulty, Time: t.Time}
}

// openForTool opens a stopped node's data directory. Only a command that
// writes blocks (create) makes a new one: a command that reads would
// otherwise answer from an empty chain it just created after a typo in
// --datadir. Close the returned chains with Chains.Close.
func openForTool(c *cli.Context, create bool) (*consensus.Params, *node.Chains, error) {
	dir := dataDir(c)
	if _, err := os.Stat(dir); err != nil && (!create || c.String("network") == "") {
		if !create {
			return nil, nil, fmt.Errorf("no data directory at %s: start a node there first (`thingchain node --datadir %s --network main|test|regtest`), or check --datadir", dir, dir)
		}
		return nil, nil, fmt.Errorf("data directory %s: %w (start a node with --datadir first, or pass --network to create one)", dir, err)
	}
	net, err := node.ResolveNetwork(dir, c.String("network"))
	if err != nil {
		return nil, nil, err
	}
	if err := node.PrepareDataDir(dir, net); err != nil {
		return nil, nil, err
	}
	cs, err := node.OpenChains(dir, net, nil, chain.DefaultStoreOptions(), slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, fmt.Errorf("%w (if a node is running on this directory, stop it first)", err)
	}
	// Holding the directory proves no node runs on it: a node.json left by
	// one that was killed only misleads the next command.
	if node.RemoveStaleInfo(dir) {
		fmt.Fprintf(c.App.ErrWriter, "note: removed the stale %s left by a node that did not stop cleanly\n", node.InfoPath(dir))
	}
	return net, cs, nil
}

// checkDataDirNetwork refuses an explicit --network that disagrees with
// the network recorded in --datadir, also when a running node answers for
// the directory (which would otherwise answer for its own network).
func checkDataDirNetwork(c *cli.Context) error {
	if c.String("network") == "" {
		return nil
	}
	dir := dataDir(c)
	if _, err := os.Stat(filepath.Join(dir, "network")); err != nil {
		return nil // a new directory, or none: the command decides
	}
	_, err := node.ResolveNetwork(dir, c.String("network"))
	if err != nil {
		return fmt.Errorf("%w, or drop --network", err)
	}
	return nil
}

func chainInfo(c *cli.Context) error {
	if err := checkDataDirNetwork(c); err != nil {
		return err
	}
	s, err := chainSummaryFromNode(c)
	if err != nil {
		net, cs, err := openForTool(c, false)
		if err != nil {
			return err
		}
		defer cs.Close()
		s = chainSummary{Network: net.Name, Metadata: tipOf(cs.Metadata.Tip()), Auction: tipOf(cs.Auction.Tip())}
		s.Sync.Metadata = apitypes.SyncProgress{Height: s.Metadata.Height, Target: s.Metadata.Height}
		s.Sync.Auction = apitypes.SyncProgress{Height: s.Auction.Height, Target: s.Auction.Height}
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, s)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "network %s\n", s.Network)
	for _, row := range []struct {
		name string
		t    apitypes.TipInfo
		sync apitypes.SyncProgress
	}{{"metadata", s.Metadata, s.Sync.Metadata}, {"auction", s.Auction, s.Sync.Auction}} {
		fmt.Fprintf(w, "%-9s height %-8d hash %s\n          work 0x%s  difficulty %.4g  bits %s\n", row.name, row.t.Height, row.t.Hash, row.t.Work, row.t.Difficulty, row.t.Bits)
		if sp := row.sync; sp.Syncing {
			fmt.Fprintf(w, "          %s\n", syncLine(sp))
		}
	}
	return nil
}

// syncLine renders a chain's sync progress for people: where it is, the
// rate and the time left at that rate.
func syncLine(sp apitypes.SyncProgress) string {
	pct := 100.0
	if sp.Target > 0 {
		pct = 100 * float64(sp.Height) / float64(sp.Target)
	}
	eta := "ETA unknown"
	if sp.ETASeconds > 0 {
		eta = "ETA " + (time.Duration(sp.ETASeconds * float64(time.Second))).Round(time.Second).String()
	}
	return fmt.Sprintf("syncing  %d of %d (%.1f%%)  %.0f blocks/s  %s  from %d peer(s)", sp.Height, sp.Target, pct, sp.BlocksPerS, eta, sp.Peers)
}

func chainGenerate(c *cli.Context) error {
	if err := exactArgs(c, 1, "N"); err != nil {
		return err
	}
	if err := checkDataDirNetwork(c); err != nil {
		return err
	}
	count, err := strconv.Atoi(c.Args().First())
	if err != nil || count < 1 || count > 100000 {
		return fmt.Errorf("N must be a whole number from 1 to 100000, got %q", c.Args().First())
	}
	kind, err := consensus.ParseChainKind(c.String("chain"))
	if err != nil {
		return err
	}
	if info, err := node.RunningInfo(dataDir(c)); err == nil {
		return generateViaNode(c, info, kind, count)
	}
	net, cs, err := openForTool(c, true)
	if err != nil {
		return err
	}
	defer cs.Close()
	meta, auction := cs.Metadata, cs.Auction
	if !net.MineOnDemand {
		return fmt.Errorf("chain generate works on regtest only; this data directory is on %q", net.Name)
	}
	key, err := node.LoadOrCreateKey(dataDir(c) + "/miner.key")
	if err != nil {
		return err
	}
	target := meta
	if kind == consensus.AuctionChain {
		target = auction
	}
	hashes, err := miner.Generate(context.Background(), target, count, key, key.PubKey().Address(), nil, nil)
	if err != nil {
		return fmt.Errorf("generated %d of %d blocks: %w", len(hashes), count, err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"chain": kind.String(), "blocks": hashes, "tip": target.Tip()})
	}
	fmt.Fprintf(c.App.Writer, "mined %d %s blocks; tip height %d hash %s\n", len(hashes), kind, target.Tip().Height, target.Tip().Hash)
	return nil
}

// chainSummaryFromNode asks a node running on the data directory.
func chainSummaryFromNode(c *cli.Context) (chainSummary, error) {
	var s chainSummary
	info, err := node.RunningInfo(dataDir(c))
	if err != nil {
		return s, err
	}
	client, err := rpc.Dial(c.Context, info.RPC)
	if err != nil {
		return s, err
	}
	defer client.Close()
	return apiclient.New(client).ChainInfo(c.Context)
}

// generateViaNode asks a running node to mine, with its cookie.
func generateViaNode(c *cli.Context, info node.Info, kind consensus.ChainKind, count int) error {
	client, err := rpc.Dial(c.Context, info.RPC, rpc.WithCookieFile(filepath.Join(dataDir(c), ".cookie")))
	if err != nil {
		return err
	}
	defer client.Close()
	hashes, err := apiclient.New(client).Generate(c.Context, kind.String(), count)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"chain": kind.String(), "blocks": hashes})
	}
	fmt.Fprintf(c.App.Writer, "mined %d %s blocks through the running node\n", len(hashes), kind)
	return nil
}

// reconsiderResult is what chain reconsider and admin.reconsiderBlock report.
type reconsiderResult = api.ReconsiderResult

func chainReconsider(c *cli.Context) error {
	if err := exactArgs(c, 1, "HASH"); err != nil {
		return err
	}
	if err := checkDataDirNetwork(c); err != nil {
		return err
	}
	hash, err := wire.ParseHash(c.Args().First())
	if err != nil {
		return fmt.Errorf("HASH: %w (give the 64-hex-digit block hash, as chain info or the node's log print it)", err)
	}
	kind, err := consensus.ParseChainKind(c.String("chain"))
	if err != nil {
		return err
	}
	var res reconsiderResult
	if info, err := node.RunningInfo(dataDir(c)); err == nil {
		client, err := rpc.Dial(c.Context, info.RPC, rpc.WithCookieFile(filepath.Join(dataDir(c), ".cookie")))
		if err != nil {
			return err
		}
		defer client.Close()
		if res, err = apiclient.New(client).ReconsiderBlock(c.Context, kind.String(), hash); err != nil {
			return err
		}
	} else {
		_, cs, err := openForTool(c, false)
		if err != nil {
			return err
		}
		defer cs.Close()
		target := cs.Metadata
		if kind == consensus.AuctionChain {
			target = cs.Auction
		}
		if res, err = api.Reconsider(target, kind, hash); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, res)
	}
	fmt.Fprintf(c.App.Writer, "%s block %s: cleared %d invalid mark(s); tip height %d hash %s\n", res.Chain, res.Hash, res.Cleared, res.Tip.Height, res.Tip.Hash)
	return nil
}
