package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/mempool"
	"github.com/thingchain/thingchain/p2p"
	"github.com/thingchain/thingchain/registry"
)

// Config describes one node process.
type Config struct {
	Network     string // main, test, regtest; empty = what DataDir was created with
	DataDir     string
	Mine        bool
	MineThreads int    // total, split across the two chains
	Reward      string // bech32 reward address; empty = the miner key's address
	Logger      *slog.Logger
	Store       chain.StoreOptions
	// RPCAddr is where the JSON-RPC API listens ("127.0.0.1:0" picks a
	// free port; "" uses the network's default port on 127.0.0.1; "off"
	// disables it).
	RPCAddr string
	// RPCVirtualHosts are extra names the API accepts in the Host header
	// (loopback names, IP literals and RPCAddr's own host always work);
	// "*" turns the DNS-rebinding check off. Like geth's --http.vhosts.
	RPCVirtualHosts []string
	// RPCOrigins are extra browser origins allowed to call the API
	// ("http://localhost:5173", "*.example.org"); same-origin pages
	// served by the node itself always are.
	RPCOrigins []string
	// P2PListen are libp2p listen multiaddrs (default: all interfaces on
	// the network's P2P port, TCP and QUIC); "off" as the only entry runs
	// without a network.
	P2PListen []string
	Bootstrap []string // peers to dial and keep dialling
	MDNS      bool     // discover peers on the local network
	Allowlist []string // peer IDs; non-empty admits only these
	// MempoolSaveInterval is how often the mempools are saved to
	// DIR/mempool (0: DefaultMempoolSaveInterval); they are also saved on
	// shutdown and reloaded, revalidated, at start.
	MempoolSaveInterval time.Duration
}

// Node is a running thingchain process: both chains and the services
// around them.
type Node struct {
	cfg      Config
	Net      *consensus.Params
	Metadata *chain.Chain
	Auction  *chain.Chain
	MinerKey *keys.PrivateKey
	Reward   keys.Address
	Miner    *miner.Miner
	// AuctionPool and MetadataPool hold each chain's pending transactions.
	AuctionPool  *mempool.Pool
	MetadataPool *mempool.Pool
	// Index answers device queries over the metadata chain's records.
	Index *registry.Index
	// minerAllowed is the permissioned-mining rule (nil when open).
	minerAllowed func(keys.PubKey) error
	link         *metadataLink
	// RPC is the API server once Run started it; RPCURL its address.
	RPC    *rpc.Server
	RPCURL string
	P2P    *p2p.Node
	feeds  *api.Feeds
	ready  chan struct{}
	log    *slog.Logger
	sigs   *keys.SigCache
	// faucetMu serialises faucet requests: each takes the faucet key's
	// next pending nonce, so concurrent requests would collide.
	faucetMu sync.Mutex
}

// Chains are a data directory's two chains and the wiring between them.
type Chains struct {
	Metadata, Auction *chain.Chain
	// MinerAllowed is the permissioned-mining rule both chains enforce
	// (nil on open networks); the network layer checks it too.
	MinerAllowed func(keys.PubKey) error
	link         *metadataLink
}

// Close stops the link between the chains and closes both chains.
func (cs *Chains) Close() {
	if cs.link != nil && cs.link.auction != nil {
		cs.link.close()
	}
	for _, c := range []*chain.Chain{cs.Metadata, cs.Auction} {
		if c != nil {
			c.Close()
		}
	}
}

// OpenChains opens both chains of a data directory with their state
// machines: the registry on the metadata chain, the auction machine (over
// the ledger) on the auction chain, linked by anchors. Every process that
// opens a data directory goes through here, so genesis hashes match.
// sigs may be nil.
func OpenChains(dir string, net *consensus.Params, sigs *keys.SigCache, store chain.StoreOptions, log *slog.Logger) (*Chains, error) {
	miners := newMinerSet(net, log)
	link := newMetadataLink(net, log)
	cs := &Chains{MinerAllowed: miners.rule(), link: link}
	// One miner-key cache for both chains: the same miners sign both.
	minerKeys := keys.NewKeyCache(keys.KeyCacheConfig{Preferred: chain.AdmittedPreferred(cs.MinerAllowed)})
	var err error
	cs.Metadata, err = chain.Open(chain.Config{Net: net, Kind: consensus.MetadataChain, Dir: filepath.Join(dir, "metadata"),
		StateMachine: registry.NewMachine(net, sigs), SigCache: sigs, MinerKeys: minerKeys, Logger: log, Store: store,
		MinerAllowed: cs.MinerAllowed, Pinned: link.Pinned})
	if err != nil {
		return nil, err
	}
	if err := miners.follow(cs.Metadata); err != nil {
		cs.Close()
		return nil, fmt.Errorf("reading the admitted miners: %w", err)
	}
	link.meta = cs.Metadata
	// ErrBadAnchor depends on the metadata chain (an anchored block it
	// marked invalid): such marks are re-checked at every start.
	cs.Auction, err = chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: filepath.Join(dir, "auction"),
		StateMachine: auction.NewMachine(net, link), SigCache: sigs, MinerKeys: minerKeys, Logger: log, Store: store, MinerAllowed: cs.MinerAllowed,
		RecheckKinds: []consensus.ErrorKind{consensus.ErrBadAnchor}, OnPending: link.wake})
	if err != nil {
		cs.Close()
		return nil, err
	}
	// Pending auction blocks are retried, and the pin follows, whenever
	// either chain moves (metadataLink.settle).
	link.start(cs.Auction)
	return cs, nil
}

