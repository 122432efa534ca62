package auction

import (
	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// totalPrice is auctiontx.TotalPrice.
func totalPrice(perPoint, points uint64) (uint64, error) {
	return auctiontx.TotalPrice(perPoint, points)
}

// escrowFrom debits amount from an address into escrow.
func (m *Machine) escrowFrom(v *chain.View, from keys.Address, amount uint64, what string) error {
	acct, err := ledger.GetAccount(v, from)
	if err != nil {
		return err
	}
	if acct.Balance < amount {
		return consensus.RuleErrorf(ErrNoFunds, "%s has %s, %s needs %s", from.Encode(m.net.AddressHRP),
			ledger.FormatAmount(acct.Balance), what, ledger.FormatAmount(amount))
	}
	acct.Balance -= amount
	ledger.PutAccount(v, from, acct)
	return addU64(v, keyEscrow, amount)
}

// --- open ---

func (m *Machine) sanityOpen(tx *wire.Tx) error {
	_, err := DecodeOpenAuction(tx.Payload)
	return err
}

func (m *Machine) applyOpen(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error {
	o, err := DecodeOpenAuction(tx.Payload)
	if err != nil {
		return err
	}
	at, err := m.anchorOf(v, ctx)
	if err != nil {
		return err
	}
	info, err := m.device(o.Device, at)
	if err != nil {
		return err
	}
	if info.Owner != sender {
		return consensus.RuleErrorf(ErrSellerNotOwner, "device %s belongs to %s, not the sender %s", o.Device,
			info.Owner.Encode(m.net.AddressHRP), sender.Encode(m.net.AddressHRP))
	}
	n, err := AuctionCount(v, o.Device)
	if err != nil {
		return err
	}
	if o.Seq != n {
		if o.Seq < n {
			return consensus.RuleErrorf(ErrBadPhase, "auction %d of device %s was already opened; the next is %d", o.Seq, o.Device, n)
		}
		return consensus.RuleErrorf(ErrNoSuchAuction, "device %s has %d auctions; the next is %d, not %d", o.Device, n, n, o.Seq)
	}
	if err := m.checkNoneRunning(v, o.Device, n, ctx.Height); err != nil {
		return err
	}
	_, err = m.open(v, o.Device, n, info, ctx.Height)
	return err
}

// checkNoneRunning refuses to open auction n while auction n-1 is still
// in its commit or reveal phase.
func (m *Machine) checkNoneRunning(v *chain.View, device keys.PubKey, n, height uint64) error {
	if n == 0 {
		return nil
	}
	prev, err := GetAuction(v, AuctionID(device, n-1))
	if err != nil {
		return err
	}
	if prev == nil {
		return consensus.AssertError("auction list of a device has a gap")
	}
	if prev.Status == StatusOpen && height <= prev.CloseHeight {
		return consensus.RuleErrorf(ErrBadPhase, "auction %d of device %s runs until height %d; bid in it or wait", n-1, device, prev.CloseHeight)
	}
	return nil
}

func (m *Machine) open(v *chain.View, device keys.PubKey, seq uint64, info DeviceInfo, height uint64) (*Auction, error) {
	if _, err := totalPrice(info.Terms.ReservePerPoint, info.Terms.PointsPerPeriod); err != nil {
		return nil, err
	}
	a := &Auction{
		ID: AuctionID(device, seq), Device: device, Seq: seq, Owner: info.Owner, Terms: info.Terms,
		OpenHeight: height, CommitEnd: height + m.p.CommitBlocks,
		CloseHeight: height + m.p.CommitBlocks + m.p.RevealBlocks - 1,
		Status:      StatusOpen,
	}
	v.PutUint64(key(prefixDevSeq, device[:]), seq+1)
	if err := schedule(v, a.CloseHeight, a.ID, dueClose); err != nil {
		return nil, err
	}
	putAuction(v, a)
	return a, nil
}

// --- commit ---

func (m *Machine) sanityCommit(tx *wire.Tx) error {
	c, err := DecodeCommitBids(tx.Payload)
	if err != nil {
		return err
	}
	if len(c.Bids) > m.p.MaxBidsPerTx {
		return consensus.RuleErrorf(ErrTooManyBids, "%d bids in one transaction, at most %d", len(c.Bids), m.p.MaxBidsPerTx)
	}
	type ref struct {
		d   keys.PubKey
		seq uint64
	}
	seen := make(map[ref]struct{}, len(c.Bids))
	for i, b := range c.Bids {
		if b.Deposit == 0 {
			return consensus.RuleErrorf(ErrZeroDeposit, "bid %d carries no deposit", i)
		}
		r := ref{b.Device, b.Seq}
		if _, dup := seen[r]; dup {
			return consensus.RuleErrorf(ErrDuplicateBid, "bid %d repeats auction %d of device %s", i, b.Seq, b.Device)
		}
		seen[r] = struct{}{}
	}
	return nil
}

// applyCommit returns the handler of TxCommitBids (full=false: bond-only
// bids) or TxCommitFullBids (full=true).
func (m *Machine) applyCommit(full bool) func(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error {
	return func(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error {
		return m.commitBatch(v, tx, ctx, sender, full)
	}
}

func (m *Machine) commitBatch(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address, full bool) error {
	c, err := DecodeCommitBids(tx.Payload)
	if err != nil {
		return err
	}
	at, err := m.anchorOf(v, ctx)
	if err != nil {
		return err
	}
	nBids, err := v.GetUint64(key(prefixMyBidN, sender[:]))
	if err != nil {
		return err
	}
	for i := range c.Bids {
		if err := m.commitOne(v, &c.Bids[i], keys.PubKey(tx.Sender), sender, at, ctx.Height, nBids, full); err != nil {
			return err
		}
		nBids++
	}
	v.PutUint64(key(prefixMyBidN, sender[:]), nBids)
	return nil
}

func (m *Machine) commitOne(v *chain.View, c *BidCommit, senderKey keys.PubKey, sender keys.Address, at wire.Anchor, height, myN uint64, full bool) error {
	info, err := m.device(c.Device, at)
	if err != nil {
		return err
	}
	n, err := AuctionCount(v, c.Device)
	if err != nil {
		return err
	}
	var a *Auction
	switch {
	case c.Seq < n:
		if a, err = GetAuction(v, AuctionID(c.Device, c.Seq)); err != nil {
			return err
		}
		if a == nil {
			return consensus.AssertError("auction list of a device has a gap")
		}
		if a.Status != StatusOpen || height >= a.CommitEnd {
			return consensus.RuleErrorf(ErrBadPhase, "auction %d of device %s took commits until height %d; this is %d", c.Seq, c.Device, a.CommitEnd-1, height)
		}
	case c.Seq == n:
		if err := m.checkNoneRunning(v, c.Device, n, height); err != nil {
			return err
		}
		if a, err = m.open(v, c.Device, n, info, height); err != nil {
			return err
		}
	default:
		return consensus.RuleErrorf(ErrNoSuchAuction, "device %s has %d auctions; the next is %d, not %d", c.Device, n, n, c.Seq)
	}
	if a.Bids >= uint32(m.p.MaxBidsPerAuction) {
		return consensus.RuleErrorf(ErrAuctionFull, "auction %s has %d bids, the most allowed", a.ID, a.Bids)
	}
	bk := key(prefixBid, a.ID[:], sender[:])
	if _, dup, err := v.Get(bk); err != nil || dup {
		if err != nil {
			return err
		}
		return consensus.RuleErrorf(ErrDuplicateBid, "%s already bid in auction %s", sender.Encode(m.net.AddressHRP), a.ID)
	}
	reserve, err := totalPrice(a.Terms.ReservePerPoint, a.Terms.PointsPerPeriod)
	if err != nil {
		return err
	}
	if full && c.Deposit < reserve {
		// A full-deposit bid covers its own total, which is at least
		// the reserve's if it is ever to win.
		return consensus.RuleErrorf(ErrInsufficientDeposit, "full deposit %s is below the reserve price's total, %s",
			ledger.FormatAmount(c.Deposit), ledger.FormatAmount(reserve))
	}
	if least := bondOf(reserve, m.p.BondPermille); c.Deposit < least {
		return consensus.RuleErrorf(ErrInsufficientDeposit, "deposit %s is below the bond of the reserve price, %s",
			ledger.FormatAmount(c.Deposit), ledger.FormatAmount(least))
	}
	if err := m.escrowFrom(v, sender, c.Deposit, "the deposit"); err != nil {
		return err
	}
	b := &Bid{Auction: a.ID, Index: a.Bids, Bidder: sender, BidderKey: senderKey, Commitment: c.Commitment,
		Deposit: c.Deposit, Height: height, Status: BidSealed, Full: full}
	v.Put(bk, b.encode())
	v.Put(key(prefixBidIndex, a.ID[:], be32(a.Bids)), sender[:])
	v.Put(key(prefixMyBid, sender[:], be64(myN)), a.ID[:])
	a.Bids++
	putAuction(v, a)
	return nil
}

// --- reveal ---

func (m *Machine) sanityReveal(tx *wire.Tx) error {
	rb, err := DecodeRevealBids(tx.Payload)
	if err != nil {
		return err
	}
	if len(rb.Reveals) > m.p.MaxBidsPerTx {
		return consensus.RuleErrorf(ErrTooManyBids, "%d reveals in one transaction, at most %d", len(rb.Reveals), m.p.MaxBidsPerTx)
	}
	for i, r := range rb.Reveals {
		if r.AmountPerPoint == 0 {
			return consensus.RuleErrorf(ErrZeroBid, "reveal %d is a bid of zero", i)
		}
	}
	return nil
}

func (m *Machine) applyReveal(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error {
	rb, err := DecodeRevealBids(tx.Payload)
	if err != nil {
		return err
	}
	for i := range rb.Reveals {
		if err := m.revealOne(v, &rb.Reveals[i], sender, ctx.Height); err != nil {
			return err
		}
	}
	return nil
}

func (m *Machine) revealOne(v *chain.View, r *Reveal, sender keys.Address, height uint64) error {
	a, err := GetAuction(v, r.Auction)
	if err != nil {
		return err
	}
	if a == nil {
		return consensus.RuleErrorf(ErrNoSuchAuction, "no auction %s", r.Auction)
	}
	if a.Status != StatusOpen || height > a.CloseHeight {
		return consensus.RuleErrorf(ErrLateReveal, "auction %s closed at height %d; this is %d", a.ID, a.CloseHeight, height)
	}
	if height < a.CommitEnd {
		return consensus.RuleErrorf(ErrBadPhase, "auction %s reveals from height %d; this is %d", a.ID, a.CommitEnd, height)
	}
	b, err := GetBid(v, a.ID, sender)
	if err != nil {
		return err
	}
	if b == nil {
		return consensus.RuleErrorf(ErrNoBid, "%s has no bid in auction %s", sender.Encode(m.net.AddressHRP), a.ID)
	}
	if b.Status != BidSealed {
		return consensus.RuleErrorf(ErrDoubleReveal, "bid of %s in auction %s is already revealed", sender.Encode(m.net.AddressHRP), a.ID)
	}
	if BidCommitment(a.ID, r.AmountPerPoint, r.Salt, sender) != b.Commitment {
		return consensus.RuleErrorf(ErrRevealMismatch, "amount and salt do not match the commitment of %s in auction %s", sender.Encode(m.net.AddressHRP), a.ID)
	}
	total, err := totalPrice(r.AmountPerPoint, a.Terms.PointsPerPeriod)
	if err != nil {
		return err
	}
	if b.Full && b.Deposit < total {
		return consensus.RuleErrorf(ErrInsufficientDeposit, "full deposit %s does not cover the bid's total, %s",
			ledger.FormatAmount(b.Deposit), ledger.FormatAmount(total))
	}
	if least := bondOf(total, m.p.BondPermille); b.Deposit < least {
		return consensus.RuleErrorf(ErrInsufficientDeposit, "deposit %s is below the bond of the bid, %s",
			ledger.FormatAmount(b.Deposit), ledger.FormatAmount(least))
	}
	b.Status = BidRevealed
	b.AmountPerPoint = r.AmountPerPoint
	putBid(v, b)
	return nil
}

// --- pay ---

func (m *Machine) sanityPay(tx *wire.Tx) error {
	_, err := DecodePay(tx.Payload)
	return err
}

func (m *Machine) applyPay(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error {
	p, err := DecodePay(tx.Payload)
	if err != nil {
		return err
	}
	a, err := GetAuction(v, p.Auction)
	if err != nil {
		return err
	}
	if a == nil {
		return consensus.RuleErrorf(ErrNoSuchAuction, "no auction %s", p.Auction)
	}
	b, err := GetBid(v, a.ID, sender)
	if err != nil {
		return err
	}
	if a.Status != StatusAwaitingPayment || a.Winner != sender || b == nil {
		if b != nil && b.Status == BidForfeited && b.AmountPerPoint != 0 {
			return consensus.RuleErrorf(ErrPaymentLate, "the payment window of %s in auction %s lapsed; its bond was forfeited", sender.Encode(m.net.AddressHRP), a.ID)
		}
		return consensus.RuleErrorf(ErrNotWinner, "%s is not the winner awaiting payment in auction %s (%s)", sender.Encode(m.net.AddressHRP), a.ID, a.Phase(ctx.Height))
	}
	if err := m.escrowFrom(v, sender, a.Price-b.Deposit, "the payment"); err != nil {
		return err
	}
	b.Deposit = 0
	b.Status = BidWon
	putBid(v, b)
	if err := m.markPaid(v, a, ctx.Height); err != nil {
		return err
	}
	putAuction(v, a)
	return nil
}

// --- deliver ---

func (m *Machine) sanityDeliver(tx *wire.Tx) error {
	d, err := DecodeDeliverKey(tx.Payload)
	if err != nil {
		return err
	}
	if n := len(d.EncryptedKey); n <= keys.ECIESOverhead || n > m.p.MaxKeyCiphertext {
		return consensus.RuleErrorf(ErrBadKey, "encrypted key of %d bytes, want %d..%d", n, keys.ECIESOverhead+1, m.p.MaxKeyCiphertext)
	}
	return nil
}

func (m *Machine) applyDeliver(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, _ keys.Address) error {
	d, err := DecodeDeliverKey(tx.Payload)
	if err != nil {
		return err
	}
	a, err := GetAuction(v, d.Auction)
	if err != nil {
		return err
	}
	if a == nil {
		return consensus.RuleErrorf(ErrNoSuchAuction, "no auction %s", d.Auction)
	}
	if keys.PubKey(tx.Sender) != a.Device {
		return consensus.RuleErrorf(ErrNotDevice, "key delivery for auction %s must be signed by device %s", a.ID, a.Device)
	}
	switch a.Status {
	case StatusPaid:
	case StatusDelivered:
		return consensus.RuleErrorf(ErrAlreadyDelivered, "auction %s was delivered already", a.ID)
	case StatusUndelivered:
		return consensus.RuleErrorf(ErrDeliveryLate, "auction %s had to be delivered by height %d", a.ID, a.DeliveryDeadline)
	default:
		return consensus.RuleErrorf(ErrBadPhase, "auction %s is %s, not awaiting delivery", a.ID, a.Phase(ctx.Height))
	}
	w, err := GetBid(v, a.ID, a.Winner)
	if err != nil {
		return err
	}
	if w == nil {
		return consensus.AssertError("winner of a paid auction has no bid")
	}
	fee := mulDivPermille(a.Price, m.p.ProtocolFeePermille)
	toPool := mulDivPermille(fee, m.p.ProtocolFeeMetadataPermille)
	if toPool > 0 {
		if err := subU64(v, keyEscrow, toPool); err != nil {
			return err
		}
		if err := addU64(v, keyMetadataPool, toPool); err != nil {
			return err
		}
	}
	if err := release(v, keys.Address(ctx.Header.Reward), fee-toPool); err != nil {
		return err
	}
	if err := release(v, a.Owner, a.Price-fee); err != nil {
		return err
	}
	period := a.Terms.AccessPeriodSeconds
	expires := int64(1<<63 - 1)
	if period < uint64(expires-ctx.Time)/1000 {
		expires = ctx.Time + int64(period)*1000
	}
	dl := &Delivery{Auction: a.ID, Device: a.Device, Winner: a.Winner, WinnerKey: w.BidderKey,
		Height: ctx.Height, Time: ctx.Time, Expires: expires, Points: a.Terms.PointsPerPeriod,
		KeyHash: d.KeyHash, EncryptedKey: d.EncryptedKey}
	v.Put(key(prefixDelivery, a.ID[:]), dl.encode())
	a.Status = StatusDelivered
	putAuction(v, a)
	return nil
}
