package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"golang.org/x/time/rate"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ChainAPI is what the network needs of one chain: the subset of
// *chain.Chain it calls. Only the sanity checks and ProcessBlockBytes
// validate; p2p never judges a block or transaction itself.
type ChainAPI interface {
	Params() *consensus.ChainParams
	Tip() chain.TipInfo
	// ProcessBlockBytes validates and stores a block; RuleErrors (other
	// than ErrDuplicateBlock) are the sender's fault.
	ProcessBlockBytes(ctx context.Context, b []byte) (chain.Result, error)
	// VerifyBlocks runs the context-free rules on a run of blocks on all
	// cores, and ProcessBlocks stores and connects verified blocks
	// several per commit: initial sync's pipeline (chain/batch.go). Their
	// errors are *chain.BatchError naming the block at fault.
	VerifyBlocks(ctx context.Context, raws [][]byte) ([]*chain.VerifiedBlock, error)
	ProcessBlocks(ctx context.Context, blocks []*chain.VerifiedBlock) (chain.BatchResult, error)
	CheckHeaderSanity(h *wire.Header) error
	// CheckBlockSanity runs every context-free block rule (Merkle root
	// and transaction signatures included).
	CheckBlockSanity(ctx context.Context, blk *wire.Block, encodedSize int) error
	// BlockWork is the cumulative work of a known, not invalid block.
	BlockWork(h wire.Hash) (*big.Int, bool)
	CheckTxSanity(tx *wire.Tx) error
	HaveBlock(h wire.Hash) bool
	BlockBytes(h wire.Hash) ([]byte, error)
	Locator() []wire.Hash
	HeadersAfter(locator []wire.Hash, max int) []wire.Header
	// Subscribe is used to gossip blocks this node connected that did not
	// come from the network (mined here or submitted through the API).
	Subscribe(fn func(chain.Event))
}

var _ ChainAPI = (*chain.Chain)(nil)

// TxPool is the node's transaction pool for one chain, as the network sees
// it: a place to put gossiped transactions and a source of local ones.
type TxPool interface {
	// AddTx offers a transaction received from a peer (already sanity
	// checked, signature included). A rejection is not held against the
	// peer: state differs between nodes, so honest relays can be stale.
	AddTx(tx *wire.Tx) error
	// OnNewTx registers fn to be called for every transaction the pool
	// accepts, from any source. It is how locally submitted transactions
	// reach the network: p2p gossips those it did not receive itself. fn
	// does not block.
	OnNewTx(fn func(*wire.Tx))
}

// ChainHandle is one chain the node carries. TxPool may be nil: gossiped
// transactions are then sanity-checked and relayed but not kept.
type ChainHandle struct {
	Chain  ChainAPI
	TxPool TxPool
	// MinerAllowed is, on permissioned networks, the admission rule given
	// to chain.Config.MinerAllowed. When set, block gossip from a miner it
	// refuses is rejected before relaying and costs the sender
	// PenaltyInvalidBlock: every honest relay checks it too, so only a
	// peer that skips the check sends one. When nil, such blocks are
	// relayed after the header checks and refused by the chain, and the
	// relay is not penalised (it could not have known).
	MinerAllowed func(keys.PubKey) error
}

