package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/node"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "load generator: signed transfers and batch bids at a target rate; reports throughput, latency, CPU and memory",
		UsageText: `thingchain bench [--nodes N | --node URL...] [--duration D] [--rate TX/S] [--json]

Starts a local network of N node processes on 127.0.0.1 (or drives running nodes
given with --node), funds many accounts from the faucet, checks simulated devices
in, then for --duration sends signed transfers at --rate from the accounts
(spread over the nodes) and batch bids from --bidders simulated data scientists
(spread over the nodes other than node0, through which the devices check in).
Reports confirmed transfers/s, submit-to-confirm latency (p50/p95/p99), bids/s,
bid-to-key-delivery latency (p50/p95), and each local node's CPU and memory, next
to the all-core signature verify rate measured by this run (the ceiling of a
node's transaction intake). Set-up time is not counted.

Examples:
   thingchain bench --nodes 4 --duration 60s
   thingchain bench --nodes 4 --duration 60s --rate 3000 --json
   thingchain bench --node http://127.0.0.1:29741 --node http://127.0.0.1:29751 --cookie ~/.thingchain/regtest/.cookie`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "nodes", Value: 4, Usage: "local node processes to start (ignored with --node)"},
			&cli.IntFlag{Name: "miners", Value: 1, Usage: "how many of the local nodes mine"},
			&cli.StringFlag{Name: "network", Value: "regtest", Usage: "network of the local nodes: regtest (one block per second per chain) or test (5 s and 10 s blocks)"},
			&cli.StringSliceFlag{Name: "node", Usage: "API URL of a running node to drive instead of starting nodes; repeatable (test networks only: accounts are funded by the faucet)"},
			&cli.StringFlag{Name: "cookie", Usage: "with --node: the first node's cookie file, so the bench is not rate limited (it is already exempt on local nodes it starts)"},
			&cli.DurationFlag{Name: "duration", Value: 60 * time.Second, Usage: "how long to measure (set-up not counted)"},
			&cli.Float64Flag{Name: "rate", Value: 2000, Usage: "target signed transfers per second, over all nodes (0: none)"},
			&cli.IntFlag{Name: "accounts", Value: 500, Usage: "funded accounts sending the transfers (a mempool holds at most 64 of an account's transactions ahead of the chain, so rate ÷ accounts × confirmation time must stay under 64)"},
			&cli.IntFlag{Name: "workers", Value: 8, Usage: "concurrent submitters (each sends tx.submitBatch calls of up to 500 transfers, signed before the window, to one node)"},
			&cli.IntFlag{Name: "devices", Value: 10, Usage: "simulated devices to check in and auction (0: no bids)"},
			&cli.IntFlag{Name: "bidders", Value: 4, Usage: "simulated bidders (0: no bids)"},
			&cli.DurationFlag{Name: "bid-every", Value: time.Second, Usage: "how often each bidder bids (one batch on the devices of --bid-devices it has no open bid on)"},
			&cli.StringFlag{Name: "bid-via", Value: "others", Usage: "which nodes the bidders use: others (every node but node0, the devices' node; node0 when there is no other) or node0"},
			&cli.IntFlag{Name: "bid-devices", Value: 20, Usage: "devices, drawn at random, each bidder bids on per round (0: every enabled device)"},
			&cli.DurationFlag{Name: "setup-timeout", Value: 3 * time.Minute, Usage: "limit on starting nodes, funding accounts and checking devices in"},
			&cli.StringFlag{Name: "dir", Usage: "parent directory of the local nodes' data (default: a temporary directory, removed on exit)"},
			&cli.StringFlag{Name: "profile", Usage: "write CPU profiles of the measurement window to this directory: NAME.cpu.pprof for each local node (started with --pprof on loopback) and bench.cpu.pprof for the bench itself; read with go tool pprof"},
			jsonFlag,
		},
		Action: runBench,
	}
}

