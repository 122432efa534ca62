package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	apiclient "github.com/thingchain/thingchain/api/client"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger/ledgertx"
	"github.com/thingchain/thingchain/registry/registrytx"
)

// Bidder places, reveals and pays for sealed bids through a node's API,
// keeping every sealed bid in a BidBook first. It is what `thingchain
// wallet bid` and the local testnet's simulated bidders use.
type Bidder struct {
	Net  *consensus.Params
	Book *BidBook
	// Now is the clock for expiry checks (time.Now if nil).
	Now func() time.Time
	// BondOnly makes Bid place bond-only bids (deposit: the bond share of
	// the bid's total; a win must then be paid within the payment window,
	// else the bond is forfeited). By default bids are full-deposit bids:
	// the deposit is the bid's whole total, a win is paid from escrow at
	// the close and the excess refunded, with nothing left to do in time.
	BondOnly bool

	// txMu serialises this bidder's nonce reads and submissions (bids
	// and reveals run on different goroutines).
	txMu    sync.Mutex
	tracker tracker // open bids Watch follows
}

// Errors a bidder reports.
var (
	ErrInsufficientFunds = errors.New("insufficient funds for the deposits and fees")
	ErrNothingToBid      = errors.New("no biddable device")
)

// NewBidder returns a bidder for net keeping its bids in book.
func NewBidder(net *consensus.Params, book *BidBook) *Bidder {
	return &Bidder{Net: net, Book: book}
}

func (b *Bidder) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// PlacedBid is one device bid on.
type PlacedBid struct {
	Device         string    `json:"device"`
	Auction        wire.Hash `json:"auction"`
	Seq            uint64    `json:"seq"`
	Opens          bool      `json:"opens"` // the bid opens the auction
	AmountPerPoint uint64    `json:"amount_per_point"`
	Points         uint64    `json:"points"`
	Deposit        uint64    `json:"deposit"`
	FullDeposit    bool      `json:"full_deposit"`
	CommitTx       wire.Hash `json:"commit_tx"`
}

// SkippedDevice is a device not bid on, and why.
type SkippedDevice struct {
	Device string `json:"device"`
	Reason string `json:"reason"`
}

// BidResult is the outcome of Bid.
type BidResult struct {
	Bids    []PlacedBid     `json:"bids"`
	Skipped []SkippedDevice `json:"skipped"`
	TxIDs   []wire.Hash     `json:"txids"` // commit transactions, one per MaxBidsPerTx bids
	Deposit uint64          `json:"deposit"`
	Fees    uint64          `json:"fees"`
}

func submit(ctx context.Context, client *rpc.Client, tx *wire.Tx) (wire.Hash, error) {
	res, err := apiclient.New(client).Submit(ctx, tx)
	if err != nil {
		return wire.Hash{}, err
	}
	return res.ID, nil
}

func nextNonce(ctx context.Context, client *rpc.Client, pub keys.PubKey) (uint64, error) {
	n, err := apiclient.New(client).NextNonce(ctx, pub, "auction")
	if err != nil {
		return 0, fmt.Errorf("account.nextNonce: %w", err)
	}
	return n, nil
}

// Balance returns an address's auction-chain balance.
func (b *Bidder) Balance(ctx context.Context, client *rpc.Client, addr keys.Address) (uint64, error) {
	acct, err := apiclient.New(client).Account(ctx, addr.Encode(b.Net.AddressHRP))
	if err != nil {
		return 0, fmt.Errorf("account.get: %w", err)
	}
	return acct.Balance, nil
}