// Config sets up a Node. Zero values get the defaults noted.
type Config struct {
	// ListenAddrs default to /ip4/127.0.0.1/tcp/0 and
	// /ip4/127.0.0.1/udp/0/quic-v1. If the host cannot start with QUIC
	// addresses it retries with the others alone.
	ListenAddrs []string
	// IdentityPath is the libp2p Ed25519 key file (created 0600 if
	// missing); "" means a fresh identity on every start.
	IdentityPath string
	// Bootstrap peers (multiaddrs ending in /p2p/<peer ID>) are dialled at
	// Start and redialled whenever their connection drops.
	Bootstrap  []string
	EnableMDNS bool
	// MaxPeers is the connection manager's high water mark (default 64);
	// it trims to 3/4 of it, sparing connections younger than 20 s.
	MaxPeers int
	// MaxInbound bounds inbound connections, handshakes in progress
	// included (default MaxPeers); MaxConnsPerIP bounds connections with
	// one IP address (default 8; loopback is exempt).
	MaxInbound    int
	MaxConnsPerIP int
	// Allowlist, when non-empty, is the only set of peers this node talks
	// to (permissioned networks): others are refused in both directions.
	Allowlist []peer.ID
	// NetworkName namespaces topics, protocols and mDNS ("regtest",
	// "test", "main"); with the chain IDs in every topic and protocol, two
	// networks never exchange a message even when their nodes connect.
	NetworkName string
	Logger      *slog.Logger
	// BanDuration is how long a peer at BanThreshold stays refused
	// (default 24 h).
	BanDuration time.Duration
	// BanFile keeps bans across restarts ("" keeps them in memory only).
	BanFile string
	// SyncInterval is how often every peer's tip is checked (default 10 s).
	SyncInterval time.Duration
	// ServeBytesPerSec is each peer's budget for sync responses, all
	// chains together (default 8 MiB/s, bursts of ServeBurstBytes,
	// default 1 MiB). A peer asking for more is served more slowly.
	ServeBytesPerSec int
	ServeBurstBytes  int
	Chains           []ChainHandle

	hooks *hooks // tests observe penalties without polling
	// presyncLimit overrides defaultPresyncLimit (tests use small chains).
	presyncLimit int
	// limitLoopback applies MaxConnsPerIP to 127.0.0.1 too (tests).
	limitLoopback bool
}

// hooks lets in-package tests wait on events instead of sleeping.
type hooks struct {
	penalty func(p peer.ID, amount int, total float64, banned bool)
	// blockVerdict sees every block gossip validation's outcome.
	blockVerdict func(from peer.ID, data []byte, res pubsub.ValidationResult)
}

// PeerInfo describes a connected or banned peer.
type PeerInfo struct {
	ID          peer.ID   `json:"id"`
	Addrs       []string  `json:"addrs,omitempty"`
	Score       float64   `json:"score"`
	Banned      bool      `json:"banned,omitempty"`
	BannedUntil time.Time `json:"banned_until,omitzero"`
	ConnectedAt time.Time `json:"connected_at,omitzero"`
}

// Node is the network side of a thingchain process: one libp2p host
// serving every configured chain.
type Node struct {
	cfg    Config
	host   host.Host
	ps     *pubsub.PubSub
	cm     *connmgr.BasicConnMgr
	log    *slog.Logger
	gater  *gater
	chains []*chainNet

	mu        sync.Mutex
	scores    map[peer.ID]*banScore
	budgets   map[peer.ID]*rate.Limiter // serving budgets
	banFileMu sync.Mutex                // one writer of Config.BanFile at a time

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	started   bool
	mdns      mdns.Service
	closeOnce sync.Once
	closeErr  error

	// validating is held (read) by every gossip validator while it runs;
	// Close takes it (write) after cancelling, so that once Close returns
	// no validator is still inside the chains or pools, which the owner
	// closes next. closed (guarded by validating) turns later validators
	// away.
	validating sync.RWMutex
	closed     bool
}

// DefaultListenAddrs are used when Config.ListenAddrs is empty.
var defaultListenAddrs = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}

