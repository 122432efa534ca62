package p2p

import (
	"net/netip"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// newResourceManager builds libp2p's resource manager with this node's
// connection limits: at most cfg.MaxInbound inbound connections in all
// (counted from the moment they are accepted, handshakes included) and
// at most cfg.MaxConnsPerIP connections with any one IPv4 address (IPv6:
// per /56). Loopback addresses are exempt unless cfg.limitLoopback is
// set: local testnets run many nodes on 127.0.0.1. The connection manager
// then trims the peers beyond MaxPeers.
func newResourceManager(cfg *Config) (network.ResourceManager, error) {
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	limits := rcmgr.PartialLimitConfig{
		System:    rcmgr.ResourceLimits{ConnsInbound: rcmgr.LimitVal(cfg.MaxInbound)},
		Transient: rcmgr.ResourceLimits{ConnsInbound: rcmgr.LimitVal(cfg.MaxInbound)},
	}.Build(scaling.AutoScale())
	opts := []rcmgr.Option{
		rcmgr.WithLimitPerSubnet(
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: cfg.MaxConnsPerIP}},
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 56, ConnCount: cfg.MaxConnsPerIP}},
		),
	}
	if cfg.limitLoopback {
		opts = append(opts, rcmgr.WithNetworkPrefixLimit(
			[]rcmgr.NetworkPrefixLimit{{Network: netip.MustParsePrefix("127.0.0.0/8"), ConnCount: cfg.MaxConnsPerIP}},
			[]rcmgr.NetworkPrefixLimit{{Network: netip.MustParsePrefix("::1/128"), ConnCount: cfg.MaxConnsPerIP}},
		))
	}
	return rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits), opts...)
}
