package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/registry"
	"github.com/thingchain/thingchain/wallet"
)

// bidLoad runs simulated bidders: each bids in one batch on every enabled
// device it has no open bid on, every interval, reveals and pays through
// the wallet's Bidder.Watch (which follows the open bids by subscription,
// one auction.getMany call per head), and times each won auction from its
// bid to the moment Watch hands it the decrypted access key.
type bidLoad struct {
	net   *consensus.Params
	url   string // node API (http://…) for reads after the run
	token string // the node's cookie token: not rate limited
	// nodes the bidders use, bidder i the node i % len(nodes): bidders
	// of a real market reach the network through many nodes, and the
	// devices' node is not the one every bidder loads.
	nodes    []*benchNode
	dir      string
	interval time.Duration
	perRound int // devices each bidder bids on per round (0: all)
	log      *slog.Logger

	counting atomic.Bool
	bids     atomic.Int64 // bids placed while counting
	bidTxs   atomic.Int64
	keys     atomic.Int64 // keys received while counting
	failed   atomic.Int64
	bidToKey latencies
}

// run starts one goroutine per bidder account and blocks until ctx ends.
func (l *bidLoad) run(ctx context.Context, bidders []*benchAccount) {
	var wg sync.WaitGroup
	for i, a := range bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.bidder(ctx, i, a); err != nil && ctx.Err() == nil {
				l.log.Warn("bench bidder stopped", "bidder", i, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (l *bidLoad) bidder(ctx context.Context, i int, a *benchAccount) error {
	bn := l.nodes[i%len(l.nodes)]
	opts := []rpc.ClientOption{rpc.WithToken(bn.Cookie)}
	client, err := rpc.Dial(ctx, bn.RPC, opts...)
	if err != nil {
		return err
	}
	defer client.Close()
	ws, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(bn.RPC, "http"), opts...)
	if err != nil {
		return err
	}
	defer ws.Close()
	addr := a.addr.Encode(l.net.AddressHRP)
	book, err := wallet.OpenBidBook(filepath.Join(l.dir, "bidders"), addr)
	if err != nil {
		return err
	}
	b := wallet.NewBidder(l.net, book)

	var mu sync.Mutex
	bidAt := map[wire.Hash]time.Time{} // auction → first bid in it
	got := map[wire.Hash]bool{}
	// The watcher reports each key as its bid ends delivered: no call
	// beyond its one auction.getMany per head.
	go b.Watch(ctx, ws, a.key, benchFee, time.Second, func(ev wallet.WatchEvent) bool {
		if len(ev.Keys) == 0 {
			return false
		}
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, k := range ev.Keys {
			if got[k.Auction] || k.Error != "" {
				continue
			}
			got[k.Auction] = true
			if at, ok := bidAt[k.Auction]; ok {
				l.bidToKey.add(now.Sub(at))
				if l.counting.Load() {
					l.keys.Add(1)
				}
			}
		}
		return false
	})

	rng := rand.New(rand.NewPCG(uint64(i)+1, uint64(time.Now().UnixNano())))
	total := 0 // enabled devices at the last query
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		devices, reserve, err := enabledDevices(ctx, client, rng, l.perRound, &total)
		if err != nil || len(devices) == 0 {
			continue
		}
		// A true value between one and three times the highest reserve,
		// so that bidders win different auctions.
		price := reserve + reserve*uint64(rng.IntN(200))/100
		res, err := b.Bid(ctx, client, a.key, devices, price, benchFee)
		if err != nil {
			continue // nothing to bid on now (every device has our bid), or short of funds
		}
		now := time.Now()
		mu.Lock()
		for _, pb := range res.Bids {
			if _, ok := bidAt[pb.Auction]; !ok {
				bidAt[pb.Auction] = now
			}
		}
		mu.Unlock()
		if l.counting.Load() {
			l.bids.Add(int64(len(res.Bids)))
			l.bidTxs.Add(int64(len(res.TxIDs)))
		}
	}
}

// enabledDevices picks n enabled devices (every one, up to a page, when
// n is 0): a page of n at a random offset, so that a bidder reads n
// records per round however many devices there are, not all of them. It
// returns their highest reserve price per point; total carries the
// number of enabled devices from round to round.
func enabledDevices(ctx context.Context, client *rpc.Client, rng *rand.Rand, n int, total *int) ([]string, uint64, error) {
	enabled := true
	f := apitypes.DeviceFilter{Enabled: &enabled, Limit: registry.MaxQueryLimit}
	if n > 0 {
		f.Limit = n
		if *total > n {
			f.Offset = rng.IntN(*total - n + 1)
		}
	}
	page, err := apiclient.New(client).Devices(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	*total = page.Total
	var devices []string
	var reserve uint64 = 1
	for _, d := range page.Devices {
		devices = append(devices, d.Device)
		reserve = max(reserve, d.Terms.ReservePerPoint)
	}
	return devices, reserve, nil
}

// startDevices checks n simulated devices in through a node (with its
// cookie) and keeps them delivering keys until the returned simulator is
// closed.
func startDevices(ctx context.Context, url, token, dir string, net *consensus.Params, n int, log *slog.Logger) (*devicesim.Simulator, error) {
	if n == 0 {
		return nil, nil
	}
	client, err := rpc.Dial(ctx, url, rpc.WithToken(token))
	if err != nil {
		return nil, err
	}
	// Deliveries start at each newHeads event on a WebSocket of the same
	// node (closed with ctx), polling once a second as the backstop.
	ws, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), rpc.WithToken(token))
	if err != nil {
		return nil, err
	}
	go func() { <-ctx.Done(); ws.Close() }()
	sim, err := devicesim.New(devicesim.Config{
		Client: client, Heads: ws, Net: net, Dir: filepath.Join(dir, "devices"), Devices: n,
		AuctionPoll: time.Second, Logger: log.With("part", "devicesim"),
	})
	if err != nil {
		return nil, err
	}
	if err := sim.Start(ctx); err != nil {
		return nil, fmt.Errorf("checking in %d simulated devices: %w", n, err)
	}
	return sim, nil
}

// settledBetween counts the distinct auctions the bidders took part in
// that closed at an auction-chain height in (from, to] and are settled
// (no longer in their commit or reveal phase), by status. Every auction of a bench
// network has bench bids, so this is every auction settled in the window.
func (l *bidLoad) settledBetween(ctx context.Context, bidders []*benchAccount, from, to uint64) (map[string]int, error) {
	client, err := rpc.Dial(ctx, l.url, rpc.WithToken(l.token))
	if err != nil {
		return nil, err
	}
	defer client.Close()
	seen := map[wire.Hash]string{}
	for _, a := range bidders {
		var list []struct {
			ID          wire.Hash `json:"id"`
			Phase       string    `json:"phase"`
			CloseHeight uint64    `json:"close_height"`
		}
		if err := client.Call(ctx, "auction.ofBidder", api.AddressParams{Address: a.addr.Encode(l.net.AddressHRP)}, &list); err != nil {
			return nil, err
		}
		for _, x := range list {
			if x.Phase != "commit" && x.Phase != "reveal" && x.CloseHeight > from && x.CloseHeight <= to {
				seen[x.ID] = x.Phase
			}
		}
	}
	byStatus := map[string]int{}
	for _, phase := range seen {
		byStatus[phase]++
	}
	return byStatus, nil
}
