package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ChainAPI is what the network needs of a chain (*chain.Chain).
type ChainAPI interface {
	Params() *consensus.ChainParams
	ProcessBlockBytes(ctx context.Context, b []byte) (chain.Result, error)
	CheckHeaderSanity(h *wire.Header) error
	CheckTxSanity(tx *wire.Tx) error
	HaveBlock(h wire.Hash) bool
	BlockBytes(h wire.Hash) ([]byte, error)
	Locator() []wire.Hash
	HeadersAfter(locator []wire.Hash, max int) []wire.Header
	Tip() chain.TipInfo
	Subscribe(fn func(chain.Event))
}

var _ ChainAPI = (*chain.Chain)(nil)

// TxPool is where gossiped transactions go and where local ones come from.
type TxPool interface {
	Add(tx *wire.Tx) error
	OnNewTx(fn func(*wire.Tx))
}

// ChainHandle is one chain the node serves; Pool may be nil (transactions
// are then checked for sanity and relayed, not kept).
type ChainHandle struct {
	Chain ChainAPI
	Pool  TxPool
}

// Config sets up a Node.
type Config struct {
	NetworkName  string
	ListenAddrs  []string // default 127.0.0.1, any free TCP and QUIC port
	IdentityPath string   // "" = a fresh identity each start
	Bootstrap    []string // multiaddrs ending in /p2p/<peer ID>
	EnableMDNS   bool
	MaxPeers     int       // default 64
	Allowlist    []peer.ID // non-empty: only these peers may connect
	BanDuration  time.Duration
	SyncInterval time.Duration // default 5 s
	Logger       *slog.Logger
	Chains       []ChainHandle
}

// PeerInfo describes a connected or banned peer.
type PeerInfo struct {
	ID          string    `json:"id"`
	Addrs       []string  `json:"addrs"`
	Score       float64   `json:"score"`
	Banned      bool      `json:"banned"`
	BannedUntil time.Time `json:"banned_until,omitzero"`
}

// Node is the network side of a thingchain process.
type Node struct {
	cfg    Config
	host   host.Host
	ps     *pubsub.PubSub
	log    *slog.Logger
	chains []*chainNet
	gater  *gater

	mu     sync.Mutex
	scores map[peer.ID]*banScore

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// gater refuses banned peers and, when an allowlist is set, everyone else.
type gater struct {
	mu      sync.Mutex
	banned  map[peer.ID]time.Time
	allowed map[peer.ID]bool
}

func (g *gater) permit(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until, ok := g.banned[p]; ok {
		if time.Now().Before(until) {
			return false
		}
		delete(g.banned, p)
	}
	return len(g.allowed) == 0 || g.allowed[p]
}

func (g *gater) InterceptPeerDial(p peer.ID) bool                       { return g.permit(p) }
func (g *gater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool           { return true }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool            { return true }
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.permit(p)
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

// New starts the libp2p host and joins the topics; Start begins gossip and
// sync.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.ListenAddrs) == 0 {
		cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	}
	if cfg.MaxPeers == 0 {
		cfg.MaxPeers = 64
	}
	if cfg.BanDuration == 0 {
		cfg.BanDuration = 24 * time.Hour
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = 5 * time.Second
	}
	var key crypto.PrivKey
	var err error
	if cfg.IdentityPath != "" {
		if key, err = LoadIdentity(cfg.IdentityPath); err != nil {
			return nil, err
		}
	}
	g := &gater{banned: map[peer.ID]time.Time{}, allowed: map[peer.ID]bool{}}
	for _, p := range cfg.Allowlist {
		g.allowed[p] = true
	}
	cm, err := connmgr.NewConnManager(cfg.MaxPeers/2, cfg.MaxPeers, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, err
	}
	opts := []libp2p.Option{libp2p.ListenAddrStrings(cfg.ListenAddrs...), libp2p.ConnectionGater(g), libp2p.ConnectionManager(cm), libp2p.DisableRelay()}
	if key != nil {
		opts = append(opts, libp2p.Identity(key))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host on %v: %w", cfg.ListenAddrs, err)
	}
	n := &Node{cfg: cfg, host: h, log: cfg.Logger.With("component", "p2p"), gater: g, scores: map[peer.ID]*banScore{}}
	n.ctx, n.cancel = context.WithCancel(ctx)
	// Our blocks and transactions carry their own signatures, so pubsub's
	// per-message signatures would only cost throughput (design §7); the
	// message ID is the hash of the payload, so duplicates are dropped
	// whoever relays them. Queues are raised because the defaults drop
	// bursts silently.
	n.ps, err = pubsub.NewGossipSub(n.ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { id := wire.DoubleSHA256(m.Data); return string(id[:]) }),
		pubsub.WithPeerOutboundQueueSize(4096),
		pubsub.WithValidateQueueSize(4096),
		pubsub.WithMaxMessageSize(wire.MaxBlockBytes+4096),
	)
	if err != nil {
		h.Close()
		return nil, err
	}
	for _, ch := range cfg.Chains {
		cn, err := newChainNet(n, ch)
		if err != nil {
			h.Close()
			return nil, err
		}
		n.chains = append(n.chains, cn)
	}
	return n, nil
}

// ID is this node's peer ID.
func (n *Node) ID() peer.ID { return n.host.ID() }