// New creates the libp2p host, joins every chain's topics and registers
// the sync protocols. Nothing is sent until Start. The node lives until
// Close or until ctx ends.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.ListenAddrs) == 0 {
		cfg.ListenAddrs = defaultListenAddrs
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = 64
	}
	if cfg.MaxInbound <= 0 {
		cfg.MaxInbound = cfg.MaxPeers
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = 8
	}
	if cfg.BanDuration <= 0 {
		cfg.BanDuration = 24 * time.Hour
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 10 * time.Second
	}
	if cfg.ServeBytesPerSec <= 0 {
		cfg.ServeBytesPerSec = 8 << 20
	}
	if cfg.ServeBurstBytes <= 0 {
		cfg.ServeBurstBytes = 1 << 20
	}
	if cfg.NetworkName == "" {
		return nil, errors.New("p2p: Config.NetworkName is required (it keeps networks apart)")
	}
	seen := map[consensus.ChainKind]bool{}
	for _, ch := range cfg.Chains {
		if ch.Chain == nil {
			return nil, errors.New("p2p: ChainHandle without a Chain")
		}
		k := ch.Chain.Params().Kind
		if seen[k] {
			return nil, fmt.Errorf("p2p: chain %s configured twice", k)
		}
		seen[k] = true
	}
	var key crypto.PrivKey
	if cfg.IdentityPath != "" {
		var err error
		if key, err = LoadIdentity(cfg.IdentityPath); err != nil {
			return nil, err
		}
	}
	log := cfg.Logger.With("component", "p2p")
	g := newGater(cfg.Allowlist)
	if cfg.BanFile != "" {
		bans, err := loadBans(cfg.BanFile, time.Now())
		if err != nil {
			return nil, err
		}
		for p, until := range bans {
			g.ban(p, until)
		}
		if len(bans) > 0 {
			log.Info("bans loaded", "peers", len(bans), "file", cfg.BanFile)
		}
	}
	cm, err := connmgr.NewConnManager(max(1, cfg.MaxPeers*3/4), cfg.MaxPeers, connmgr.WithGracePeriod(connGrace))
	if err != nil {
		return nil, err
	}
	h, err := newHost(&cfg, cfg.ListenAddrs, key, g, cm)
	if err != nil {
		var noQUIC []string
		for _, a := range cfg.ListenAddrs {
			if !isQUIC(a) {
				noQUIC = append(noQUIC, a)
			}
		}
		if len(noQUIC) == 0 || len(noQUIC) == len(cfg.ListenAddrs) {
			return nil, fmt.Errorf("p2p: start libp2p host on %v: %w", cfg.ListenAddrs, err)
		}
		log.Warn("cannot listen on QUIC; using TCP only", "err", err)
		if h, err = newHost(&cfg, noQUIC, key, g, cm); err != nil {
			return nil, fmt.Errorf("p2p: start libp2p host on %v: %w", noQUIC, err)
		}
	}
	// libp2p starts if any address listens; say so when QUIC did not.
	if slices.ContainsFunc(cfg.ListenAddrs, isQUIC) && !slices.ContainsFunc(h.Addrs(), func(a ma.Multiaddr) bool { return isQUIC(a.String()) }) {
		log.Warn("not listening on QUIC; using TCP only", "requested", cfg.ListenAddrs)
	}
	n := &Node{cfg: cfg, host: h, cm: cm, log: log, gater: g, scores: map[peer.ID]*banScore{}, budgets: map[peer.ID]*rate.Limiter{}}
	n.ctx, n.cancel = context.WithCancel(ctx)
	// Blocks and transactions carry their own signatures, so pubsub's
	// per-message signatures would only cost throughput (design §7). The
	// message ID is the hash of the payload, so the same bytes are dropped
	// whoever relays them. The queues and validation throttles are raised
	// because the defaults (32, 1024 per topic) silently drop bursts.
	n.ps, err = pubsub.NewGossipSub(n.ctx, gossipHost{Host: h, oversized: n.gossipOversized},
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithPeerOutboundQueueSize(4096),
		pubsub.WithValidateQueueSize(4096),
		pubsub.WithValidateThrottle(validateThrottle),
		pubsub.WithMaxMessageSize(MaxGossipBytes),
	)
	if err != nil {
		n.cancel()
		h.Close()
		return nil, fmt.Errorf("p2p: start gossipsub: %w", err)
	}
	for _, ch := range cfg.Chains {
		cn, err := newChainNet(n, ch)
		if err != nil {
			n.cancel()
			h.Close()
			return nil, fmt.Errorf("p2p: %s chain: %w", ch.Chain.Params().Kind, err)
		}
		n.chains = append(n.chains, cn)
	}
	return n, nil
}

// MaxGossipBytes is the largest gossip message pubsub accepts: the
// largest block plus framing slack. Larger RPCs are dropped by pubsub
// itself; within it, each topic's validator enforces its own limit.
const MaxGossipBytes = wire.MaxBlockBytes + 64<<10

func isQUIC(addr string) bool { return strings.Contains(addr, "/quic") }

func messageID(m *pb.Message) string {
	id := wire.DoubleSHA256(m.Data)
	return string(id[:])
}

// connGrace is how long a new connection is safe from the connection
// manager's trimming.
const connGrace = 20 * time.Second

