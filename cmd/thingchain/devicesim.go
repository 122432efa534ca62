package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/node"
)

func devicesimCommand() *cli.Command {
	return &cli.Command{
		Name:  "devicesim",
		Usage: "run simulated IoT devices that check in to a running node and serve their data",
		UsageText: `thingchain devicesim [--devices N] [--kinds fridge,tv,...] [--node URL | --datadir DIR] [--dir D] [--json]

Joins a running test or regtest network with N simulated devices (kinds
round-robin: ` + fmt.Sprint(devicesim.KindNames()) + `). It admits each kind's
well-known dev OEM and publishes its model if needed, creates (or reuses, from
--dir) each device's key and its owner's key, has the OEM attest the device,
signs the owner's enable and submits the check-in, then waits until every
device is on chain. Each device serves its W3C WoT Thing Description and its
data on 127.0.0.1; data needs an access key from a won auction. Ctrl-C stops.

The devices deliver keys by themselves: at each new auction-chain block the
simulator looks at every device's auctions and, for each paid one, saves a
fresh access key in --dir (DEVICE.keys.json) and posts it encrypted to the
winner (fee --delivery-fee, paid by the device's account, which is funded
from the test faucet at start). A winner then fetches data with
"Authorization: Bearer <auction ID>.<access key>" during its access period
(docs/device-api.md, "Data access").

On regtest, blocks are mined on demand: with the node's cookie (--datadir) the
simulator asks the node for metadata blocks while it waits (--generate).

Examples:
   thingchain devicesim --devices 50 --datadir ./n1 --network regtest
   thingchain devicesim --devices 10 --kinds fridge,car --node http://127.0.0.1:18445 --json`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "devices", Value: 50, Usage: "number of simulated devices"},
			&cli.StringFlag{Name: "kinds", Usage: "comma-separated kinds to simulate (default: all)"},
			&cli.StringFlag{Name: "dir", Usage: "where device and owner keys are kept, so a restart reuses the devices (default ~/.thingchain/devicesim/<network>)"},
			nodeURLFlag, dataDirFlag,
			&cli.StringFlag{Name: "network", Aliases: []string{"n"}, Value: "test", Usage: "network whose default API port to use without --node or --datadir"},
			&cli.BoolFlag{Name: "generate", Value: true, Usage: "on regtest, ask the node (needs its cookie) for metadata blocks while waiting"},
			&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "how long each stage waits for its transactions to be mined"},
			&cli.DurationFlag{Name: "duration", Usage: "stop by itself after this long (default: run until Ctrl-C)"},
			&cli.StringFlag{Name: "delivery-fee", Value: fmt.Sprintf("%du", devicesim.DefaultDeliveryFee), Usage: "fee of each key delivery, " + amountUsage},
			&cli.DurationFlag{Name: "auction-poll", Value: 2 * time.Second, Usage: "how often to look for a new auction-chain block (and keys to deliver) besides the node's newHeads events"},
			jsonFlag,
		},
		Action: runDevicesim,
	}
}

func runDevicesim(c *cli.Context) error {
	if c.NArg() != 0 {
		return fmt.Errorf("devicesim takes no arguments, got %q: see `thingchain devicesim --help`", c.Args().Slice())
	}
	n := c.Int("devices")
	if n < 1 || n > 10000 {
		return fmt.Errorf("--devices must be between 1 and 10000, got %d", n)
	}
	kinds, err := devicesim.ParseKinds(c.String("kinds"))
	if err != nil {
		return fmt.Errorf("--kinds: %w", err)
	}
	deliveryFee, err := amountFlag(c, "delivery-fee")
	if err != nil {
		return err
	}
	log, err := newLogger(c, os.Stderr)
	if err != nil {
		return err
	}
	dialNet, err := commandNetwork(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if d := c.Duration("duration"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	client, err := dialAPI(c, dialNet)
	if err != nil {
		return err
	}
	net, err := devicesim.NodeNetwork(ctx, client)
	if err != nil {
		return fmt.Errorf("%w (is a node running? pass --node URL or --datadir DIR)", err)
	}
	if net.Name == "main" {
		return errors.New("devicesim joins test and regtest networks only: main has no dev OEM keys")
	}
	dir := c.String("dir")
	if dir == "" {
		dir = filepath.Join(filepath.Dir(node.DefaultDataDir(net.Name)), "devicesim", net.Name)
	}
	cfg := devicesim.Config{
		Client: client, Net: net, Dir: dir, Devices: n, Kinds: kinds,
		ConfirmTimeout: c.Duration("timeout"), Logger: log,
		DeliveryFee: deliveryFee, AuctionPoll: c.Duration("auction-poll"),
	}
	if cfg.AuctionPoll <= 0 {
		return fmt.Errorf("--auction-poll must be positive, got %s", cfg.AuctionPoll)
	}
	// Key deliveries start at each newHeads event when the node's
	// WebSocket answers; --auction-poll stays the backstop.
	if u, opts, err := apiEndpoint(c, dialNet); err == nil {
		if rest, ok := strings.CutPrefix(u, "http"); ok {
			if ws, err := rpc.Dial(ctx, "ws"+rest, opts...); err == nil {
				defer ws.Close()
				cfg.Heads = ws
			} else {
				log.Warn("no WebSocket to the node: delivering keys on --auction-poll alone", "err", err)
			}
		}
	}
	if net.MineOnDemand && c.Bool("generate") {
		cfg.Generate = onceFailing(devicesim.AdminGenerate(client), func(err error) {
			log.Warn("cannot ask the node for blocks (pass --datadir of the node for its cookie, or run the node with --mine); waiting for miners", "err", err)
		})
	}
	sim, err := devicesim.New(cfg)
	if err != nil {
		return err
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	sum := sim.Summary()
	if c.Bool("json") {
		if err := printJSON(c.App.Writer, sum); err != nil {
			return err
		}
	} else {
		printDevicesimSummary(c, sum, dir)
	}
	<-ctx.Done()
	if !c.Bool("json") {
		fmt.Fprintln(c.App.Writer, "devicesim stopped")
	}
	return nil
}

// onceFailing wraps generate so that once the node refuses it (no
// cookie: unauthorized; or not regtest) it reports that once and is not
// called again: the simulator then waits for miners.
func onceFailing(generate func(context.Context) error, report func(error)) func(context.Context) error {
	var refused atomic.Bool
	return func(ctx context.Context) error {
		if refused.Load() {
			return nil
		}
		err := generate(ctx)
		var rerr *rpc.Error
		if err != nil && errors.As(err, &rerr) && rerr.Code != rpc.CodeRateLimited && !refused.Swap(true) {
			report(err)
			return nil
		}
		return err
	}
}

func printDevicesimSummary(c *cli.Context, sum devicesim.Summary, dir string) {
	w := c.App.Writer
	fmt.Fprintf(w, "%d simulated devices checked in on %s (keys in %s)\n", sum.Devices, sum.Network, dir)
	kinds := make([]string, 0, len(sum.PerKind))
	for k := range sum.PerKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-13s %d\n", k, sum.PerKind[k])
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tDEVICE\tREGION\tDATA ENDPOINT")
	for _, a := range sum.Agents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Kind, a.Device, a.Region, a.DataURL)
	}
	tw.Flush()
	fmt.Fprintln(w, "each device's Thing Description is public at .../things/DEVICE/td (--json lists the URLs)")
	fmt.Fprintln(w, "serving device data to auction winners (Authorization: Bearer AUCTION-ID.ACCESS-KEY); keys are delivered automatically; Ctrl-C stops")
}
