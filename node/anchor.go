package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// metadataLink is the auction chain's view of the metadata chain
// (auction.Metadata) and the fork choice that links the two chains
// (docs/consensus.md, "Fork choice of the linked chains"):
//
//   - the pin (the metadata chain's chain.Config.Pinned) is the anchor of
//     the auction tip, so the metadata chain keeps the block the auction
//     main chain anchors;
//   - except while the auction chain holds a heavier branch that is only
//     pending because its anchor lies on a metadata side branch: then the
//     pin is that anchor ("want"), and the metadata chain moves to the best
//     branch containing it so the heavier auction branch can connect.
//
// A goroutine (settle) owns the retries: it runs when either chain moves,
// when the auction chain stored a pending block (chain.Config.OnPending),
// and every settleBackstop while a heavier auction branch is pending.
// Lock order: the auction chain may read the metadata chain while it holds
// its own lock, never the other way round, so the pin is read from atomics.
type metadataLink struct {
	net       *consensus.Params
	meta      *chain.Chain
	auction   *chain.Chain
	log       *slog.Logger
	tipAnchor atomic.Value // wire.Hash: effective anchor of the auction tip
	want      atomic.Value // wire.Hash: anchor of a heavier pending auction branch, or zero
	lastPin   wire.Hash    // owned by settle
	poke      chan struct{}
	stop      chan struct{}
	done      sync.WaitGroup
	stopOnce  sync.Once
}

var _ auction.Metadata = (*metadataLink)(nil)

const settleBackstop = 2 * time.Second

func newMetadataLink(net *consensus.Params, log *slog.Logger) *metadataLink {
	l := &metadataLink{net: net, log: log, poke: make(chan struct{}, 1), stop: make(chan struct{})}
	l.tipAnchor.Store(wire.Hash{})
	l.want.Store(wire.Hash{})
	return l
}

// Pinned is the metadata chain's chain.Config.Pinned.
func (l *metadataLink) Pinned() wire.Hash {
	if w := l.want.Load().(wire.Hash); w != (wire.Hash{}) {
		return w
	}
	return l.tipAnchor.Load().(wire.Hash)
}

// start follows both chains and runs the settle loop until close.
func (l *metadataLink) start(auctionChain *chain.Chain) {
	l.auction = auctionChain
	l.updateTipAnchor()
	auctionChain.Subscribe(func(chain.Event) { l.updateTipAnchor(); l.wake() })
	l.meta.Subscribe(func(chain.Event) { l.wake() })
	l.done.Add(1)
	go l.run()
	l.wake()
}

func (l *metadataLink) close() {
	l.stopOnce.Do(func() { close(l.stop) })
	l.done.Wait()
}

func (l *metadataLink) wake() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

func (l *metadataLink) run() {
	defer l.done.Done()
	// A metadata block stored on a side branch moves no tip and sends no
	// event, yet may be the anchor a pending auction block waits for: while
	// anything is pending, look again every settleBackstop.
	tick := time.NewTicker(settleBackstop)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.poke:
		case <-tick.C:
			if _, pending := l.auction.HeaviestPending(); !pending {
				continue
			}
		}
		l.settle()
	}
}

// settle retries pending auction blocks, recomputes the pin and, when it
// changed, lets the metadata chain's fork choice follow it.
func (l *metadataLink) settle() {
	if err := l.auction.RetryPending(); err != nil {
		l.log.Warn("auction chain: retrying pending blocks", "err", err)
	}
	want := wire.Hash{}
	if p, ok := l.auction.HeaviestPending(); ok && p.Header.Anchor != (wire.Anchor{}) {
		info, known := l.meta.BlockInfo(p.Header.Anchor.Hash)
		if known && info.HaveData && !info.Invalid && info.Height == p.Header.Anchor.Height {
			want = p.Header.Anchor.Hash
		}
	}
	if old := l.want.Swap(want).(wire.Hash); old != want && want != (wire.Hash{}) {
		// An anchor that extends the metadata tip is the everyday case of
		// a node catching up (the auction block arrived before its anchor
		// connected): not worth an info line per block. One on a side
		// branch is a real switch of the metadata chain.
		level := slog.LevelInfo
		tip := l.meta.Tip()
		if a, ok := l.meta.AncestorAt(want, tip.Height); ok && a.Hash() == tip.Hash {
			level = slog.LevelDebug
		}
		l.log.Log(context.Background(), level, "metadata chain follows a heavier auction branch's anchor", "anchor", want, "height", l.heightOf(want))
	}
	if pin := l.Pinned(); pin != l.lastPin {
		l.lastPin = pin
		if err := l.meta.PinChanged(); err != nil {
			l.log.Warn("metadata chain: fork choice after the pin moved", "err", err)
		}
	}
}

