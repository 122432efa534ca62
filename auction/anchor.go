package auction

import (
	"fmt"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// checkAnchor applies the anchor rule to a header and returns the
// block's effective anchor, the previous one and whether the anchor moved.
//
// The all-zero anchor carries the previous anchor forward (a miner with no
// fresh metadata block to anchor, and the mempool's scratch header, use
// it). Any other anchor must not be below the previous one; at the same
// height it must name the same block; above it, it may move at most
// MaxAnchorStep blocks and must name a metadata block at that height that
// descends from the previous anchor and is not invalid. These are the
// block's faults (consensus.ErrBadAnchor), decided from the metadata
// headers alone. What depends on this node's view of the metadata chain
// is not: a block it does not know (yet), one on a side branch of its
// metadata chain, or one on its main chain less than k = AnchorDepth deep
// gives a plain error wrapping ErrAnchorPending.
func (m *Machine) checkAnchor(v *chain.View, h *wire.Header) (anchor, prev wire.Anchor, moved bool, err error) {
	prev, err = LastAnchor(v)
	if err != nil {
		return prev, prev, false, err
	}
	a := h.Anchor
	if a == (wire.Anchor{}) {
		return prev, prev, false, nil
	}
	first := prev == (wire.Anchor{})
	if !first {
		if a.Height < prev.Height {
			return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor height %d is below the previous anchor %d", a.Height, prev.Height)
		}
		if a.Height == prev.Height {
			if a.Hash != prev.Hash {
				return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor %s at height %d differs from the previous anchor %s at that height", a.Hash, a.Height, prev.Hash)
			}
			return prev, prev, false, nil
		}
	}
	if a.Height-prev.Height > m.p.MaxAnchorStep {
		return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor moves %d metadata blocks, at most %d per block", a.Height-prev.Height, m.p.MaxAnchorStep)
	}
	info, known, err := m.meta.Block(a.Hash)
	if err != nil {
		return prev, prev, false, fmt.Errorf("auction: look up metadata block %s: %w", a.Hash, err)
	}
	if !known {
		return prev, prev, false, fmt.Errorf("%w: metadata block %s (height %d) is not known here", ErrAnchorPending, a.Hash, a.Height)
	}
	if info.Height != a.Height {
		return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor names %s at metadata height %d, but that block is at height %d", a.Hash, a.Height, info.Height)
	}
	if info.Invalid {
		return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchored metadata block %s at height %d is invalid", a.Hash, a.Height)
	}
	if !first {
		anc, _, ok, err := m.meta.AncestorAt(a.Hash, prev.Height)
		if err != nil {
			return prev, prev, false, fmt.Errorf("auction: read the ancestry of metadata block %s: %w", a.Hash, err)
		}
		if !ok {
			return prev, prev, false, fmt.Errorf("%w: ancestry of metadata block %s not known here", ErrAnchorPending, a.Hash)
		}
		if anc != prev.Hash {
			return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor %s at height %d does not descend from the previous anchor %s at height %d", a.Hash, a.Height, prev.Hash, prev.Height)
		}
	}
	if !info.HaveData || !info.MainChain {
		return prev, prev, false, fmt.Errorf("%w: metadata block %s at height %d is on a side branch here", ErrAnchorPending, a.Hash, a.Height)
	}
	if k := m.net.Auction.AnchorDepth; info.Depth < k {
		return prev, prev, false, fmt.Errorf("%w: metadata block %d is %d deep here, needs %d", ErrAnchorPending, a.Height, info.Depth, k)
	}
	return a, prev, true, nil
}

// anchorOf is the anchor a transaction in this block is checked against:
// the block's effective anchor.
func (m *Machine) anchorOf(v *chain.View, ctx *chain.BlockContext) (wire.Anchor, error) {
	a, _, _, err := m.checkAnchor(v, ctx.Header)
	return a, err
}

// device returns what the metadata state right after the anchored block
// says of a device, refusing devices that are not auctionable there.
func (m *Machine) device(device keys.PubKey, at wire.Anchor) (DeviceInfo, error) {
	info, ok, err := m.meta.DeviceAt(device, at)
	if err != nil {
		return info, fmt.Errorf("auction: read device %s at metadata block %s (height %d): %w", device, at.Hash, at.Height, err)
	}
	if !ok {
		return info, consensus.RuleErrorf(ErrDeviceNotAuctionable, "device %s is not attested at anchored metadata height %d", device, at.Height)
	}
	if !info.Auctionable {
		return info, consensus.RuleErrorf(ErrDeviceNotAuctionable, "device %s is disabled or its OEM revoked at anchored metadata height %d", device, at.Height)
	}
	if info.Terms.PointsPerPeriod == 0 || info.Terms.AccessPeriodSeconds == 0 {
		return info, consensus.RuleErrorf(ErrDeviceNotAuctionable, "device %s has no usable terms at metadata height %d", device, at.Height)
	}
	return info, nil
}

// payMetadataMiners splits the pool evenly among the reward addresses of
// metadata blocks from..to.Height on the anchored block's own branch (one
// share per block, so a miner of two blocks gets two); what does not
// divide evenly stays in the pool for the next move.
func (m *Machine) payMetadataMiners(v *chain.View, from uint64, to wire.Anchor) error {
	if from > to.Height {
		return nil
	}
	pool, err := MetadataPool(v)
	if err != nil || pool == 0 {
		return err
	}
	n := to.Height - from + 1
	each := pool / n
	if each == 0 {
		return nil
	}
	rewards := make([]keys.Address, n) // by height, from first
	cur := to.Hash
	for h := to.Height; ; h-- {
		hash, reward, ok, err := m.meta.AncestorAt(cur, h)
		if err != nil {
			return fmt.Errorf("auction: read metadata block %d below %s: %w", h, to.Hash, err)
		}
		if !ok {
			return fmt.Errorf("%w: metadata block %d below %s not known here", ErrAnchorPending, h, to.Hash)
		}
		rewards[h-from], cur = reward, hash
		if h == from {
			break
		}
	}
	order := make([]keys.Address, 0, n)
	owed := make(map[keys.Address]uint64, n)
	for _, reward := range rewards {
		if _, seen := owed[reward]; !seen {
			order = append(order, reward)
		}
		owed[reward] += each
	}
	if err := subU64(v, keyMetadataPool, each*n); err != nil {
		return err
	}
	for _, a := range order {
		if err := ledger.Credit(v, a, owed[a]); err != nil {
			return err
		}
	}
	return nil
}

// ChooseAnchor is the anchor a miner should put in its next auction block:
// the metadata main-chain block k deep, moved at most MaxAnchorStep past
// the previous anchor, or the zero anchor (carry the previous one) when
// nothing newer is deep enough or the main chain does not descend from
// the previous anchor. last is LastAnchor of the tip state.
func ChooseAnchor(net *consensus.Params, meta Metadata, last wire.Anchor) (wire.Anchor, error) {
	k := net.Auction.AnchorDepth
	tip := meta.TipHeight()
	if tip < k {
		return wire.Anchor{}, nil
	}
	target := tip - k
	if last != (wire.Anchor{}) && target <= last.Height {
		return wire.Anchor{}, nil
	}
	if target-last.Height > net.Auctions.MaxAnchorStep {
		target = last.Height + net.Auctions.MaxAnchorStep
	}
	hash, _, ok, err := meta.BlockAt(target)
	if err != nil || !ok {
		return wire.Anchor{}, err
	}
	if last != (wire.Anchor{}) {
		// While the metadata chain follows a heavier auction branch's
		// anchor, its main chain need not descend from this tip's anchor:
		// carry the anchor rather than mine an invalid block.
		anc, _, ok, err := meta.AncestorAt(hash, last.Height)
		if err != nil || !ok || anc != last.Hash {
			return wire.Anchor{}, err
		}
	}
	return wire.Anchor{Height: target, Hash: hash}, nil
}