func newHost(cfg *Config, listen []string, key crypto.PrivKey, g *gater, cm *connmgr.BasicConnMgr) (host.Host, error) {
	rm, err := newResourceManager(cfg)
	if err != nil {
		return nil, fmt.Errorf("connection limits: %w", err)
	}
	opts := []libp2p.Option{
		libp2p.ListenAddrStrings(listen...),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionGater(g),
		libp2p.ConnectionManager(cm),
		libp2p.DisableRelay(),
		// TCP and QUIC only, without SO_REUSEPORT: with it, a second node
		// started on a port another node holds would bind it too and the
		// kernel would split incoming connections between the two.
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()),
		libp2p.Transport(libp2pquic.NewTransport),
		libp2p.QUICReuse(quicreuse.NewConnManager, quicreuse.DisableReuseport()),
	}
	if key != nil {
		opts = append(opts, libp2p.Identity(key))
	}
	return libp2p.New(opts...)
}

// ID is this node's peer ID.
func (n *Node) ID() peer.ID { return n.host.ID() }

// Addrs are the node's listen addresses, each ending in /p2p/<ID>, ready
// to hand to another node's Connect or Bootstrap.
func (n *Node) Addrs() []ma.Multiaddr {
	out, _ := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()})
	return out
}

// AddrInfo is this node's ID and listen addresses.
func (n *Node) AddrInfo() peer.AddrInfo {
	return peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}
}

// Host exposes the libp2p host for diagnostics and tests.
func (n *Node) Host() host.Host { return n.host }

// Start begins gossip and sync, dials the bootstrap peers (redialling them
// whenever they drop) and starts mDNS if enabled. Background work stops
// at Close or when ctx ends.
func (n *Node) Start(ctx context.Context) error {
	if n.started {
		return errors.New("p2p: node already started")
	}
	n.started = true
	var boot []peer.AddrInfo
	for _, addr := range n.cfg.Bootstrap {
		info, err := peer.AddrInfoFromString(addr)
		if err != nil {
			return fmt.Errorf("p2p: bootstrap peer %q: %w (want /ip4/HOST/tcp/PORT/p2p/PEERID)", addr, err)
		}
		boot = append(boot, *info)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		select {
		case <-ctx.Done():
			n.cancel()
		case <-n.ctx.Done():
		}
	}()
	n.host.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		// Exchange status with every new peer on every chain.
		for _, cn := range n.chains {
			cn.requestSync(c.RemotePeer())
		}
	}})
	for _, cn := range n.chains {
		cn.start()
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.healLoop()
	}()
	for _, info := range boot {
		n.cm.Protect(info.ID, "bootstrap")
		n.wg.Add(1)
		go n.keepConnected(info)
	}
	if n.cfg.EnableMDNS {
		n.mdns = mdns.NewMdnsService(n.host, "thingchain-"+n.cfg.NetworkName, mdnsNotifee{n})
		if err := n.mdns.Start(); err != nil {
			n.log.Warn("mDNS not started", "err", err)
			n.mdns = nil
		}
	}
	// Peers that connected between New and Start missed the notifier.
	for _, p := range n.host.Network().Peers() {
		for _, cn := range n.chains {
			cn.requestSync(p)
		}
	}
	return nil
}

type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(info peer.AddrInfo) {
	if info.ID == m.n.host.ID() || m.n.ctx.Err() != nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(m.n.ctx, 10*time.Second)
		defer cancel()
		if err := m.n.Connect(ctx, info); err != nil {
			m.n.log.Debug("mDNS peer dial failed", "peer", info.ID, "err", err)
		}
	}()
}

// Redialling a bootstrap peer backs off from redialMin, doubling to
// redialMax, so a follower is back within redialMax plus one dial of its
// peer's return however long the outage was.
const (
	redialMin     = 500 * time.Millisecond
	redialMax     = 5 * time.Second
	redialTimeout = 10 * time.Second
)

// nextRedial is the pause after a failed dial that followed a pause of d.
func nextRedial(d time.Duration) time.Duration { return min(2*d, redialMax) }

