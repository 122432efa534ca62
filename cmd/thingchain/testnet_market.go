package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/registry"
	"github.com/thingchain/thingchain/wallet"
)

// market runs the simulated participants of a local testnet against its
// first node: device agents (check-in, key delivery, data endpoints) and
// bidders.
type market struct {
	out    io.Writer
	log    *slog.Logger
	nodes  []*node.Node
	mu     sync.Mutex
	status string
	stats  bidderStats
}

func (m *market) setStatus(s string) {
	m.mu.Lock()
	m.status = s
	m.mu.Unlock()
}

// run starts the device simulator, then the bidders, and blocks until
// ctx ends.
func (m *market) run(ctx context.Context, dir string, devices, bidders int, bidEvery time.Duration) {
	if devices == 0 {
		return
	}
	client, err := rpc.Dial(ctx, m.nodes[0].RPCURL, m.auth())
	if err != nil {
		m.log.Error("market: cannot reach node0", "err", err)
		return
	}
	defer client.Close()
	// Key deliveries start at each newHeads event (the watcher still
	// polls as the backstop).
	ws, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(m.nodes[0].RPCURL, "http"), m.auth())
	if err != nil {
		m.log.Error("market: cannot reach node0", "err", err)
		return
	}
	defer ws.Close()
	m.setStatus(fmt.Sprintf("checking in %d simulated devices…", devices))
	sim, err := devicesim.New(devicesim.Config{
		Client: client, Heads: ws, Net: m.nodes[0].Net, Dir: filepath.Join(dir, "devices"), Devices: devices,
		Logger: m.log.With("part", "devicesim"),
	})
	if err == nil {
		err = sim.Start(ctx)
	}
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("market: devices did not check in", "err", err)
			m.setStatus("devices failed: " + err.Error())
		}
		return
	}
	defer sim.Close()
	sum := sim.Summary()
	fmt.Fprintf(m.out, "%d simulated devices checked in: %v\n", sum.Devices, sum.PerKind)
	m.setStatus("")
	m.runBidders(ctx, dir, bidders, bidEvery)
	<-ctx.Done()
}

// auth authenticates the testnet's own clients with node0's cookie
// token (bidders use their own node's): the node exempts its operator
// from rate limits, and the simulated market is the operator's load, not
// an abusive client's.
func (m *market) auth() rpc.ClientOption { return rpc.WithToken(m.nodes[0].RPC.Token()) }

// fund pays a simulated participant from node0's faucet. Every request
// goes to the one node, whose faucet takes the faucet key's nonces in
// turn (faucets on several nodes would pick the same nonces); when the
// mempool holds its most of the faucet's transactions, fund waits for
// the next auction block and asks again.
func (m *market) fund(ctx context.Context, to keys.Address, amount uint64) error {
	n := m.nodes[0]
	for {
		tip := n.Auction.Tip().Hash
		_, err := n.Faucet(to, amount)
		if err == nil || !(strings.Contains(err.Error(), "ErrNonceTooFarAhead") || strings.Contains(err.Error(), "ErrReplacementUnderpriced")) {
			return err
		}
		t := time.NewTicker(100 * time.Millisecond)
		for n.Auction.Tip().Hash == tip {
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		t.Stop()
	}
}

// summaryLine describes the market as node0 sees it.
func (m *market) summaryLine() string {
	m.mu.Lock()
	status := m.status
	m.mu.Unlock()
	n := m.nodes[0]
	if n.Index == nil {
		return status
	}
	enabled := true
	devices := n.Index.Query(registry.Filter{Enabled: &enabled, Limit: 1}).Total
	line := fmt.Sprintf("          market: %d devices enabled; bids %d, revealed %d, paid %d, keys delivered %d, data fetched %d (refused %d)",
		devices, m.stats.bids.Load(), m.stats.reveals.Load(), m.stats.payments.Load(), m.stats.keys.Load(), m.stats.fetches.Load(), m.stats.refused.Load())
	if n.Auction != nil {
		if info, err := api.NewService(n.Backend()).GetAuctionInfo(context.Background()); err == nil {
			line += fmt.Sprintf("; escrow %s, metadata miners' pool %s", ledger.FormatAmount(info.Escrow), ledger.FormatAmount(info.MetadataPool))
		}
	}
	if status != "" {
		line += "; " + status
	}
	return line
}

// bidderStats counts what the simulated data scientists did.
type bidderStats struct {
	bids, reveals, payments, keys, fetches, refused atomic.Int64
}

// runBidders starts n simulated data scientists, spread over the nodes: each is
// funded by the faucet, bids truthfully (sealed, second price; full
// deposits, every other bidder bond-only) on a few enabled devices every
// interval, reveals and pays bond-only wins through the wallet's
// Bidder.Watch, and downloads data with every access key Watch reports
// delivered to it.
func (m *market) runBidders(ctx context.Context, dir string, n int, interval time.Duration) {
	net := m.nodes[0].Net
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.runBidder(ctx, net, dir, i, interval); err != nil && ctx.Err() == nil {
				m.log.Warn("simulated bidder stopped", "bidder", i, "err", err)
			}
		}()
	}
	wg.Wait()
}