func chunks[T any](s []T, n int) [][]T {
	if n < 1 {
		n = 1
	}
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// Bid bids maxPricePerPoint on every device (hex keys) that can take a
// bid now, in one commit transaction per MaxBidsPerTx bids. In a
// second-price auction the best strategy is to bid one's true value, so
// the bid is the maximum price itself; the deposit is its whole total
// (auctiontx.FullDeposit), or with BondOnly the least the chain accepts
// (auctiontx.MinDeposit). Devices that cannot be bid on (reveal
// phase running, not enabled, reserve above the price, already bid) are
// skipped with a reason. The balance must cover every deposit and fee,
// else nothing is sent and the error wraps ErrInsufficientFunds. Sealed
// bids are saved to the book before anything is submitted.
func (b *Bidder) Bid(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, devices []string, maxPricePerPoint, fee uint64) (*BidResult, error) {
	if maxPricePerPoint == 0 {
		return nil, errors.New("the maximum price per point must be positive")
	}
	addr := key.PubKey().Address()
	res := &BidResult{Bids: []PlacedBid{}, Skipped: []SkippedDevice{}, TxIDs: []wire.Hash{}}
	saved, err := b.Book.Load()
	if err != nil {
		return nil, err
	}
	have := map[wire.Hash]bool{}
	for _, r := range saved {
		if r.State != BidStateRejected {
			have[r.Auction] = true
		}
	}
	// Every well-formed device key is asked about in one auction.nextMany
	// call per apitypes.MaxDevicesPerCall devices.
	type candidate struct {
		d       string
		dev     keys.PubKey
		badKey  string
		nextIdx int
	}
	seen := map[string]bool{}
	var cands []candidate
	var ask []string
	for _, d := range devices {
		d = strings.ToLower(strings.TrimSpace(d))
		if seen[d] {
			continue
		}
		seen[d] = true
		c := candidate{d: d, nextIdx: -1}
		if raw, err := hex.DecodeString(d); err != nil {
			c.badKey = "not a hex device key"
		} else if c.dev, err = keys.ParsePubKey(raw); err != nil {
			c.badKey = fmt.Sprintf("not a device key: %v", err)
		} else {
			c.nextIdx = len(ask)
			ask = append(ask, d)
		}
		cands = append(cands, c)
	}
	nexts, err := nextAuctions(ctx, client, ask)
	if err != nil {
		return nil, err
	}
	var sealed []auctiontx.SealedBid
	for _, c := range cands {
		d, dev := c.d, c.dev
		skip := func(format string, args ...any) {
			res.Skipped = append(res.Skipped, SkippedDevice{Device: d, Reason: fmt.Sprintf(format, args...)})
		}
		if c.badKey != "" {
			skip("%s", c.badKey)
			continue
		}
		next := nexts[c.nextIdx]
		switch {
		case !next.Biddable:
			skip("%s", next.Reason)
			continue
		case have[next.ID]:
			skip("this wallet already bid in auction %s", next.ID)
			continue
		case next.Terms.ReservePerPoint > maxPricePerPoint:
			skip("reserve %d per point is above the maximum price %d", next.Terms.ReservePerPoint, maxPricePerPoint)
			continue
		}
		deposit, ok := auctiontx.FullDeposit(registrytx.Terms(next.Terms), maxPricePerPoint)
		if b.BondOnly {
			deposit, ok = auctiontx.MinDeposit(b.Net, registrytx.Terms(next.Terms), maxPricePerPoint)
		}
		if !ok {
			skip("price × %d points overflows", next.Terms.PointsPerPeriod)
			continue
		}
		sb := auctiontx.SealBid(addr, dev, next.Seq, maxPricePerPoint, deposit, auctiontx.NewSalt())
		sb.Full = !b.BondOnly
		sealed = append(sealed, sb)
		res.Bids = append(res.Bids, PlacedBid{Device: d, Auction: sb.Auction, Seq: sb.Seq, Opens: next.Opens,
			AmountPerPoint: maxPricePerPoint, Points: next.Terms.PointsPerPeriod, Deposit: deposit, FullDeposit: sb.Full})
	}
	// Already bid in a running auction from another wallet file? One
	// auction.getMany call for all of them.
	var joining []wire.Hash
	for _, pb := range res.Bids {
		if !pb.Opens {
			joining = append(joining, pb.Auction)
		}
	}
	if len(joining) > 0 {
		self := addr.Encode(b.Net.AddressHRP)
		if views, err := readAuctions(ctx, client, joining, self); err == nil {
			mine := map[wire.Hash]bool{}
			for _, v := range views {
				if v != nil && v.Bid != nil {
					mine[v.ID] = true
				}
			}
			keep, keepBids := sealed[:0], res.Bids[:0]
			for i, s := range sealed {
				if mine[s.Auction] {
					res.Skipped = append(res.Skipped, SkippedDevice{Device: res.Bids[i].Device, Reason: fmt.Sprintf("this key already bid in auction %s", s.Auction)})
					continue
				}
				keep, keepBids = append(keep, s), append(keepBids, res.Bids[i])
			}
			sealed, res.Bids = keep, keepBids
		}
	}
	if len(sealed) == 0 {
		return res, fmt.Errorf("%w: all %d devices were skipped", ErrNothingToBid, len(res.Skipped))
	}
	groups := chunks(sealed, b.Net.Auctions.MaxBidsPerTx)
	var need uint64
	var carry uint64
	for _, s := range sealed {
		need, carry = bits.Add64(need, s.Deposit, carry)
	}
	res.Deposit = need
	res.Fees = fee * uint64(len(groups))
	need, c2 := bits.Add64(need, res.Fees, 0)
	bal, err := b.Balance(ctx, client, addr)
	if err != nil {
		return nil, err
	}
	if carry != 0 || c2 != 0 || bal < need {
		return res, fmt.Errorf("%w: %s has %s, the %d deposits and %d fees need %s",
			ErrInsufficientFunds, addr.Encode(b.Net.AddressHRP), ledgertx.FormatAmount(bal), len(sealed), len(groups), ledgertx.FormatAmount(need))
	}
	b.txMu.Lock()
	defer b.txMu.Unlock()
	nonce, err := nextNonce(ctx, client, key.PubKey())
	if err != nil {
		return nil, err
	}
	bidder := addr.Encode(b.Net.AddressHRP)
	i := 0
	for gi, g := range groups {
		tx := auctiontx.NewCommitTx(b.Net, key, nonce+uint64(gi), fee, g...)
		id := tx.ID()
		recs := make([]BidRecord, len(g))
		ids := make([]wire.Hash, len(g))
		for j, s := range g {
			recs[j] = BidRecord{SealedBid: s, Bidder: bidder, State: BidStateCommitting, Created: b.now().UTC(), CommitTx: id, CommitNonce: nonce + uint64(gi)}
			ids[j] = s.Auction
		}
		// The salt is on disk before the commitment can be on chain.
		if err := b.Book.Add(recs...); err != nil {
			return res, err
		}
		b.track(recs...)
		if _, err := submit(ctx, client, tx); err != nil {
			var rerr *rpc.Error
			if errors.As(err, &rerr) {
				// The node answered: the transaction is not in its pool.
				_ = b.Book.Modify(ids, func(r *BidRecord) {
					if r.CommitTx == id {
						r.State, r.Error = BidStateRejected, err.Error()
					}
				})
				b.untrack(ids)
			}
			res.Bids = res.Bids[:i]
			return res, fmt.Errorf("commit transaction %d of %d: %w", gi+1, len(groups), err)
		}
		for range g {
			res.Bids[i].CommitTx = id
			i++
		}
		res.TxIDs = append(res.TxIDs, id)
	}
	return res, nil
}

// nextAuctions asks where a bid on each device (hex keys) would go, in
// one auction.nextMany call per apitypes.MaxDevicesPerCall devices; a
// node without that method is asked auction.next per device.
func nextAuctions(ctx context.Context, client *rpc.Client, devices []string) ([]apitypes.NextAuctionResult, error) {
	api := apiclient.New(client)
	out := make([]apitypes.NextAuctionResult, 0, len(devices))
	for start := 0; start < len(devices); start += apitypes.MaxDevicesPerCall {
		part := devices[start:min(start+apitypes.MaxDevicesPerCall, len(devices))]
		got, err := api.NextAuctions(ctx, part)
		if rpcCode(err) == rpc.CodeMethodNotFound {
			for _, d := range part {
				next, err := api.NextAuction(ctx, d)
				if err != nil {
					return nil, fmt.Errorf("auction.next %s: %w", d, err)
				}
				got = append(got, next)
			}
		} else if err != nil {
			return nil, fmt.Errorf("auction.nextMany: %w", err)
		}
		if len(got) != len(part) {
			return nil, fmt.Errorf("auction.nextMany: %d answers for %d devices", len(got), len(part))
		}
		out = append(out, got...)
	}
	return out, nil
}

// rpcCode is a JSON-RPC error's code, or 0.
func rpcCode(err error) int {
	var rerr *rpc.Error
	if errors.As(err, &rerr) {
		return rerr.Code
	}
	return 0
}

// bidOf returns addr's bid in an auction read from the API, or nil (also
// when a is nil: not read yet).
func bidOf(a *apitypes.BidderAuction, addr string) *apitypes.Bid {
	if a == nil {
		return nil
	}
	if a.Bid != nil && a.Bid.Bidder == addr {
		return a.Bid
	}
	for _, bid := range a.BidList {
		if bid.Bidder == addr {
			return bid
		}
	}
	return nil
}

func getAuction(ctx context.Context, client *rpc.Client, id wire.Hash) (*apitypes.BidderAuction, error) {
	av, err := apiclient.New(client).Auction(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("auction.get %s: %w", id, err)
	}
	if av == nil {
		return nil, nil
	}
	return &apitypes.BidderAuction{AuctionView: *av}, nil
}

func auctionsOfBidder(ctx context.Context, client *rpc.Client, addr string) ([]apitypes.BidderAuction, error) {
	out, err := apiclient.New(client).AuctionsOfBidder(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("auction.ofBidder: %w", err)
	}
	return out, nil
}

// txPending reports whether a transaction waits in the node's auction
// mempool.
func txPending(ctx context.Context, client *rpc.Client, id wire.Hash) bool {
	tr, err := apiclient.New(client).Transaction(ctx, "auction", id)
	return err == nil && tr.Status == "pending"
}

// RevealResult is the outcome of RevealDue.
type RevealResult struct {
	Revealed []wire.Hash `json:"revealed"` // auctions whose bid a reveal was sent for
	TxIDs    []wire.Hash `json:"txids"`
	Waiting  int         `json:"waiting"` // saved bids still in their commit phase (or not yet on chain)
	Missed   []wire.Hash `json:"missed"`  // bids whose reveal window passed
}

// RevealDue sends one reveal transaction (per MaxBidsPerTx) for every
// saved bid whose auction is in its reveal phase and whose bid is still
// sealed on chain. Bids whose reveal is already pending are not sent
// twice; bids found revealed are marked so in the book.
func (b *Bidder) RevealDue(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee uint64) (*RevealResult, error) {
	addr := key.PubKey().Address()
	res := &RevealResult{Revealed: []wire.Hash{}, TxIDs: []wire.Hash{}, Missed: []wire.Hash{}}
	saved, err := b.Book.Load()
	if err != nil {
		return nil, err
	}
	var due []auctiontx.SealedBid
	var revealed, missed []wire.Hash
	heights := map[wire.Hash]uint64{}
	for _, r := range saved {
		if !r.Pending() {
			continue
		}
		a, err := getAuction(ctx, client, r.Auction)
		if err != nil {
			return nil, err
		}
		var onChain *apitypes.Bid
		if a != nil {
			onChain = bidOf(a, addr.Encode(b.Net.AddressHRP))
		}
		switch {
		case onChain != nil && onChain.Status == apitypes.BidForfeited && r.State == BidStateCommitting:
			// Never revealed: the reveal phase passed without us.
			missed = append(missed, r.Auction)
		case onChain != nil && onChain.Status != apitypes.BidSealed:
			revealed = append(revealed, r.Auction)
			heights[r.Auction] = onChain.Height
		case a != nil && a.Status != apitypes.StatusOpen || a != nil && onChain == nil && a.Phase != "commit" && !txPending(ctx, client, r.CommitTx):
			// Settled with our bid still sealed, or the reveal phase
			// runs and our commitment never made it.
			missed = append(missed, r.Auction)
		case onChain == nil || a.Phase == "commit":
			res.Waiting++
		case r.State == BidStateRevealing && txPending(ctx, client, r.RevealTx):
			// already on its way
		default:
			heights[r.Auction] = onChain.Height
			due = append(due, r.SealedBid)
		}
	}
	if len(revealed) > 0 || len(missed) > 0 {
		err := b.Book.Update(func(bids []BidRecord) ([]BidRecord, error) {
			for i := range bids {
				for _, id := range revealed {
					if bids[i].Auction == id && bids[i].Pending() {
						bids[i].State, bids[i].CommitHeight = BidStateRevealed, heights[id]
					}
				}
				for _, id := range missed {
					if bids[i].Auction == id && bids[i].Pending() {
						bids[i].State = BidStateLost
					}
				}
			}
			return bids, nil
		})
		if err != nil {
			return nil, err
		}
	}
	res.Missed = append(res.Missed, missed...)
	if len(due) == 0 {
		return res, nil
	}
	b.txMu.Lock()
	defer b.txMu.Unlock()
	nonce, err := nextNonce(ctx, client, key.PubKey())
	if err != nil {
		return nil, err
	}
	for gi, g := range chunks(due, b.Net.Auctions.MaxBidsPerTx) {
		tx := auctiontx.NewRevealTx(b.Net, key, nonce+uint64(gi), fee, g...)
		id, err := submit(ctx, client, tx)
		if err != nil {
			return res, fmt.Errorf("reveal transaction: %w", err)
		}
		ids := make([]wire.Hash, len(g))
		for i, s := range g {
			ids[i] = s.Auction
		}
		if err := b.Book.Modify(ids, func(r *BidRecord) {
			if r.Pending() {
				r.State, r.RevealTx, r.CommitHeight = BidStateRevealing, id, heights[r.Auction]
			}
		}); err != nil {
			return res, err
		}
		res.TxIDs = append(res.TxIDs, id)
		res.Revealed = append(res.Revealed, ids...)
	}
	return res, nil
}

// PayResult is the outcome of PayDue.
type PayResult struct {
	Paid  []wire.Hash `json:"paid"` // auctions a payment was sent for
	TxIDs []wire.Hash `json:"txids"`
	Owed  uint64      `json:"owed"` // what the payments take from the balance
}

// PayDue sends a payment for every auction the key won whose deposit did
// not cover the price (status awaiting_payment).
func (b *Bidder) PayDue(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee uint64) (*PayResult, error) {
	addr := key.PubKey().Address()
	res := &PayResult{Paid: []wire.Hash{}, TxIDs: []wire.Hash{}}
	list, err := auctionsOfBidder(ctx, client, addr.Encode(b.Net.AddressHRP))
	if err != nil {
		return nil, err
	}
	saved, err := b.Book.Load()
	if err != nil {
		return nil, err
	}
	payTx := map[wire.Hash]wire.Hash{}
	for _, r := range saved {
		payTx[r.Auction] = r.PayTx
	}
	var due []*apitypes.BidderAuction
	for i := range list {
		a := &list[i]
		if a.Status != apitypes.StatusAwaitingPayment || a.Winner != addr.Encode(b.Net.AddressHRP) {
			continue
		}
		if id := payTx[a.ID]; !id.IsZero() && txPending(ctx, client, id) {
			continue
		}
		due = append(due, a)
	}
	if len(due) == 0 {
		return res, nil
	}
	b.txMu.Lock()
	defer b.txMu.Unlock()
	nonce, err := nextNonce(ctx, client, key.PubKey())
	if err != nil {
		return nil, err
	}
	for i, a := range due {
		tx := auctiontx.NewPayTx(b.Net, key, nonce+uint64(i), fee, a.ID)
		id, err := submit(ctx, client, tx)
		if err != nil {
			return res, fmt.Errorf("payment for auction %s: %w", a.ID, err)
		}
		var dep uint64
		if bid := bidOf(a, addr.Encode(b.Net.AddressHRP)); bid != nil {
			dep = bid.Deposit
		}
		if a.Price > dep {
			res.Owed += a.Price - dep
		}
		res.Paid = append(res.Paid, a.ID)
		res.TxIDs = append(res.TxIDs, id)
		_ = b.Book.Modify([]wire.Hash{a.ID}, func(r *BidRecord) { r.PayTx = id })
	}
	return res, nil
}

// AccessKey is a delivered, decrypted access key.
type AccessKey struct {
	Auction wire.Hash `json:"auction"`
	Device  string    `json:"device"`
	Key     []byte    `json:"-"`
	KeyHex  string    `json:"key"`
	Points  uint64    `json:"points"`
	Height  uint64    `json:"height"`
	From    time.Time `json:"from"`
	Expires time.Time `json:"expires"`
	Valid   bool      `json:"valid"` // the access period covers now
	// Error is set when the delivery could not be opened (then Key is
	// empty): a key that fails its hash commitment is reported, not used.
	Error string `json:"error,omitempty"`
}

// Token is the access proof the device agents check: "Bearer " + Token().
func (k *AccessKey) Token() string { return AccessToken(k.Auction, k.Key) }

// AccessToken is the bearer token for an auction's access key:
// <auction-id-hex>.<key-hex>.
func AccessToken(auctionID wire.Hash, key []byte) string {
	return auctionID.String() + "." + hex.EncodeToString(key)
}

// Keys lists the access keys delivered to this key's auctions, newest
// last, decrypted with the key and checked against their hash
// commitments.
func (b *Bidder) Keys(ctx context.Context, client *rpc.Client, key *keys.PrivateKey) ([]AccessKey, error) {
	addr := key.PubKey().Address()
	list, err := auctionsOfBidder(ctx, client, addr.Encode(b.Net.AddressHRP))
	if err != nil {
		return nil, err
	}
	now := b.now()
	out := []AccessKey{}
	for _, a := range list {
		d := a.Delivery
		if d == nil || d.Winner != addr.Encode(b.Net.AddressHRP) {
			continue
		}
		out = append(out, openKey(d, key, now))
	}
	return out, nil
}

// MyAuction is an auction this key bid in, with its own bid.
type MyAuction struct {
	Auction        wire.Hash `json:"auction"`
	Device         string    `json:"device"`
	Seq            uint64    `json:"seq"`
	Phase          string    `json:"phase"`
	Height         uint64    `json:"height"`
	CommitEnd      uint64    `json:"commit_end"`
	CloseHeight    uint64    `json:"close_height"`
	Bidders        uint32    `json:"bidders"`
	BidStatus      string    `json:"bid_status"`       // on chain: sealed, revealed, refunded, forfeited, won
	AmountPerPoint uint64    `json:"amount_per_point"` // own bid (from the bid book while sealed)
	Deposit        uint64    `json:"deposit"`
	Winner         string    `json:"winner,omitempty"`
	Won            bool      `json:"won"`
	PricePerPoint  uint64    `json:"price_per_point,omitempty"`
	Price          uint64    `json:"price,omitempty"`
	Delivered      bool      `json:"delivered"`
	WalletState    BidState  `json:"wallet_state,omitempty"` // what the bid book says
}

// Auctions lists the auctions the key bid in, oldest first, joining the
// chain's view with the bid book (bids still being committed appear with
// phase "committing").
func (b *Bidder) Auctions(ctx context.Context, client *rpc.Client, addr keys.Address) ([]MyAuction, error) {
	list, err := auctionsOfBidder(ctx, client, addr.Encode(b.Net.AddressHRP))
	if err != nil {
		return nil, err
	}
	saved, err := b.Book.Load()
	if err != nil {
		return nil, err
	}
	book := map[wire.Hash]*BidRecord{}
	for i := range saved {
		if saved[i].State != BidStateRejected {
			book[saved[i].Auction] = &saved[i]
		}
	}
	out := []MyAuction{}
	seen := map[wire.Hash]bool{}
	self := addr.Encode(b.Net.AddressHRP)
	for _, a := range list {
		seen[a.ID] = true
		m := MyAuction{Auction: a.ID, Device: a.Device, Seq: a.Seq, Phase: a.Phase, Height: a.Height,
			CommitEnd: a.CommitEnd, CloseHeight: a.CloseHeight, Bidders: a.Bids, Won: a.Winner == self && a.Status != apitypes.StatusOpen,
			PricePerPoint: a.PricePerPoint, Price: a.Price, Delivered: a.Delivery != nil}
		m.Winner = a.Winner
		if bid := bidOf(&a, self); bid != nil {
			m.BidStatus, m.AmountPerPoint, m.Deposit = string(bid.Status), bid.AmountPerPoint, bid.Deposit
		}
		if r := book[a.ID]; r != nil {
			m.WalletState = r.State
			if m.AmountPerPoint == 0 {
				m.AmountPerPoint = r.AmountPerPoint
			}
		}
		out = append(out, m)
	}
	for _, r := range saved {
		if seen[r.Auction] || r.State != BidStateCommitting {
			continue
		}
		out = append(out, MyAuction{Auction: r.Auction, Device: r.Device.String(), Seq: r.Seq, Phase: "committing",
			AmountPerPoint: r.AmountPerPoint, Deposit: r.Deposit, WalletState: r.State})
	}
	return out, nil
}

// WatchEvent is what Watch reports after each auction-chain head.
type WatchEvent struct {
	Height uint64
	Reveal *RevealResult
	Pay    *PayResult
	Err    error
	// Pending counts saved bids that may still need a reveal.
	Pending int
	// Progress is where every followed bid stands at this head, oldest
	// bid first, including the bids that ended at it (Done); ended bids
	// are not followed further.
	Progress []BidProgress
	// Keys are the access keys delivered to this key's bids that ended
	// at this head, decrypted and checked against their hash
	// commitments (each is reported once per Watch).
	Keys []AccessKey
}

// Watch follows the auction chain — a newHeads subscription when the
// client is a WebSocket client, else polling chain.info every poll — and
// on each new head sends due reveals and payments for every bid of the
// book that has not ended. It keeps those bids in memory and reads only
// the auctions whose stage may have changed, in one auction.getMany call
// per head (see track.go); heads that arrive while a step runs are taken
// together, so a slow step never leaves it behind the chain. fn sees
// every step's outcome and returns true to stop; Watch returns nil then,
// or ctx's error.
func (b *Bidder) Watch(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee uint64, poll time.Duration, fn func(WatchEvent) bool) error {
	if poll <= 0 {
		poll = time.Second
	}
	step := func(height uint64, hash wire.Hash, reorg bool) bool {
		ev := b.step(ctx, client, key, fee, height, hash, reorg)
		if ctx.Err() != nil {
			return true
		}
		return fn(ev)
	}
	heads, stop, err := apiclient.SubscribeHeads(ctx, client, "auction")
	if err == nil {
		defer stop()
		// The first step covers every head before the subscription: it
		// reports the tip height it saw (0 if chain.info fails).
		info, _ := apiclient.New(client).ChainInfo(ctx)
		if step(info.Auction.Height, info.Auction.Hash, true) {
			return ctx.Err()
		}
		last := info.Auction.Hash
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case h, ok := <-heads:
				if !ok {
					// Subscription ended (connection lost or fell
					// behind): carry on by polling.
					return b.pollLoop(ctx, client, poll, step)
				}
				// Take every head already queued: the step works from
				// the newest; a break in the parent links (a reorg, or
				// a head missed) makes it read every followed bid.
				reorg := h.PrevHash != last
				for more := true; more; {
					select {
					case n, ok := <-heads:
						if !ok {
							more = false
							break
						}
						reorg = reorg || n.PrevHash != h.Hash
						h = n
					default:
						more = false
					}
				}
				last = h.Hash
				if step(h.Height, h.Hash, reorg) {
					return ctx.Err()
				}
			}
		}
	}
	return b.pollLoop(ctx, client, poll, step)
}

func (b *Bidder) pollLoop(ctx context.Context, client *rpc.Client, poll time.Duration, step func(uint64, wire.Hash, bool) bool) error {
	var last wire.Hash
	var lastHeight uint64
	first := true
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		info, err := apiclient.New(client).ChainInfo(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && (first || info.Auction.Hash != last) {
			// Polling sees no parent links: anything but the next
			// height counts as a possible reorganisation.
			reorg := first || info.Auction.Height != lastHeight+1
			first, last, lastHeight = false, info.Auction.Hash, info.Auction.Height
			if step(info.Auction.Height, info.Auction.Hash, reorg) {
				return ctx.Err()
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