// benchReport is what bench prints (--json: this object).
type benchReport struct {
	Network               string           `json:"network"`
	Nodes                 int              `json:"nodes"`
	LocalProcesses        bool             `json:"local_processes"`
	DurationS             float64          `json:"duration_s"`
	TargetTxPerS          float64          `json:"target_tx_per_s"`
	Accounts              int              `json:"accounts"`
	SubmittedTx           int64            `json:"submitted_tx"`
	SubmittedTxPerS       float64          `json:"submitted_tx_per_s"`
	SubmitErrors          int64            `json:"submit_errors"`
	SubmitErrorKinds      map[string]int64 `json:"submit_error_kinds,omitempty"`
	ConfirmedTx           int64            `json:"confirmed_tx"`
	ConfirmedTxPerS       float64          `json:"confirmed_tx_per_s"`
	UnconfirmedTx         int              `json:"unconfirmed_tx"` // submitted, not in a block by the end of the drain
	ConfirmSamples        int              `json:"confirm_samples"`
	ConfirmP50Ms          float64          `json:"confirm_p50_ms"`
	ConfirmP95Ms          float64          `json:"confirm_p95_ms"`
	ConfirmP99Ms          float64          `json:"confirm_p99_ms"`
	AuctionBlocks         int64            `json:"auction_blocks"`
	Devices               int              `json:"devices"`
	DeviceCheckInS        float64          `json:"device_checkin_s"` // bootstrap (OEMs, models) to every device checked in
	CheckInsPerS          float64          `json:"checkins_per_s"`   // devices ÷ device_checkin_s
	AuctionsSettled       int              `json:"auctions_settled"` // closed and settled inside the window
	AuctionsSettledPerMin float64          `json:"auctions_settled_per_min"`
	AuctionsByStatus      map[string]int   `json:"auctions_by_status,omitempty"` // the settled ones, by status now
	Bidders               int              `json:"bidders"`
	BidVia                string           `json:"bid_via"`
	Bids                  int64            `json:"bids"`
	BidTxs                int64            `json:"bid_txs"`
	BidsPerS              float64          `json:"bids_per_s"`
	KeysDelivered         int64            `json:"keys_delivered"`
	BidToKeySamples       int              `json:"bid_to_key_samples"`
	BidToKeyP50S          *float64         `json:"bid_to_key_p50_s"` // null: no key delivered yet
	BidToKeyP95S          *float64         `json:"bid_to_key_p95_s"`
	Cores                 int              `json:"cores"`
	VerifySigsPerS        float64          `json:"verify_sigs_per_s_all_cores"` // the higher of the two measurements below
	VerifyBeforeSigsPerS  float64          `json:"verify_sigs_per_s_before"`
	VerifyAfterSigsPerS   float64          `json:"verify_sigs_per_s_after"`
	GoalTxPerS            float64          `json:"goal_tx_per_s"`         // 70% of (all-core verify rate ÷ nodes)
	RatioToVerifyShare    float64          `json:"ratio_to_verify_share"` // confirmed_tx_per_s ÷ (verify rate ÷ nodes); goal ≥ 0.7
	// CPU cost per transaction, less sensitive to other load on the
	// machine than the rates: the node processes' CPU time in the window
	// per submitted transaction and node, against the CPU time of one
	// signature verification in this process (VerifyBatch, no cache);
	// their quotient is the share of a node's CPU that is the one
	// verification each transaction needs (1 would be all of it).
	NodeCPUUsPerTx       float64          `json:"node_cpu_us_per_tx"`
	VerifyCPUUsPerSig    float64          `json:"verify_cpu_us_per_sig"`
	VerifyShareOfNodeCPU float64          `json:"verify_share_of_node_cpu"`
	LoadAvgStart         float64          `json:"load_avg_1m_start"`
	LoadAvgEnd           float64          `json:"load_avg_1m_end"`
	NodeStats            []benchNodeStats `json:"node_stats"`
	Bench                *benchNodeStats  `json:"bench_process,omitempty"`
}

