package node

import (
	"sync/atomic"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// metadataLink is the auction chain's view of the metadata chain
// (auction.Metadata) and the pin that keeps anchored metadata blocks on
// the metadata main chain. OpenChains sets meta once the metadata chain
// is open, before the auction chain opens and reads through it. Lock
// order: the auction chain may read the metadata chain while it
// holds its own lock, never the other way round, so the pin is an atomic
// fed from auction-chain events.
type metadataLink struct {
	net  *consensus.Params
	meta *chain.Chain
	pin  atomic.Uint64 // anchor height of the auction tip
}

var _ auction.Metadata = (*metadataLink)(nil)

// Pinned is the metadata chain's chain.Config.Pinned.
func (l *metadataLink) Pinned() uint64 { return l.pin.Load() }

// follow keeps the pin at the auction tip's effective anchor.
func (l *metadataLink) follow(auctionChain *chain.Chain) {
	update := func() {
		a, err := lastAnchor(auctionChain)
		if err == nil {
			l.pin.Store(a.Height)
		}
	}
	update()
	auctionChain.Subscribe(func(chain.Event) { update() })
}

// lastAnchor is the effective anchor of an auction chain's tip.
func lastAnchor(auctionChain *chain.Chain) (wire.Anchor, error) {
	return readTip(auctionChain, auction.LastAnchor)
}

func (l *metadataLink) BlockAt(height uint64) (wire.Hash, keys.Address, bool, error) {
	hash, err := l.meta.HashAtHeight(height)
	if err != nil {
		return wire.Hash{}, keys.Address{}, false, nil // above the tip here (or reorganised away meanwhile)
	}
	hdr, err := l.meta.HeaderByHash(hash)
	if err != nil {
		return wire.Hash{}, keys.Address{}, false, err
	}
	return hash, keys.Address(hdr.Reward), true, nil
}

func (l *metadataLink) TipHeight() uint64 { return l.meta.TipHeight() }

func (l *metadataLink) DeviceAt(device keys.PubKey, height uint64) (auction.DeviceInfo, bool, error) {
	var info auction.DeviceInfo
	var ok bool
	err := l.meta.ViewState(func(v *chain.View) error {
		snap, found, err := registry.DeviceAt(v, device, height)
		if err != nil || !found {
			return err
		}
		ok = true
		info.Auctionable, info.Terms = snap.Auctionable, snap.Terms
		if snap.Owner != "" {
			if info.Owner, err = keys.DecodeAddress(snap.Owner, l.net.AddressHRP); err != nil {
				return consensus.AssertError("registry: device record with bad owner address: " + err.Error())
			}
		}
		return nil
	})
	return info, ok, err
}

// nextAnchor is the anchor a new auction block on the tip carries.
func (n *Node) nextAnchor() (wire.Anchor, error) {
	last, err := lastAnchor(n.Auction)
	if err != nil {
		return wire.Anchor{}, err
	}
	return auction.ChooseAnchor(n.Net, n.link, last)
}