const bidderFee = 10_000 // base units; above the test network's relay floor (1 unit per byte) for batches up to 10 kB

func (m *market) runBidder(ctx context.Context, net *consensus.Params, dir string, i int, interval time.Duration) error {
	// Bidders are spread over the nodes (node0 also serves the devices),
	// as a real market's bidders reach it through many nodes.
	nd := m.nodes[i%len(m.nodes)]
	auth := rpc.WithToken(nd.RPC.Token())
	url := nd.RPCURL
	client, err := rpc.Dial(ctx, url, auth)
	if err != nil {
		return err
	}
	defer client.Close()
	ws, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), auth)
	if err != nil {
		return err
	}
	defer ws.Close()
	key, err := keys.GenerateKey()
	if err != nil {
		return err
	}
	addr := key.PubKey().Address().Encode(net.AddressHRP)
	book, err := wallet.OpenBidBook(filepath.Join(dir, "bidders"), addr)
	if err != nil {
		return err
	}
	b := wallet.NewBidder(net, book)
	// Every other bidder bids bond-only, so the testnet shows both kinds
	// of deposit (its watcher pays the bond-only wins in their window).
	b.BondOnly = i%2 == 1
	if err := m.fund(ctx, key.PubKey().Address(), 100_000*ledger.Coin); err != nil {
		return fmt.Errorf("faucet: %w", err)
	}
	log := m.log.With("bidder", i, "address", addr)
	// Watch follows the open bids by subscription (one auction.getMany
	// call per head) and hands over each access key as it is delivered.
	delivered := make(chan wallet.AccessKey, 64)
	go b.Watch(ctx, ws, key, bidderFee, 2*time.Second, func(ev wallet.WatchEvent) bool {
		if ev.Reveal != nil {
			m.stats.reveals.Add(int64(len(ev.Reveal.Revealed)))
		}
		if ev.Pay != nil {
			m.stats.payments.Add(int64(len(ev.Pay.Paid)))
		}
		if ev.Err != nil {
			log.Debug("watch", "err", ev.Err)
		}
		for _, k := range ev.Keys {
			select {
			case delivered <- k:
			case <-ctx.Done():
				return true
			}
		}
		return false
	})
	rng := rand.New(rand.NewPCG(uint64(i)+1, uint64(time.Now().UnixNano())))
	total := 0 // enabled devices at the last bid round
	fetched := map[wire.Hash]bool{}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.bidRound(ctx, client, b, key, rng, log, &total)
		case k := <-delivered:
			if fetched[k.Auction] || !k.Valid {
				continue
			}
			fetched[k.Auction] = true
			m.stats.keys.Add(1)
			fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, data, err := wallet.FetchData(fctx, client, http.DefaultClient, &k, "")
			cancel()
			if err != nil {
				m.stats.refused.Add(1)
				log.Warn("data fetch failed", "device", k.Device, "err", err)
				continue
			}
			m.stats.fetches.Add(1)
			log.Info("fetched device data with a won access key", "device", k.Device, "bytes", len(data), "expires", k.Expires)
		}
	}
}

// bidRound bids on a few random enabled devices at a price between one
// and three times the highest of their reserves: the bidder's true value.
// It reads one page of that many records at a random offset (total
// carries the number of enabled devices from round to round), not every
// device's record.
func (m *market) bidRound(ctx context.Context, client *rpc.Client, b *wallet.Bidder, key *keys.PrivateKey, rng *rand.Rand, log *slog.Logger, total *int) {
	enabled := true
	want := 2 + rng.IntN(4)
	f := apitypes.DeviceFilter{Enabled: &enabled, Limit: want}
	if *total > want {
		f.Offset = rng.IntN(*total - want + 1)
	}
	page, err := apiclient.New(client).Devices(ctx, f)
	if err != nil || len(page.Devices) == 0 {
		return
	}
	*total = page.Total
	pick := page.Devices
	var devices []string
	var reserve uint64
	for _, d := range pick {
		devices = append(devices, d.Device)
		reserve = max(reserve, d.Terms.ReservePerPoint)
	}
	price := reserve + reserve*uint64(rng.IntN(200))/100
	res, err := b.Bid(ctx, client, key, devices, price, bidderFee)
	if err != nil {
		if !errors.Is(err, wallet.ErrNothingToBid) {
			log.Debug("bid round", "err", err)
		}
		return
	}
	m.stats.bids.Add(int64(len(res.Bids)))
	log.Info("sealed bids sent in one batch", "bids", len(res.Bids), "skipped", len(res.Skipped), "max_price_per_point", ledger.FormatAmount(price))
}