type benchNodeStats struct {
	Name       string  `json:"name"`
	RPC        string  `json:"rpc,omitempty"`
	PID        int     `json:"pid,omitempty"`
	CPUPercent float64 `json:"cpu_percent"` // of one core, averaged over the window
	RSSMiB     float64 `json:"rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	Measured   bool    `json:"measured"` // false: not a process on this machine
}

func runBench(c *cli.Context) error {
	targets := c.StringSlice("node")
	n, miners := c.Int("nodes"), c.Int("miners")
	switch {
	case len(targets) == 0 && (n < 1 || n > 16):
		return fmt.Errorf("--nodes must be 1 to 16, got %d", n)
	case len(targets) == 0 && (miners < 1 || miners > n):
		return fmt.Errorf("--miners must be 1 to --nodes (%d), got %d: someone has to mine", n, miners)
	case c.Duration("duration") <= 0:
		return fmt.Errorf("--duration must be positive, e.g. 60s")
	case c.Float64("rate") < 0 || c.Float64("rate") > 1e6:
		return fmt.Errorf("--rate must be 0 to 1,000,000 transfers per second, got %v", c.Float64("rate"))
	case c.Int("accounts") < 1 || c.Int("accounts") > 10000:
		return fmt.Errorf("--accounts must be 1 to 10000, got %d", c.Int("accounts"))
	case c.Int("workers") < 1 || c.Int("workers") > 256:
		return fmt.Errorf("--workers must be 1 to 256, got %d", c.Int("workers"))
	case c.Int("devices") < 0 || c.Int("devices") > 10000 || c.Int("bidders") < 0 || c.Int("bidders") > 1000:
		return fmt.Errorf("--devices must be 0 to 10000 (got %d) and --bidders 0 to 1000 (got %d)", c.Int("devices"), c.Int("bidders"))
	case c.Duration("bid-every") <= 0:
		return fmt.Errorf("--bid-every must be positive, e.g. 1s")
	}
	for _, u := range targets {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("--node %q: give the API URL, e.g. http://127.0.0.1:29741", u)
		}
	}
	if v := c.String("bid-via"); v != "others" && v != "node0" {
		return fmt.Errorf("--bid-via %q: use others or node0", v)
	}
	network := c.String("network")
	if network != "regtest" && network != "test" {
		return fmt.Errorf("--network %q: bench runs local networks on regtest or test", network)
	}
	if d := c.String("profile"); d != "" {
		// Checked now, not after minutes of set-up.
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("--profile %q: cannot create the directory for the profiles: %v", d, err)
		}
	}
	log, err := newLogger(c, os.Stderr)
	if err != nil {
		return err
	}
	progress := func(format string, args ...any) {
		fmt.Fprintf(c.App.ErrWriter, "bench: "+format+"\n", args...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := &benchReport{Cores: runtime.GOMAXPROCS(0), TargetTxPerS: c.Float64("rate"), Accounts: c.Int("accounts"),
		LoadAvgStart: loadAverage()}
	progress("measuring this machine's all-core signature verify rate…")
	var verifyCPU [2]time.Duration
	rep.VerifyBeforeSigsPerS, verifyCPU[0] = measureVerifyRate(ctx, 4096)
	progress("verify rate: %.0f signatures/s on %d cores (load average %.1f)", rep.VerifyBeforeSigsPerS, rep.Cores, rep.LoadAvgStart)

	dir := c.String("dir")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "thingchain-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}

	setupCtx, cancelSetup := context.WithTimeout(ctx, c.Duration("setup-timeout"))
	defer cancelSetup()
	var nodes []*benchNode
	if len(targets) == 0 {
		progress("starting %d node processes (%d mining) on network %s in %s…", n, miners, network, dir)
		nodes, err = startLocalNodes(setupCtx, dir, network, n, miners, c.String("profile") != "", progress)
		if err != nil {
			return err
		}
		defer stopLocalNodes(nodes)
		rep.LocalProcesses = true
	} else {
		if nodes, err = remoteNodes(setupCtx, targets, c.String("cookie")); err != nil {
			return err
		}
	}
	rep.Nodes = len(nodes)

	clients := make([]*rpc.Client, len(nodes))
	batchers := make([]*batchCaller, len(nodes))
	for i, bn := range nodes {
		if clients[i], err = rpc.Dial(ctx, bn.RPC, rpc.WithToken(bn.Cookie)); err != nil {
			return err
		}
		defer clients[i].Close()
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		batchers[i] = &batchCaller{url: bn.RPC, token: bn.Cookie, http: &http.Client{Transport: tr, Timeout: time.Minute}}
	}
	var info api.ChainInfoResult
	if err := clients[0].Call(setupCtx, "chain.info", nil, &info); err != nil {
		return err
	}
	net, err := consensus.ForNetwork(info.Network)
	if err != nil {
		return err
	}
	rep.Network = net.Name
	if len(nodes) > 1 {
		progress("waiting for the nodes to connect…")
		if err := waitPeers(setupCtx, clients); err != nil {
			return err
		}
	}

	ws, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(nodes[0].RPC, "http"), rpc.WithToken(nodes[0].Cookie))
	if err != nil {
		return err
	}
	defer ws.Close()
	tracker := newConfirmTracker(clients[0], ws)
	trackCtx, stopTracker := context.WithCancel(ctx)
	defer stopTracker()
	trackErr := make(chan error, 1)
	go func() { trackErr <- tracker.run(trackCtx) }()

	// Set-up: accounts (transfer senders and bidders) and devices, at once.
	bidders := c.Int("bidders")
	if c.Int("devices") == 0 {
		bidders = 0
	}
	var sim interface{ Close() error }
	var simErr error
	var wg sync.WaitGroup
	if bidders > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			progress("checking in %d simulated devices through %s…", c.Int("devices"), nodes[0].Name)
			s, err := startDevices(setupCtx, nodes[0].RPC, nodes[0].Cookie, dir, net, c.Int("devices"), log)
			if err != nil {
				simErr = err
				return
			}
			sim = s
			rep.DeviceCheckInS = s.CheckInTook().Seconds()
			progress("%d devices checked in in %.1f s", c.Int("devices"), rep.DeviceCheckInS)
		}()
	}
	accts, err := fundAccounts(setupCtx, clients[0], tracker, net, c.Int("accounts")+bidders, 100_000*ledger.Coin, progress)
	wg.Wait()
	if sim != nil {
		defer sim.Close()
	}
	if err != nil {
		return err
	}
	if simErr != nil {
		return simErr
	}
	rep.Devices, rep.Bidders, rep.BidVia = c.Int("devices"), bidders, c.String("bid-via")
	if bidders == 0 {
		rep.Devices = 0
	}
	senders, bidderAccts := accts[:c.Int("accounts")], accts[c.Int("accounts"):]
	for _, a := range senders {
		a.stale = true // the faucet's transfer does not use their nonce, but ask once anyway
	}

	// The measurement window.
	load := &transferLoad{net: net, rate: c.Float64("rate"), accounts: senders, targets: batchers, clients: clients, tracker: tracker}
	bids := &bidLoad{net: net, url: nodes[0].RPC, token: nodes[0].Cookie, dir: dir, interval: c.Duration("bid-every"), perRound: c.Int("bid-devices"), log: log}
	for _, bn := range nodes[1:] {
		if bn.Cookie != "" && c.String("bid-via") == "others" { // a node whose rate limits the bench is exempt from
			bids.nodes = append(bids.nodes, bn)
		}
	}
	if len(bids.nodes) == 0 {
		bids.nodes = nodes[:1]
	}
	duration := c.Duration("duration")
	if err := load.presign(setupCtx, duration, progress); err != nil {
		return err
	}
	progress("measuring for %s: %.0f transfers/s from %d accounts over %d nodes, %d bidders on %d devices…",
		duration, load.rate, len(senders), len(nodes), bidders, rep.Devices)
	for _, bn := range nodes {
		bn.cpu = readProc(bn.PID)
	}
	self := readProc(0)
	runCtx, stopRun := context.WithTimeout(ctx, duration)
	defer stopRun()
	profiles, err := startProfiles(runCtx, c.String("profile"), nodes, duration, progress)
	if err != nil {
		return err
	}
	tracker.setCounting(true)
	bids.counting.Store(true)
	startHeight := tracker.height.Load()
	start := time.Now()
	var loadWG sync.WaitGroup
	loadWG.Add(2)
	go func() { defer loadWG.Done(); load.run(runCtx, c.Int("workers")) }()
	go func() { defer loadWG.Done(); bids.run(runCtx, bidderAccts) }()
	exits := watchExits(nodes)
	var runErr error
	func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case bn := <-exits:
				runErr = fmt.Errorf("%w: %s (%s)", errNodeGone, bn.Name, lastLines(filepath.Join(bn.Dir, "node.log"), 5))
				stopRun()
				return
			case err := <-trackErr:
				runErr = fmt.Errorf("following the auction chain: %w", err)
				stopRun()
				return
			case <-t.C:
				el := time.Since(start).Seconds()
				q, _ := tracker.latency.quantiles(0.5)
				progress("%3.0fs  submitted %d (%.0f/s)  confirmed %d (%.0f/s)  confirm p50 %s  bids %d  keys %d  pending %d",
					el, load.submitted.Load(), float64(load.submitted.Load())/el, tracker.confirmed.Load(), float64(tracker.confirmed.Load())/el,
					q[0].Round(time.Millisecond), bids.bids.Load(), bids.keys.Load(), tracker.outstanding())
			}
		}
	}()
	elapsed := time.Since(start)
	tracker.setCounting(false)
	bids.counting.Store(false)
	endHeight := tracker.height.Load()
	ends := make([]procSample, len(nodes))
	for i, bn := range nodes {
		ends[i] = readProc(bn.PID)
	}
	selfEnd := readProc(0)
	loadWG.Wait()
	profiles()
	if runErr != nil {
		return runErr
	}
	rep.VerifyAfterSigsPerS, verifyCPU[1] = measureVerifyRate(ctx, 4096)
	if verifyCPU[0] > 0 && verifyCPU[1] > 0 { // the lower: less disturbed by other load
		rep.VerifyCPUUsPerSig = float64(min(verifyCPU[0], verifyCPU[1]).Nanoseconds()) / 1000
	}
	rep.VerifySigsPerS = max(rep.VerifyBeforeSigsPerS, rep.VerifyAfterSigsPerS)
	if bidders > 0 {
		if rep.AuctionsByStatus, err = bids.settledBetween(ctx, bidderAccts, startHeight, endHeight); err != nil {
			return fmt.Errorf("counting settled auctions: %w", err)
		}
		for _, n := range rep.AuctionsByStatus {
			rep.AuctionsSettled += n
		}
	}
	// Drain: give transfers submitted near the end a few blocks to
	// confirm, so the latency percentiles are not biased towards the
	// early ones. They do not count towards the rate.
	drain(ctx, tracker, 3, 20*time.Second)

	rep.DurationS = elapsed.Seconds()
	rep.SubmittedTx = load.submitted.Load()
	rep.SubmittedTxPerS = float64(rep.SubmittedTx) / rep.DurationS
	rep.SubmitErrors = load.failed.Load()
	rep.SubmitErrorKinds = load.errorSummary()
	rep.ConfirmedTx = tracker.confirmed.Load()
	rep.ConfirmedTxPerS = float64(rep.ConfirmedTx) / rep.DurationS
	rep.UnconfirmedTx = tracker.outstanding()
	rep.AuctionBlocks = tracker.blocks.Load()
	q, cnt := tracker.latency.quantiles(0.5, 0.95, 0.99)
	rep.ConfirmSamples = cnt
	rep.ConfirmP50Ms, rep.ConfirmP95Ms, rep.ConfirmP99Ms = ms(q[0]), ms(q[1]), ms(q[2])
	rep.Bids, rep.BidTxs, rep.KeysDelivered = bids.bids.Load(), bids.bidTxs.Load(), bids.keys.Load()
	rep.BidsPerS = float64(rep.Bids) / rep.DurationS
	rep.AuctionsSettledPerMin = float64(rep.AuctionsSettled) / elapsed.Minutes()
	if rep.DeviceCheckInS > 0 {
		rep.CheckInsPerS = float64(rep.Devices) / rep.DeviceCheckInS
	}
	if bq, bn := bids.bidToKey.quantiles(0.5, 0.95); bn > 0 {
		p50, p95 := bq[0].Seconds(), bq[1].Seconds()
		rep.BidToKeySamples, rep.BidToKeyP50S, rep.BidToKeyP95S = bn, &p50, &p95
	}
	if rep.VerifySigsPerS > 0 {
		share := rep.VerifySigsPerS / float64(len(nodes))
		rep.GoalTxPerS = 0.7 * share
		rep.RatioToVerifyShare = rep.ConfirmedTxPerS / share
	}
	for i, bn := range nodes {
		st := benchNodeStats{Name: bn.Name, RPC: bn.RPC, PID: bn.PID}
		if bn.cpu.ok && ends[i].ok {
			st.Measured = true
			st.CPUPercent = cpuPercent(bn.cpu, ends[i])
			st.RSSMiB, st.PeakRSSMiB = float64(ends[i].rssKiB)/1024, float64(ends[i].peakKiB)/1024
		}
		rep.NodeStats = append(rep.NodeStats, st)
	}
	var nodeCPU time.Duration
	measured := 0
	for i, bn := range nodes {
		if bn.cpu.ok && ends[i].ok {
			nodeCPU += ends[i].cpu - bn.cpu.cpu
			measured++
		}
	}
	if measured > 0 && rep.SubmittedTx > 0 {
		rep.NodeCPUUsPerTx = float64(nodeCPU.Nanoseconds()) / 1000 / float64(measured) / float64(rep.SubmittedTx)
		if rep.VerifyCPUUsPerSig > 0 {
			rep.VerifyShareOfNodeCPU = rep.VerifyCPUUsPerSig / rep.NodeCPUUsPerTx
		}
	}
	if self.ok && selfEnd.ok {
		rep.Bench = &benchNodeStats{Name: "bench", PID: os.Getpid(), Measured: true, CPUPercent: cpuPercent(self, selfEnd),
			RSSMiB: float64(selfEnd.rssKiB) / 1024, PeakRSSMiB: float64(selfEnd.peakKiB) / 1024}
	}
	rep.LoadAvgEnd = loadAverage()
	if c.Bool("json") {
		return printJSON(c.App.Writer, rep)
	}
	printBenchReport(c.App.Writer, rep)
	return nil
}

// startProfiles, with a --profile directory, takes CPU profiles of the
// window: each local node's through its pprof server, the bench's own in
// process. The returned function waits for them and writes the files.
func startProfiles(ctx context.Context, dir string, nodes []*benchNode, d time.Duration, progress func(string, ...any)) (func(), error) {
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, "bench.cpu.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var wg sync.WaitGroup
	for _, bn := range nodes {
		if bn.Pprof == "" {
			continue
		}
		wg.Go(func() {
			// The node ends the profile after d; the context is only a
			// safety net should it hang.
			fctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
			defer cancel()
			path := filepath.Join(dir, bn.Name+".cpu.pprof")
			if err := fetchCPUProfile(fctx, bn.Pprof, d, path); err != nil {
				progress("profile of %s not written: %v", bn.Name, err)
			}
		})
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		wg.Wait()
		progress("CPU profiles of the window written to %s (go tool pprof -top %s)", dir, filepath.Join(dir, "node1.cpu.pprof"))
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// drain waits until every tracked transfer is confirmed, or until
// `blocks` more heads have passed, or the timeout.
func drain(ctx context.Context, t *confirmTracker, blocks int, timeout time.Duration) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for seen := 0; seen < blocks && t.outstanding() > 0; {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-t.heads:
			seen++
		}
	}
}

// measureVerifyRate verifies n distinct signatures on every core (no
// cache) and returns signatures per second: the ceiling of a node's
// transaction intake on this machine; and the CPU time one verification
// took (this process's CPU time over n), which other processes' load
// changes far less than the rate.
func measureVerifyRate(ctx context.Context, n int) (perSecond float64, cpuPerSig time.Duration) {
	k, err := keys.GenerateKey()
	if err != nil {
		return 0, 0
	}
	jobs := make([]keys.VerifyJob, n)
	for i := range jobs {
		var h [32]byte
		rand.Read(h[:])
		jobs[i] = keys.VerifyJob{Pub: k.PubKey(), Hash: h, Sig: k.Sign(h)}
	}
	start, cpu := time.Now(), readProc(0)
	if _, ok := keys.VerifyBatch(ctx, jobs, nil, 0); !ok {
		return 0, 0
	}
	perSecond = float64(n) / time.Since(start).Seconds()
	if end := readProc(0); cpu.ok && end.ok {
		cpuPerSig = (end.cpu - cpu.cpu) / time.Duration(n)
	}
	return perSecond, cpuPerSig
}

// remoteNodes describes running nodes given by --node; local ones (on
// loopback) are measured through /proc by the PID node.info reports.
func remoteNodes(ctx context.Context, urls []string, cookiePath string) ([]*benchNode, error) {
	var token string
	if cookiePath != "" {
		var err error
		if token, err = rpc.ReadCookie(cookiePath); err != nil {
			return nil, err
		}
	}
	var nodes []*benchNode
	for i, u := range urls {
		u = strings.TrimRight(u, "/")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("--node %q: give the API URL, e.g. http://127.0.0.1:29741", u)
		}
		bn := &benchNode{Name: fmt.Sprintf("node%d", i), RPC: u}
		if i == 0 {
			bn.Cookie = token
		}
		c, err := rpc.Dial(ctx, u, rpc.WithToken(bn.Cookie))
		if err != nil {
			return nil, err
		}
		var info node.Info
		err = c.Call(ctx, "node.info", nil, &info)
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("--node %s: %w", u, err)
		}
		if isLoopback(u) && info.PID > 0 && readProc(info.PID).ok {
			bn.PID = info.PID
		}
		nodes = append(nodes, bn)
	}
	return nodes, nil
}

// waitPeers waits until every node has at least one peer (checked each
// 100 ms through node.info).
func waitPeers(ctx context.Context, clients []*rpc.Client) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		all := true
		for _, c := range clients {
			var info node.Info
			if err := c.Call(ctx, "node.info", nil, &info); err != nil || len(info.Peers) == 0 {
				all = false
				break
			}
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the nodes did not connect to each other: %w", context.Cause(ctx))
		case <-t.C:
		}
	}
}

func printBenchReport(w io.Writer, r *benchReport) {
	fmt.Fprintf(w, "thingchain bench: %d nodes (%s), %s, %.0f s measured, %d cores, load average %.1f → %.1f\n",
		r.Nodes, map[bool]string{true: "local processes", false: "running nodes"}[r.LocalProcesses], r.Network, r.DurationS, r.Cores, r.LoadAvgStart, r.LoadAvgEnd)
	fmt.Fprintf(w, "  transfers: target %.0f/s, submitted %d (%.0f/s, %d refused), confirmed %d = %.0f tx/s in %d auction blocks\n",
		r.TargetTxPerS, r.SubmittedTx, r.SubmittedTxPerS, r.SubmitErrors, r.ConfirmedTx, r.ConfirmedTxPerS, r.AuctionBlocks)
	fmt.Fprintf(w, "  submit to confirm: p50 %.0f ms, p95 %.0f ms, p99 %.0f ms (%d samples; %d unconfirmed after the drain)\n",
		r.ConfirmP50Ms, r.ConfirmP95Ms, r.ConfirmP99Ms, r.ConfirmSamples, r.UnconfirmedTx)
	for k, v := range r.SubmitErrorKinds {
		fmt.Fprintf(w, "    refused: %d × %s\n", v, k)
	}
	bk := "no key delivered yet"
	if r.BidToKeyP50S != nil {
		bk = fmt.Sprintf("p50 %.1f s, p95 %.1f s (%d keys)", *r.BidToKeyP50S, *r.BidToKeyP95S, r.BidToKeySamples)
	}
	fmt.Fprintf(w, "  devices: %d checked in in %.1f s (%.1f check-ins/s, OEM and model set-up included)\n", r.Devices, r.DeviceCheckInS, r.CheckInsPerS)
	fmt.Fprintf(w, "  bids: %d in %d batch transactions = %.1f bids/s (%d bidders); %d auctions settled = %.1f per minute; bid to key: %s\n",
		r.Bids, r.BidTxs, r.BidsPerS, r.Bidders, r.AuctionsSettled, r.AuctionsSettledPerMin, bk)
	if len(r.AuctionsByStatus) > 0 {
		fmt.Fprintf(w, "    settled auctions by status now: %v\n", r.AuctionsByStatus)
	}
	fmt.Fprintf(w, "  verify rate (all cores, this run, higher of before/after: %.0f/%.0f): %.0f sigs/s; per node share %.0f; goal 70%% = %.0f tx/s; ratio confirmed ÷ share = %.2f\n",
		r.VerifyBeforeSigsPerS, r.VerifyAfterSigsPerS, r.VerifySigsPerS, r.VerifySigsPerS/float64(max(r.Nodes, 1)), r.GoalTxPerS, r.RatioToVerifyShare)
	if r.NodeCPUUsPerTx > 0 {
		fmt.Fprintf(w, "  node CPU per transaction: %.0f µs per node; one verification %.0f µs of CPU = %.0f%% of it\n",
			r.NodeCPUUsPerTx, r.VerifyCPUUsPerSig, 100*r.VerifyShareOfNodeCPU)
	}
	for _, s := range append(r.NodeStats, derefStats(r.Bench)...) {
		if !s.Measured {
			fmt.Fprintf(w, "  %-6s %s: not a process on this machine\n", s.Name, s.RPC)
			continue
		}
		fmt.Fprintf(w, "  %-6s pid %-7d CPU %5.1f%% of a core  RSS %6.1f MiB (peak %.1f)\n", s.Name, s.PID, s.CPUPercent, s.RSSMiB, s.PeakRSSMiB)
	}
}

func derefStats(s *benchNodeStats) []benchNodeStats {
	if s == nil {
		return nil
	}
	return []benchNodeStats{*s}
}