// keepConnected dials a bootstrap peer and redials it whenever the
// connection drops, backing off up to redialMax. The swarm's own dial
// back-off (quadratic, up to 5 minutes) is bypassed for these dials: it
// is what kept a follower away for long after an outage.
func (n *Node) keepConnected(info peer.AddrInfo) {
	defer n.wg.Done()
	backoff := redialMin
	for n.ctx.Err() == nil {
		if n.host.Network().Connectedness(info.ID) != network.Connected && n.gater.permit(info.ID) {
			ctx, cancel := context.WithTimeout(network.WithForceDirectDial(n.ctx, "bootstrap redial"), redialTimeout)
			err := n.host.Connect(ctx, info)
			cancel()
			if err != nil {
				n.log.Debug("bootstrap dial failed", "peer", info.ID, "err", err, "retry_in", nextRedial(backoff))
				backoff = nextRedial(backoff)
			} else {
				backoff = redialMin
			}
		}
		t := time.NewTimer(backoff)
		select {
		case <-n.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Connect dials a peer now. Banned peers and, with an allowlist, peers not
// on it are refused.
func (n *Node) Connect(ctx context.Context, info peer.AddrInfo) error {
	if info.ID == n.host.ID() {
		return errors.New("p2p: cannot connect to self")
	}
	if !n.gater.permit(info.ID) {
		return fmt.Errorf("p2p: peer %s is banned or not on the allowlist", info.ID)
	}
	return n.host.Connect(ctx, info)
}

// SetNetworkActive turns all peer-to-peer activity off or on again
// (bitcoind's setnetworkactive): off closes every connection and the
// gater refuses new ones in both directions, bootstrap redials included;
// on lets them reconnect. Operators use it to take a node off the network
// briefly; tests use it to partition a node.
func (n *Node) SetNetworkActive(active bool) {
	n.gater.offline.Store(!active)
	if !active {
		for _, p := range n.host.Network().Peers() {
			n.host.Network().ClosePeer(p)
		}
	}
	n.log.Info("network activity", "active", active)
}

// NetworkActive reports whether SetNetworkActive left the network on.
func (n *Node) NetworkActive() bool { return !n.gater.offline.Load() }

// Disconnect closes every connection to a peer (it may reconnect).
func (n *Node) Disconnect(p peer.ID) error { return n.host.Network().ClosePeer(p) }

// Close stops gossip, sync and the host. Safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.cancel()
		n.validating.Lock() // waits for the validators under way
		n.closed = true
		n.validating.Unlock()
		if n.mdns != nil {
			n.mdns.Close()
		}
		n.wg.Wait()
		n.closeErr = n.host.Close()
	})
	return n.closeErr
}

// enterValidator reports whether the node is open and, if so, holds off
// Close until leaveValidator.
func (n *Node) enterValidator() bool {
	n.validating.RLock()
	if n.closed {
		n.validating.RUnlock()
		return false
	}
	return true
}

func (n *Node) leaveValidator() { n.validating.RUnlock() }

// penalize adds to a peer's ban score and bans it at BanThreshold.
// Transient penalties decay with a 60 s half-life; the rest never do.
func (n *Node) penalize(p peer.ID, amount int, transient bool, reason string) {
	if p == n.host.ID() || p == "" {
		return
	}
	n.mu.Lock()
	s := n.scores[p]
	if s == nil {
		s = &banScore{}
		n.scores[p] = s
	}
	n.mu.Unlock()
	var total float64
	if transient {
		total = s.add(0, float64(amount), time.Now())
	} else {
		total = s.add(float64(amount), 0, time.Now())
	}
	banned := total >= BanThreshold
	level := slog.LevelWarn
	if transient && !banned {
		level = slog.LevelDebug
	}
	n.log.Log(n.ctx, level, "peer misbehaved", "peer", p, "penalty", amount, "score", total, "reason", reason)
	if banned {
		if _, already := n.gater.bannedUntil(p); !already {
			until := time.Now().Add(n.cfg.BanDuration)
			n.gater.ban(p, until)
			n.log.Warn("peer banned", "peer", p, "until", until.Format(time.RFC3339), "reason", reason)
			if n.cfg.BanFile != "" {
				n.banFileMu.Lock()
				err := saveBans(n.cfg.BanFile, n.gater.bans())
				n.banFileMu.Unlock()
				if err != nil {
					n.log.Error("cannot save the ban list; the ban holds until restart", "file", n.cfg.BanFile, "err", err)
				}
			}
		}
		n.host.Network().ClosePeer(p)
	}
	if n.cfg.hooks != nil && n.cfg.hooks.penalty != nil {
		n.cfg.hooks.penalty(p, amount, total, banned)
	}
}

