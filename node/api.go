package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"syscall"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/web"
)

// Info is what node.info returns and what DIR/node.json records while the
// node runs, so tools can find it.
type Info = apitypes.NodeInfo

// Version is reported by node.info; cmd sets it from the build.
var Version = "dev"

func (n *Node) info() Info {
	info := Info{Network: n.Net.Name, Version: Version, PID: os.Getpid(), RPC: n.RPCURL,
		Miner: n.MinerKey.PubKey().String(), Reward: n.Reward.Encode(n.Net.AddressHRP), Mining: n.cfg.Mine}
	if n.P2P != nil {
		info.PeerID, info.P2P = n.P2P.ID().String(), n.P2PAddrs()
		for _, p := range n.P2P.Peers() {
			info.Peers = append(info.Peers, peerJSON(p))
		}
	}
	return info
}

// Backend exposes the node to the API.
func (n *Node) Backend() api.Backend {
	b := api.Backend{
		Net:        n.Net,
		Chains:     map[consensus.ChainKind]*chain.Chain{consensus.MetadataChain: n.Metadata, consensus.AuctionChain: n.Auction},
		Pools:      map[consensus.ChainKind]api.Pool{consensus.AuctionChain: n.AuctionPool, consensus.MetadataChain: n.MetadataPool},
		StateNonce: n.stateNonce,
		Registry:   registryReader{meta: n.Metadata, index: n.Index},
		DeviceAt:   n.link.DeviceAtHeight,
		Account: func(a keys.Address) (uint64, uint64, error) {
			acct, err := n.Account(a)
			return acct.Balance, acct.Nonce, err
		},
		DescribeTransfer: func(tx *wire.Tx) (keys.Address, uint64, bool) {
			if tx.Type != ledger.TxTransfer {
				return keys.Address{}, 0, false
			}
			t, err := ledger.DecodeTransfer(tx.Payload)
			return t.To, t.Amount, err == nil
		},
		NodeInfo: func() any { return n.info() },
		Sync:     n.syncProgress,
	}
	if _, ok := ledger.FaucetKey(n.Net); ok {
		b.Faucet = n.Faucet
	}
	if n.Net.MineOnDemand {
		b.Generate = func(kind consensus.ChainKind, count int) ([]wire.Hash, error) {
			return n.Generate(context.Background(), kind, count)
		}
	}
	return b
}

func (n *Node) startRPC(ctx context.Context) error {
	addr := n.cfg.RPCAddr
	if addr == "off" {
		return nil
	}
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", n.Net.DefaultRPCPort)
	}
	cfg := rpc.DefaultConfig()
	cfg.Logger = n.log
	// Per IP, then per connection: one busy client gets at most 40% of
	// its IP's budget; the operator's CLI, holding the cookie, is exempt.
	cfg.RateLimit, cfg.RateBurst = 500, 1000
	cfg.ConnRateLimit, cfg.ConnRateBurst = 200, 400
	cfg.CookiePath = filepath.Join(n.cfg.DataDir, ".cookie")
	cfg.VirtualHosts = n.cfg.RPCVirtualHosts
	cfg.AllowedOrigins = n.cfg.RPCOrigins
	cfg.Page = web.Handler() // the web marketplace at GET /
	n.RPC = rpc.NewServer(cfg)
	api.Register(n.RPC, api.NewService(n.Backend()), n.feeds)
	n.RPC.Register(rpc.Method{Name: "admin.setNetworkActive", Admin: true,
		Summary: "turn peer-to-peer networking off (disconnect all, refuse all) or on again {active}", Handler: n.setNetworkActive})
	bound, err := n.RPC.ListenAndServe(ctx, addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("API: %w: another node (or program) uses %s; give this one --rpc 127.0.0.1:0 (any free port) or another address, and --listen for its peer-to-peer port", err, addr)
	}
	if err != nil {
		return err
	}
	n.RPCURL = "http://" + bound.String()
	b, _ := json.MarshalIndent(n.info(), "", "  ")
	if err := writeFileAtomic(filepath.Join(n.cfg.DataDir, "node.json"), b, 0o644); err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		os.Remove(filepath.Join(n.cfg.DataDir, "node.json"))
	}()
	n.log.Info("API listening (open the URL in a browser for the web marketplace)", "url", n.RPCURL, "cookie", filepath.Join(n.cfg.DataDir, ".cookie"))
	return nil
}

// setNetworkActive is admin.setNetworkActive.
func (n *Node) setNetworkActive(_ context.Context, raw json.RawMessage) (any, error) {
	var p apitypes.NetworkActiveParams
	if err := rpc.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.Active == nil {
		return nil, &rpc.Error{Code: rpc.CodeInvalidParams, Message: `missing "active": true or false`}
	}
	if n.P2P == nil {
		return nil, &rpc.Error{Code: rpc.CodeInvalidParams, Message: "this node runs without a network (--listen off)"}
	}
	n.P2P.SetNetworkActive(*p.Active)
	return apitypes.NetworkActive{Active: n.P2P.NetworkActive()}, nil
}

// syncProgress reports kind's sync with its peers (none without a
// network: the tip is the target).
func (n *Node) syncProgress(kind consensus.ChainKind) apitypes.SyncProgress {
	c := n.Metadata
	if kind == consensus.AuctionChain {
		c = n.Auction
	}
	tip := c.Tip().Height
	pn := n.P2P
	if pn == nil {
		return apitypes.SyncProgress{Height: tip, Target: tip}
	}
	sp := pn.SyncProgress(kind)
	return apitypes.SyncProgress{Syncing: sp.Syncing, Height: sp.Height, Target: sp.Target,
		BlocksPerS: math.Round(sp.BlocksPerSec*10) / 10, ETASeconds: math.Round(sp.ETA.Seconds()*10) / 10, Peers: sp.Peers}
}