// Addrs are the node's listen addresses with its peer ID appended.
func (n *Node) Addrs() []string {
	var out []string
	for _, a := range n.host.Addrs() {
		out = append(out, a.String()+"/p2p/"+n.host.ID().String())
	}
	return out
}

// Host exposes the libp2p host (tests, diagnostics).
func (n *Node) Host() host.Host { return n.host }

// Start begins gossip, sync, bootstrap dialling and (optionally) mDNS.
func (n *Node) Start() error {
	n.host.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		for _, cn := range n.chains {
			cn.kick()
		}
	}})
	for _, cn := range n.chains {
		cn.start()
	}
	for _, addr := range n.cfg.Bootstrap {
		info, err := peer.AddrInfoFromString(addr)
		if err != nil {
			return fmt.Errorf("bootstrap peer %q: %w (want /ip4/HOST/tcp/PORT/p2p/PEERID)", addr, err)
		}
		n.wg.Add(1)
		go n.keepConnected(*info)
	}
	if n.cfg.EnableMDNS {
		svc := mdns.NewMdnsService(n.host, "thingchain-"+n.cfg.NetworkName, mdnsNotifee{n})
		if err := svc.Start(); err != nil {
			n.log.Warn("mDNS not started", "err", err)
		}
	}
	return nil
}

type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(info peer.AddrInfo) {
	if info.ID == m.n.host.ID() {
		return
	}
	ctx, cancel := context.WithTimeout(m.n.ctx, 10*time.Second)
	defer cancel()
	m.n.host.Connect(ctx, info)
}

// keepConnected dials a bootstrap peer and redials it whenever the
// connection drops, backing off up to 30 s.
func (n *Node) keepConnected(info peer.AddrInfo) {
	defer n.wg.Done()
	backoff := 500 * time.Millisecond
	for n.ctx.Err() == nil {
		if n.host.Network().Connectedness(info.ID) != network.Connected && n.gater.permit(info.ID) {
			ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
			err := n.host.Connect(ctx, info)
			cancel()
			if err != nil {
				n.log.Debug("bootstrap dial failed", "peer", info.ID, "err", err)
				backoff = min(2*backoff, 30*time.Second)
			} else {
				backoff = 500 * time.Millisecond
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// Connect dials a peer now.
func (n *Node) Connect(ctx context.Context, addr string) error {
	info, err := peer.AddrInfoFromString(addr)
	if err != nil {
		return err
	}
	return n.host.Connect(ctx, *info)
}

// Disconnect closes every connection to a peer.
func (n *Node) Disconnect(p peer.ID) error { return n.host.Network().ClosePeer(p) }

// Close stops everything and closes the host.
func (n *Node) Close() error {
	n.cancel()
	n.wg.Wait()
	return n.host.Close()
}

// penalize adds to a peer's ban score and bans it at the threshold.
func (n *Node) penalize(p peer.ID, amount int, reason string) {
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
	persistent, transient := float64(0), float64(amount)
	if amount >= PenaltyMalformed {
		persistent, transient = float64(amount), 0
	}
	total := s.add(persistent, transient, time.Now())
	n.log.Warn("peer misbehaved", "peer", p, "penalty", amount, "score", total, "reason", reason)
	if total >= BanThreshold {
		n.gater.mu.Lock()
		n.gater.banned[p] = time.Now().Add(n.cfg.BanDuration)
		n.gater.mu.Unlock()
		n.host.Network().ClosePeer(p)
		n.log.Warn("peer banned", "peer", p, "until", time.Now().Add(n.cfg.BanDuration).Format(time.RFC3339))
	}
}

// Banned reports whether a peer is currently banned.
func (n *Node) Banned(p peer.ID) bool {
	n.gater.mu.Lock()
	defer n.gater.mu.Unlock()
	until, ok := n.gater.banned[p]
	return ok && time.Now().Before(until)
}

// Peers lists connected peers and banned ones.
func (n *Node) Peers() []PeerInfo {
	now := time.Now()
	var out []PeerInfo
	for _, p := range n.host.Network().Peers() {
		info := PeerInfo{ID: p.String()}
		for _, a := range n.host.Peerstore().Addrs(p) {
			info.Addrs = append(info.Addrs, a.String())
		}
		n.mu.Lock()
		if s := n.scores[p]; s != nil {
			info.Score = s.value(now)
		}
		n.mu.Unlock()
		out = append(out, info)
	}
	n.gater.mu.Lock()
	for p, until := range n.gater.banned {
		if now.Before(until) {
			out = append(out, PeerInfo{ID: p.String(), Banned: true, BannedUntil: until})
		}
	}
	n.gater.mu.Unlock()
	slices.SortFunc(out, func(a, b PeerInfo) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
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

// isRuleError reports a peer's fault: a rule violation other than "we
// already have it" or "parent unknown".
func isRuleError(err error) bool {
	var rerr consensus.RuleError
	return errors.As(err, &rerr) && !errors.Is(err, consensus.ErrDuplicateBlock) && !errors.Is(err, consensus.ErrOrphan)
}

func workOf(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// BroadcastBlock gossips a block on its chain now.
func (n *Node) BroadcastBlock(b *wire.Block) {
	for _, cn := range n.chains {
		if cn.h.Chain.Params().ChainID == b.Header.ChainID {
			cn.broadcastBlock(b)
		}
	}
}