// serveBudget is p's token bucket for sync responses.
func (n *Node) serveBudget(p peer.ID) *rate.Limiter {
	n.mu.Lock()
	defer n.mu.Unlock()
	lim := n.budgets[p]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(n.cfg.ServeBytesPerSec), n.cfg.ServeBurstBytes)
		n.budgets[p] = lim
	}
	return lim
}

// forgetBudgets drops the buckets of peers that are gone and whose bucket
// has refilled (a peer reconnecting gains nothing by it).
func (n *Node) forgetBudgets() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for p, lim := range n.budgets {
		if n.host.Network().Connectedness(p) != network.Connected && lim.Tokens() >= float64(lim.Burst()) {
			delete(n.budgets, p)
		}
	}
}

// Banned reports whether a peer is currently banned.
func (n *Node) Banned(p peer.ID) bool {
	_, ok := n.gater.bannedUntil(p)
	return ok
}

// Score is a peer's current ban score.
func (n *Node) Score(p peer.ID) float64 {
	n.mu.Lock()
	s := n.scores[p]
	n.mu.Unlock()
	if s == nil {
		return 0
	}
	return s.value(time.Now())
}

// Peers lists connected peers and banned ones, sorted by ID.
func (n *Node) Peers() []PeerInfo {
	bans := n.gater.bans()
	byID := map[peer.ID]*PeerInfo{}
	for _, c := range n.host.Network().Conns() {
		p := c.RemotePeer()
		info := byID[p]
		if info == nil {
			info = &PeerInfo{ID: p, Score: n.Score(p), ConnectedAt: c.Stat().Opened}
			byID[p] = info
		}
		if opened := c.Stat().Opened; opened.Before(info.ConnectedAt) {
			info.ConnectedAt = opened
		}
		info.Addrs = append(info.Addrs, c.RemoteMultiaddr().String())
	}
	for p, until := range bans {
		info := byID[p]
		if info == nil {
			info = &PeerInfo{ID: p, Score: n.Score(p)}
			byID[p] = info
		}
		info.Banned, info.BannedUntil = true, until
	}
	out := make([]PeerInfo, 0, len(byID))
	for _, info := range byID {
		out = append(out, *info)
	}
	slices.SortFunc(out, func(a, b PeerInfo) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// connectedPeers lists peers we may talk to.
func (n *Node) connectedPeers() []peer.ID {
	var out []peer.ID
	for _, p := range n.host.Network().Peers() {
		if !n.Banned(p) {
			out = append(out, p)
		}
	}
	return out
}

func (n *Node) chainNet(kind consensus.ChainKind) (*chainNet, error) {
	for _, cn := range n.chains {
		if cn.kind == kind {
			return cn, nil
		}
	}
	return nil, fmt.Errorf("p2p: chain %s is not served by this node", kind)
}

// BroadcastBlock gossips a block on its chain's topic. Blocks this node
// connects itself are announced automatically (see doc.go); this is for
// re-announcing and for callers that bypass the chain. It does not wait
// for the send, only for room in the outbox.
func (n *Node) BroadcastBlock(kind consensus.ChainKind, b *wire.Block) error {
	cn, err := n.chainNet(kind)
	if err != nil {
		return err
	}
	return cn.enqueue(cn.blockOut, b.Encode())
}

// BroadcastTx gossips a transaction on its chain's topic. Transactions a
// TxPool announces through OnNewTx are gossiped automatically.
func (n *Node) BroadcastTx(kind consensus.ChainKind, tx *wire.Tx) error {
	cn, err := n.chainNet(kind)
	if err != nil {
		return err
	}
	return cn.enqueue(cn.txOut, tx.Encode())
}

// isPeerFault reports a rule violation that proves the sender misbehaved:
// any RuleError except "we already have it" and "too far in the future"
// (which an honest peer with a fast clock can send, and which becomes
// valid later). A block whose parent is unknown is no error at all: the
// chain holds it as an orphan (Result.Orphan).
func isPeerFault(err error) bool {
	var rerr consensus.RuleError
	if !errors.As(err, &rerr) {
		return false
	}
	return !errors.Is(err, consensus.ErrDuplicateBlock) && !errors.Is(err, consensus.ErrTimeTooNew)
}