// New opens the data directory and both chains.
func New(cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory: pass --datadir")
	}
	net, err := ResolveNetwork(cfg.DataDir, cfg.Network)
	if err != nil {
		return nil, err
	}
	if err := PrepareDataDir(cfg.DataDir, net); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, Net: net, log: cfg.Logger, sigs: keys.NewSigCache(200_000), ready: make(chan struct{})}
	n.MinerKey, err = LoadOrCreateKey(filepath.Join(cfg.DataDir, "miner.key"))
	if err != nil {
		return nil, err
	}
	n.Reward = n.MinerKey.PubKey().Address()
	if cfg.Reward != "" {
		if n.Reward, err = keys.DecodeAddress(cfg.Reward, net.AddressHRP); err != nil {
			return nil, fmt.Errorf("--reward: %w", err)
		}
	}
	cs, err := OpenChains(cfg.DataDir, net, n.sigs, cfg.Store, cfg.Logger)
	if err != nil {
		return nil, err
	}
	n.Metadata, n.Auction, n.minerAllowed, n.link = cs.Metadata, cs.Auction, cs.MinerAllowed, cs.link
	if cfg.Mine && n.minerAllowed != nil {
		if err := n.minerAllowed(n.MinerKey.PubKey()); err != nil {
			n.Close()
			return nil, fmt.Errorf("cannot mine on %s: miner key %s (in %s) is %v; ask the network's authorities to admit it", net.Name, n.MinerKey.PubKey(), filepath.Join(cfg.DataDir, "miner.key"), err)
		}
	}
	n.AuctionPool = mempool.New(mempool.Config{
		Chain: n.Auction, StateNonce: n.auctionNonce, MinFeeRate: net.MinRelayFeeRate,
		Logger: cfg.Logger.With("pool", "auction"),
	})
	// The metadata chain carries no coin: transactions are free, and spam
	// is bounded by attestation, the owner's signature and the per-sender
	// limit.
	n.MetadataPool = mempool.New(mempool.Config{
		Chain: n.Metadata, StateNonce: n.metadataNonce, MinFeeRate: 0, MaxPerSender: 2000,
		Logger: cfg.Logger.With("pool", "metadata"),
	})
	if err := n.startIndex(); err != nil {
		n.Close()
		return nil, fmt.Errorf("building the device index: %w", err)
	}
	n.feeds = api.NewFeeds()
	n.Metadata.Subscribe(n.feeds.ChainListener(consensus.MetadataChain))
	n.Auction.Subscribe(n.feeds.ChainListener(consensus.AuctionChain))
	n.AuctionPool.OnNewTx(n.feeds.Pending[consensus.AuctionChain].Send)
	n.MetadataPool.OnNewTx(n.feeds.Pending[consensus.MetadataChain].Send)
	return n, nil
}

// Run starts the node's services and blocks until ctx is cancelled, then
// stops them in reverse order and closes the chains.
func (n *Node) Run(ctx context.Context) error {
	defer n.Close()
	if n.cfg.Mine {
		// Built before the API starts, which reads n.Miner (admin.generate
		// pauses it); started once the services are up.
		threads := max(n.cfg.MineThreads, 2)
		var interval time.Duration
		if n.Net.MineOnDemand {
			interval = n.Net.Metadata.TargetSpacing
		}
		n.Miner = miner.New(miner.Config{
			Key: n.MinerKey, Reward: n.Reward, Threads: threads / 2, Logger: n.log,
			MinInterval: interval,
			Targets: []miner.Target{
				{Chain: n.Metadata, Candidates: n.metadataCandidates, Rejected: n.dropRejected(n.MetadataPool)},
				{Chain: n.Auction, Candidates: n.auctionCandidates, Rejected: n.dropRejected(n.AuctionPool), Anchor: n.nextAnchor},
			},
		})
	}
	for _, start := range []func(context.Context) error{n.startP2P, n.startRPC} {
		if err := start(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // asked to stop while starting: a clean stop
			}
			return err
		}
	}
	// After the network started, so reloaded transactions are gossiped
	// again; before Ready, so the API sees them from the first call.
	n.restoreMempools()
	close(n.ready)
	var wg sync.WaitGroup
	if n.Miner != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.Miner.Run(ctx)
		}()
		n.log.Info("mining", "reward", n.Reward.Encode(n.Net.AddressHRP), "threads", max(n.cfg.MineThreads, 2))
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.expireLoop(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.mempoolSaveLoop(ctx)
	}()
	<-ctx.Done()
	n.log.Info("shutting down")
	wg.Wait()
	n.saveMempools()
	return nil
}

// Ready is closed once Run has started the node's services (the API
// address is known from then on).
func (n *Node) Ready() <-chan struct{} { return n.ready }

// Close stops the network and closes both chains; safe after Run returned.
func (n *Node) Close() {
	if n.P2P != nil {
		n.P2P.Close()
		n.P2P = nil
	}
	if n.link != nil && n.link.auction != nil {
		n.link.close()
	}
	for _, c := range []*chain.Chain{n.Metadata, n.Auction} {
		if c != nil {
			c.Close()
		}
	}
	n.Metadata, n.Auction = nil, nil
}

// TestnetStoreOptions keep Badger small so many nodes fit on one machine.
func TestnetStoreOptions() chain.StoreOptions {
	return chain.StoreOptions{MemTableSize: 32 << 20, BlockCacheSize: 8 << 20}
}