func (l *metadataLink) heightOf(h wire.Hash) uint64 {
	info, _ := l.meta.BlockInfo(h)
	return info.Height
}

// updateTipAnchor keeps the pin at the auction tip's effective anchor.
func (l *metadataLink) updateTipAnchor() {
	if a, err := lastAnchor(l.auction); err == nil {
		l.tipAnchor.Store(a.Hash)
	}
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

func (l *metadataLink) Block(hash wire.Hash) (auction.MetaBlock, bool, error) {
	info, ok := l.meta.BlockInfo(hash)
	if !ok {
		return auction.MetaBlock{}, false, nil
	}
	out := auction.MetaBlock{Height: info.Height, HaveData: info.HaveData, Invalid: info.Invalid, MainChain: info.MainChain}
	if info.MainChain {
		out.Depth = info.TipHeight - info.Height
	}
	return out, true, nil
}

func (l *metadataLink) AncestorAt(hash wire.Hash, height uint64) (wire.Hash, keys.Address, bool, error) {
	hdr, ok := l.meta.AncestorAt(hash, height)
	if !ok {
		return wire.Hash{}, keys.Address{}, false, nil
	}
	return hdr.Hash(), keys.Address(hdr.Reward), true, nil
}

// DeviceAt reads the device right after the anchored block, through a
// snapshot taken while that block is on the metadata main chain (the
// registry keeps device history by height, so that is its own branch).
func (l *metadataLink) DeviceAt(device keys.PubKey, at wire.Anchor) (auction.DeviceInfo, bool, error) {
	var info auction.DeviceInfo
	var ok bool
	err := l.meta.ViewStateOnMain(at.Hash, func(v *chain.View) (err error) {
		info, ok, err = l.deviceIn(v, device, at.Height)
		return err
	})
	if errors.Is(err, chain.ErrNotOnMainChain) {
		return info, false, fmt.Errorf("%w: %v", auction.ErrAnchorPending, err)
	}
	return info, ok, err
}

// DeviceAtHeight is the device right after the metadata main-chain block
// at height (the API's view for a bidder).
func (l *metadataLink) DeviceAtHeight(device keys.PubKey, height uint64) (auction.DeviceInfo, bool, error) {
	var info auction.DeviceInfo
	var ok bool
	err := l.meta.ViewState(func(v *chain.View) (err error) {
		info, ok, err = l.deviceIn(v, device, height)
		return err
	})
	return info, ok, err
}

func (l *metadataLink) deviceIn(v *chain.View, device keys.PubKey, height uint64) (auction.DeviceInfo, bool, error) {
	var info auction.DeviceInfo
	snap, found, err := registry.DeviceAt(v, device, height)
	if err != nil || !found {
		return info, false, err
	}
	info.Auctionable, info.Terms = snap.Auctionable, snap.Terms
	if snap.Owner != "" {
		if info.Owner, err = keys.DecodeAddress(snap.Owner, l.net.AddressHRP); err != nil {
			return info, false, consensus.AssertError("registry: device record with bad owner address: " + err.Error())
		}
	}
	return info, true, nil
}

// nextAnchor is the anchor a new auction block on the tip carries.
func (n *Node) nextAnchor() (wire.Anchor, error) {
	last, err := lastAnchor(n.Auction)
	if err != nil {
		return wire.Anchor{}, err
	}
	return auction.ChooseAnchor(n.Net, n.link, last)
}
