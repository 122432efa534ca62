package econ

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// The four parties, in report order.
const (
	DataScientists = "data_scientists"
	DeviceOwners   = "device_owners"
	AuctionMiners  = "auction_miners"
	MetadataMiners = "metadata_miners"
)

// Parties lists the parties in report order.
var Parties = []string{DataScientists, DeviceOwners, AuctionMiners, MetadataMiners}

// Flow is one party's money over a span, in THG.
type Flow struct {
	Revenue float64 `json:"revenue"`
	Cost    float64 `json:"cost"`
	Net     float64 `json:"net"`
}

func (f Flow) add(g Flow) Flow {
	return Flow{Revenue: f.Revenue + g.Revenue, Cost: f.Cost + g.Cost, Net: f.Net + g.Net}
}

// PartyFlows are the four parties' flows.
type PartyFlows struct {
	DataScientists Flow `json:"data_scientists"`
	DeviceOwners   Flow `json:"device_owners"`
	AuctionMiners  Flow `json:"auction_miners"`
	MetadataMiners Flow `json:"metadata_miners"`
}

// Get returns a party's flow by name.
func (p PartyFlows) Get(party string) Flow {
	switch party {
	case DataScientists:
		return p.DataScientists
	case DeviceOwners:
		return p.DeviceOwners
	case AuctionMiners:
		return p.AuctionMiners
	}
	return p.MetadataMiners
}

func (p PartyFlows) add(q PartyFlows) PartyFlows {
	return PartyFlows{p.DataScientists.add(q.DataScientists), p.DeviceOwners.add(q.DeviceOwners),
		p.AuctionMiners.add(q.AuctionMiners), p.MetadataMiners.add(q.MetadataMiners)}
}

// AuctionRecord is one auction's outcome with the bidders' private values.
type AuctionRecord struct {
	Round    int     `json:"round"`
	Kind     string  `json:"kind"`
	Bidders  int     `json:"bidders"`
	Status   string  `json:"status"`
	Reserve  float64 `json:"reserve_per_point"`
	TopValue float64 `json:"top_value_per_point"`    // highest private value among bidders (0: none)
	Second   float64 `json:"second_value_per_point"` // second highest (0: none)
	Price    float64 `json:"price_per_point"`        // clearing price (0: no sale)
	// WinnerHadTopValue tells whether the highest-value bidder won
	// (allocative efficiency of the auction).
	WinnerHadTopValue bool `json:"winner_had_top_value"`
	Forfeits          int  `json:"forfeits"`
}

// Round is one access period's results.
type Round struct {
	Round       int        `json:"round"`
	Flows       PartyFlows `json:"flows"`
	Auctions    int        `json:"auctions"`
	Sold        int        `json:"sold"` // a winner was chosen (delivered or not)
	NoSale      int        `json:"no_sale"`
	Delivered   int        `json:"delivered"`
	Undelivered int        `json:"undelivered"`
	Forfeits    int        `json:"forfeits"`
	ForfeitTHG  float64    `json:"forfeited_thg"`
	FeesTHG     float64    `json:"tx_fees_thg"`
	// MeanPriceByKind is the mean clearing price per point of each kind's
	// sold auctions (kinds without a sale are absent).
	MeanPriceByKind map[string]float64 `json:"mean_price_by_kind"`
	// PoolTHG is the metadata miners' pool left undistributed at the end
	// of the round.
	PoolTHG float64 `json:"metadata_pool_thg"`
	Blocks  int     `json:"auction_blocks"`
}

// Result is one run: its scenario, rounds, auctions and totals.
type Result struct {
	Scenario Scenario        `json:"scenario"`
	Params   ParamsUsed      `json:"params"`
	Rounds   []Round         `json:"rounds"`
	Auctions []AuctionRecord `json:"-"`
	Totals   PartyFlows      `json:"totals"`
	// MonthlyCost is each chain's mining energy cost per month (THG).
	MonthlyCost struct {
		Auction  float64 `json:"auction"`
		Metadata float64 `json:"metadata"`
	} `json:"monthly_mining_cost"`
	// EnergyPerBlock is the mining energy per block of each chain, in
	// joules, at the named network's spacing.
	EnergyPerBlock struct {
		Auction  float64 `json:"auction_joules"`
		Metadata float64 `json:"metadata_joules"`
	} `json:"energy_per_block"`
	Checks Checks `json:"checks"`
}

// ParamsUsed are the auction rules the run applied.
type ParamsUsed struct {
	ProtocolFeePermille         uint64 `json:"protocol_fee_permille"`
	MetadataFeePermille         uint64 `json:"metadata_fee_permille"`
	ProtocolFeeMetadataPermille uint64 `json:"protocol_fee_metadata_permille"`
	BondPermille                uint64 `json:"bond_permille"`
	ForfeitOwnerPermille        uint64 `json:"forfeit_owner_permille"`
}

// Checks are the invariants every run verifies.
type Checks struct {
	// CoinConserved: after every round, the balances of every address
	// that ever held coin, plus escrow, plus the metadata pool, equal the
	// supply.
	CoinConserved bool `json:"coin_conserved"`
	// OwnersPaidOnce: every owner received exactly the prices (less the
	// protocol fee) of its delivered auctions plus its share of forfeits,
	// no more: no auction paid twice.
	OwnersPaidOnce bool `json:"owners_paid_once"`
	// MinersPaidExactly: the miners of both chains and the pool received
	// exactly the transaction fees, protocol fees and miners' forfeit share.
	MinersPaidExactly bool `json:"miners_paid_exactly"`
}

// device is one simulated device with its owner.
type device struct {
	kind  int
	key   *keys.PrivateKey
	owner keys.Address
	terms auction.Terms
	nonce uint64
	seq   uint64 // the device's next auction
}

type bidder struct {
	key   *keys.PrivateKey
	addr  keys.Address
	nonce uint64
}

// sealed is one bid with its bidder's private value.
type sealed struct {
	bidder int
	bid    auction.SealedBid
	value  uint64 // per point, base units
	reveal bool
}

// market is one run in progress.
type market struct {
	s            Scenario
	net          *consensus.Params
	c            *chain.Chain
	meta         *metaModel
	rng          *rand.Rand
	crypto       *rand.ChaCha8 // encryption randomness and salts
	now          time.Time
	step         time.Duration
	metaPerBlock float64 // metadata blocks per auction block
	metaDebt     float64

	miners      []*keys.PrivateKey // auction miners, mining in turn
	minerAddrs  []keys.Address
	metaAddrs   []keys.Address
	faucet      *keys.PrivateKey
	faucetNonce uint64
	devices     []*device
	bidders     []*bidder
	tracked     []keys.Address
	fee         uint64
	blocks      int
	logf        func(string, ...any)
}

// Run simulates a scenario and returns its results. dir holds the chain's
// Badger directory (a temporary one when empty). progress, when set,
// receives one line per round.
func Run(ctx context.Context, s Scenario, dir string, progress func(string)) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "thingchain-econ-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	m, err := newMarket(s, dir)
	if err != nil {
		return nil, err
	}
	defer m.c.Close()
	if progress == nil {
		progress = func(string) {}
	}
	return m.run(ctx, progress)
}

// simParams are regtest's (minimal fixed difficulty, short phases, so a
// month of auctions takes a dozen blocks) with the named network's
// shares, bond and limits, then the scenario's overrides.
func simParams(s Scenario) (*consensus.Params, *consensus.Params, ParamsUsed) {
	named, _ := consensus.ForNetwork(s.Network)
	net := consensus.RegTest()
	a := named.Auctions
	a.CommitBlocks, a.RevealBlocks, a.PaymentBlocks, a.DeliveryBlocks =
		net.Auctions.CommitBlocks, net.Auctions.RevealBlocks, net.Auctions.PaymentBlocks, net.Auctions.DeliveryBlocks
	o := s.Params
	set := func(dst *uint64, v *uint64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.ProtocolFeePermille, o.ProtocolFeePermille)
	set(&a.MetadataFeePermille, o.MetadataFeePermille)
	set(&a.BondPermille, o.BondPermille)
	set(&a.ForfeitOwnerPermille, o.ForfeitOwnerPermille)
	set(&a.ProtocolFeeMetadataPermille, o.ProtocolFeeMetadataPermille)
	net.Auctions = a
	return net, named, ParamsUsed{a.ProtocolFeePermille, a.MetadataFeePermille, a.ProtocolFeeMetadataPermille, a.BondPermille, a.ForfeitOwnerPermille}
}

// seededKey derives a deterministic private key.
func seededKey(seed uint64, label string, i int) *keys.PrivateKey {
	for ctr := uint64(0); ; ctr++ {
		b := binary.BigEndian.AppendUint64(nil, seed)
		b = append(b, label...)
		b = binary.BigEndian.AppendUint64(b, uint64(i))
		b = binary.BigEndian.AppendUint64(b, ctr)
		h := sha256.Sum256(b)
		if k, err := keys.PrivateKeyFromBytes(h[:]); err == nil {
			return k
		}
	}
}

func newMarket(s Scenario, dir string) (*market, error) {
	net, named, _ := simParams(s)
	if err := auction.CheckParams(&net.Auctions); err != nil {
		return nil, fmt.Errorf("scenario parameters: %w", err)
	}
	var seedBytes [32]byte
	binary.LittleEndian.PutUint64(seedBytes[:], s.Seed)
	m := &market{
		s: s, net: net,
		rng:          rand.New(rand.NewPCG(s.Seed, 0x7468696e67636861)),
		crypto:       rand.NewChaCha8(seedBytes),
		now:          time.UnixMilli(net.Auction.GenesisTime).Add(time.Second),
		step:         named.Auction.TargetSpacing,
		metaPerBlock: float64(named.Auction.TargetSpacing) / float64(named.Metadata.TargetSpacing),
		fee:          units(s.TxFee),
	}
	for i := range s.AuctionMiners.Count {
		k := seededKey(s.Seed, "auction miner", i)
		m.miners = append(m.miners, k)
		m.minerAddrs = append(m.minerAddrs, k.PubKey().Address())
	}
	for i := range s.MetadataMiners.Count {
		m.metaAddrs = append(m.metaAddrs, seededKey(s.Seed, "metadata miner", i).PubKey().Address())
	}
	m.meta = newMetaModel(m.metaAddrs)
	fk, ok := ledger.FaucetKey(net)
	if !ok {
		return nil, errors.New("econ: regtest has no faucet")
	}
	m.faucet = fk
	c, err := chain.Open(chain.Config{
		Net: net, Kind: consensus.AuctionChain, Dir: dir,
		Store:        chain.StoreOptions{MemTableSize: 64 << 20, BlockCacheSize: 8 << 20},
		StateMachine: auction.NewMachine(net, m.meta),
		Logger:       slog.New(slog.DiscardHandler),
		Now:          func() time.Time { return m.now },
	})
	if err != nil {
		return nil, err
	}
	m.c = c
	m.tracked = append(m.tracked, fk.PubKey().Address())
	m.tracked = append(m.tracked, m.minerAddrs...)
	m.tracked = append(m.tracked, m.metaAddrs...)
	return m, nil
}

// mine connects one block of txs, failing if any is refused.
func (m *market) mine(ctx context.Context, txs []*wire.Tx) error {
	m.metaDebt += m.metaPerBlock
	if n := int(m.metaDebt); n > 0 {
		m.meta.grow(n)
		m.metaDebt -= float64(n)
	}
	var last wire.Anchor
	if err := m.c.ReadState(func(v *chain.View, _ chain.TipInfo) (err error) { last, err = auction.LastAnchor(v); return }); err != nil {
		return err
	}
	anchor, err := auction.ChooseAnchor(m.net, m.meta, last)
	if err != nil {
		return err
	}
	k := m.miners[m.blocks%len(m.miners)]
	m.now = m.now.Add(m.step)
	tmpl, err := m.c.NewTemplate(chain.TemplateRequest{Reward: k.PubKey().Address(), MinerKey: k.PubKey(), Txs: txs, Anchor: anchor, Now: m.now})
	if err != nil {
		return err
	}
	if len(tmpl.Rejected) > 0 {
		return fmt.Errorf("econ: block refused a transaction: %w", tmpl.Rejected[0].Err)
	}
	blk := tmpl.Block
	miner.Sign(&blk.Header, k)
	if !miner.Solve(ctx, &blk.Header, 1, nil) {
		return ctx.Err()
	}
	res, err := m.c.ProcessBlock(ctx, blk)
	if err != nil {
		return err
	}
	if !res.MainTip {
		return errors.New("econ: mined block did not become the tip")
	}
	m.blocks++
	return nil
}

func (m *market) mineUntil(ctx context.Context, height uint64) error {
	for m.c.Tip().Height < height {
		if err := m.mine(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// setup creates devices, owners and bidders and funds the bidders.
func (m *market) setup(ctx context.Context) error {
	s := m.s
	for ki, k := range s.Kinds {
		n := int(math.Round(float64(k.Devices) * s.DeviceScale))
		for i := range n {
			d := &device{kind: ki, key: seededKey(s.Seed, "device "+k.Kind, i)}
			d.owner = seededKey(s.Seed, "owner "+k.Kind, i).PubKey().Address()
			d.terms = auction.Terms{ReservePerPoint: max(1, units(k.ReservePerPoint*s.ReserveScale)), PointsPerPeriod: k.PointsPerPeriod, AccessPeriodSeconds: 30 * 24 * 3600}
			m.meta.checkIn(d.key.PubKey(), auction.DeviceInfo{Owner: d.owner, Auctionable: true, Terms: d.terms})
			m.devices = append(m.devices, d)
			m.tracked = append(m.tracked, d.owner, d.key.PubKey().Address())
		}
	}
	// Each bidder is funded for the largest round it could face: a full
	// deposit at a value far above the median on every device.
	var worst uint64
	for _, d := range m.devices {
		worst += d.terms.PointsPerPeriod * units(s.Kinds[d.kind].ValueMedian*50)
	}
	funding := max(worst, 1000*ledger.Coin)
	var txs []*wire.Tx
	for i := range s.Bidders {
		k := seededKey(s.Seed, "bidder", i)
		b := &bidder{key: k, addr: k.PubKey().Address()}
		m.bidders = append(m.bidders, b)
		m.tracked = append(m.tracked, b.addr)
		txs = append(txs, ledger.NewTransfer(m.net, m.faucet, b.addr, funding, 0, m.faucetNonce))
		m.faucetNonce++
	}
	if err := m.mine(ctx, txs); err != nil {
		return err
	}
	// Deep enough for the devices' records to be anchored.
	return m.mineUntil(ctx, m.c.Tip().Height+m.net.Auction.AnchorDepth*2+2)
}

// drawValue draws one private value per point (base units) of a kind.
func (m *market) drawValue(k KindScenario) uint64 {
	v := k.ValueMedian * math.Exp(k.ValueSigma*m.rng.NormFloat64())
	return units(v)
}

func (m *market) balances() (map[keys.Address]uint64, uint64, uint64, uint64, error) {
	out := make(map[keys.Address]uint64, len(m.tracked))
	var escrow, pool, supply uint64
	err := m.c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
		for _, a := range m.tracked {
			acct, err := ledger.GetAccount(v, a)
			if err != nil {
				return err
			}
			out[a] = acct.Balance
		}
		var err error
		if escrow, err = auction.Escrow(v); err != nil {
			return err
		}
		if pool, err = auction.MetadataPool(v); err != nil {
			return err
		}
		supply, err = ledger.Supply(v)
		return err
	})
	return out, escrow, pool, supply, err
}

func (m *market) run(ctx context.Context, progress func(string)) (*Result, error) {
	s := m.s
	_, named, used := simParams(s)
	res := &Result{Scenario: s, Params: used}
	res.Checks = Checks{CoinConserved: true, OwnersPaidOnce: true, MinersPaidExactly: true}
	hoursPerMonth := 30 * 24.0
	energy := func(ms MinerScenario) float64 {
		return float64(ms.Count) * ms.PowerWatts * hoursPerMonth / 1000 * ms.EURPerKWh / s.EURPerTHG
	}
	res.MonthlyCost.Auction = energy(s.AuctionMiners)
	res.MonthlyCost.Metadata = energy(s.MetadataMiners)
	res.EnergyPerBlock.Auction = float64(s.AuctionMiners.Count) * s.AuctionMiners.PowerWatts * named.Auction.TargetSpacing.Seconds()
	res.EnergyPerBlock.Metadata = float64(s.MetadataMiners.Count) * s.MetadataMiners.PowerWatts * named.Metadata.TargetSpacing.Seconds()

	if err := m.setup(ctx); err != nil {
		return nil, err
	}
	for r := range s.Rounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		round, recs, err := m.round(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("round %d: %w", r+1, err)
		}
		round.Flows.AuctionMiners.Cost = res.MonthlyCost.Auction
		round.Flows.MetadataMiners.Cost = res.MonthlyCost.Metadata
		for _, f := range []*Flow{&round.Flows.DataScientists, &round.Flows.DeviceOwners, &round.Flows.AuctionMiners, &round.Flows.MetadataMiners} {
			f.Net = f.Revenue - f.Cost
		}
		if !round.checks.CoinConserved {
			res.Checks.CoinConserved = false
		}
		if !round.checks.OwnersPaidOnce {
			res.Checks.OwnersPaidOnce = false
		}
		if !round.checks.MinersPaidExactly {
			res.Checks.MinersPaidExactly = false
		}
		res.Rounds = append(res.Rounds, round.Round)
		res.Auctions = append(res.Auctions, recs...)
		res.Totals = res.Totals.add(round.Flows)
		progress(fmt.Sprintf("round %d/%d: %d auctions, %d sold, %d delivered, owners %+.3f THG, bidders %+.3f THG, auction miners %+.4f THG, metadata miners %+.4f THG",
			r+1, s.Rounds, round.Auctions, round.Sold, round.Delivered, round.Flows.DeviceOwners.Net, round.Flows.DataScientists.Net,
			round.Flows.AuctionMiners.Net, round.Flows.MetadataMiners.Net))
	}
	if !res.Checks.CoinConserved || !res.Checks.OwnersPaidOnce || !res.Checks.MinersPaidExactly {
		return res, fmt.Errorf("econ: invariant violated: %+v", res.Checks)
	}
	return res, nil
}

type roundOut struct {
	Round
	checks Checks
}

// round runs one access period: every device auctioned once.
func (m *market) round(ctx context.Context, r int) (roundOut, []AuctionRecord, error) {
	s, p := m.s, m.net.Auctions
	out := roundOut{Round: Round{Round: r + 1, MeanPriceByKind: map[string]float64{}}}
	startBlocks := m.blocks
	before, _, poolBefore, _, err := m.balances()
	if err != nil {
		return out, nil, err
	}

	// Draw bids: each device gets BiddersPerDevice distinct bidders, each
	// bidding its value truthfully (the dominant strategy of a second-price
	// auction) when it is at least the reserve, with a full deposit.
	perBidder := make([][]int, len(m.bidders)) // indexes into bids
	var bids []sealed
	type devBids struct{ idx []int }
	byDevice := make([]devBids, len(m.devices))
	for di, d := range m.devices {
		k := s.Kinds[d.kind]
		pick := m.rng.Perm(len(m.bidders))[:s.BiddersPerDevice]
		for _, bi := range pick {
			value := m.drawValue(k)
			if value < d.terms.ReservePerPoint {
				// Records the value so efficiency counts it; no bid.
				bids = append(bids, sealed{bidder: bi, value: value, bid: auction.SealedBid{Device: d.key.PubKey()}})
				byDevice[di].idx = append(byDevice[di].idx, len(bids)-1)
				continue
			}
			var salt [32]byte
			_, _ = m.crypto.Read(salt[:])
			seq := d.seq
			// Full-deposit bids by default (the whole bid total in escrow,
			// settled at the close); bond-only bids deposit the least bond
			// and pay when they win.
			var sb auction.SealedBid
			if s.BondOnly {
				deposit, _ := auction.MinDeposit(m.net, d.terms, value)
				sb = auction.SealBid(m.bidders[bi].addr, d.key.PubKey(), seq, value, deposit, salt)
			} else {
				deposit, _ := auction.FullDeposit(d.terms, value)
				sb = auction.SealFullBid(m.bidders[bi].addr, d.key.PubKey(), seq, value, deposit, salt)
			}
			bids = append(bids, sealed{bidder: bi, bid: sb, value: value, reveal: m.rng.Float64() >= s.RevealFailure})
			byDevice[di].idx = append(byDevice[di].idx, len(bids)-1)
			perBidder[bi] = append(perBidder[bi], len(bids)-1)
		}
	}
	// Commit: one batch per bidder (split at MaxBidsPerTx).
	var txs []*wire.Tx
	var nTx int
	for bi, idx := range perBidder {
		for chunk := range slices.Chunk(idx, p.MaxBidsPerTx) {
			sbs := make([]auction.SealedBid, len(chunk))
			for i, j := range chunk {
				sbs[i] = bids[j].bid
			}
			b := m.bidders[bi]
			txs = append(txs, auction.NewCommitTx(m.net, b.key, b.nonce, m.fee, sbs...))
			b.nonce++
			nTx++
		}
	}
	if len(txs) > 0 {
		if err := m.mine(ctx, txs); err != nil {
			return out, nil, fmt.Errorf("commit: %w", err)
		}
	}
	openHeight := m.c.Tip().Height
	// Reveal in the reveal phase's first block.
	if err := m.mineUntil(ctx, openHeight+p.CommitBlocks-1); err != nil {
		return out, nil, err
	}
	txs = nil
	for bi, idx := range perBidder {
		var reveal []auction.SealedBid
		for _, j := range idx {
			if bids[j].reveal {
				reveal = append(reveal, bids[j].bid)
			}
		}
		for chunk := range slices.Chunk(reveal, p.MaxBidsPerTx) {
			b := m.bidders[bi]
			txs = append(txs, auction.NewRevealTx(m.net, b.key, b.nonce, m.fee, chunk...))
			b.nonce++
			nTx++
		}
	}
	if len(txs) > 0 {
		if err := m.mine(ctx, txs); err != nil {
			return out, nil, fmt.Errorf("reveal: %w", err)
		}
	}
	closeHeight := openHeight + p.CommitBlocks + p.RevealBlocks - 1
	if err := m.mineUntil(ctx, closeHeight); err != nil {
		return out, nil, err
	}
	// After settlement: winners short of the price pay (bond-only bids),
	// devices deliver keys, block by block, until every auction is final.
	if err := m.settleRound(ctx, closeHeight, &nTx); err != nil {
		return out, nil, err
	}
	after, escrow, poolAfter, supply, err := m.balances()
	if err != nil {
		return out, nil, err
	}

	// Outcomes, from the chain.
	var recs []AuctionRecord
	var priceSum = map[string]float64{}
	var priceN = map[string]int{}
	var wantOwner = map[keys.Address]uint64{}
	var protocolFees, forfeitMiners uint64
	valueWon := 0.0
	ownerCost := 0.0
	err = m.c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
		for di, d := range m.devices {
			k := s.Kinds[d.kind]
			rec := AuctionRecord{Round: r + 1, Kind: k.Kind, Status: "no_bids", Reserve: thg(int64(d.terms.ReservePerPoint))}
			var vals []uint64
			for _, j := range byDevice[di].idx {
				vals = append(vals, bids[j].value)
			}
			slices.Sort(vals)
			slices.Reverse(vals)
			if len(vals) > 0 {
				rec.TopValue = thg(int64(vals[0]))
			}
			if len(vals) > 1 {
				rec.Second = thg(int64(vals[1]))
			}
			a, err := auction.GetAuction(v, auction.AuctionID(d.key.PubKey(), d.seq))
			if err != nil {
				return err
			}
			out.Auctions++
			if a != nil {
				d.seq++
			}
			if a == nil {
				out.NoSale++
				recs = append(recs, rec)
				continue
			}
			rec.Status = a.Status.String()
			rec.Bidders = int(a.Bids)
			list, err := auction.BidsOfAuction(v, a)
			if err != nil {
				return err
			}
			for _, b := range list {
				if b.Status != auction.BidForfeited {
					continue
				}
				// The chain zeroes a forfeited bid's deposit; the bidder's
				// own record has it.
				var deposit uint64
				for _, j := range byDevice[di].idx {
					if sb := bids[j].bid; m.bidders[bids[j].bidder].addr == b.Bidder {
						deposit = sb.Deposit
						if sb.Full {
							// An unrevealed full-deposit bid forfeits only its
							// bond, ⌈BondPermille × deposit / 1000⌉; the rest
							// is refunded.
							deposit = min((sb.Deposit*p.BondPermille+999)/1000, sb.Deposit)
						}
					}
				}
				rec.Forfeits++
				out.Forfeits++
				out.ForfeitTHG += thg(int64(deposit))
				own := deposit * p.ForfeitOwnerPermille / 1000
				wantOwner[a.Owner] += own
				forfeitMiners += deposit - own
			}
			switch a.Status {
			case auction.StatusDelivered, auction.StatusUndelivered:
				out.Sold++
				rec.Price = thg(int64(a.PricePerPoint))
				priceSum[k.Kind] += rec.Price
				priceN[k.Kind]++
				topWon := false
				for _, j := range byDevice[di].idx {
					if m.bidders[bids[j].bidder].addr == a.Winner {
						topWon = len(vals) > 0 && bids[j].value == vals[0]
						if a.Status == auction.StatusDelivered {
							valueWon += thg(int64(bids[j].value * d.terms.PointsPerPeriod))
						}
					}
				}
				rec.WinnerHadTopValue = topWon
				if a.Status == auction.StatusDelivered {
					out.Delivered++
					fee := a.Price * p.ProtocolFeePermille / 1000
					protocolFees += fee
					wantOwner[a.Owner] += a.Price - fee
					ownerCost += k.OwnerCostPerPoint * float64(d.terms.PointsPerPeriod)
				} else {
					out.Undelivered++
				}
			default:
				out.NoSale++
			}
			recs = append(recs, rec)
		}
		return nil
	})
	if err != nil {
		return out, nil, err
	}
	for kind, sum := range priceSum {
		out.MeanPriceByKind[kind] = sum / float64(priceN[kind])
	}
	delta := func(addrs ...keys.Address) int64 {
		var d int64
		for _, a := range addrs {
			d += int64(after[a]) - int64(before[a])
		}
		return d
	}
	var bidderAddrs []keys.Address
	for _, b := range m.bidders {
		bidderAddrs = append(bidderAddrs, b.addr)
	}
	var ownerAddrs []keys.Address
	ownersOK := true
	seenOwner := map[keys.Address]bool{}
	for _, d := range m.devices {
		if seenOwner[d.owner] {
			continue
		}
		seenOwner[d.owner] = true
		ownerAddrs = append(ownerAddrs, d.owner)
		if got := delta(d.owner); got != int64(wantOwner[d.owner]) {
			ownersOK = false
		}
	}
	fees := uint64(nTx) * m.fee
	out.FeesTHG = thg(int64(fees))
	out.PoolTHG = thg(int64(poolAfter))
	minersGot := delta(m.minerAddrs...) + delta(m.metaAddrs...) + int64(poolAfter) - int64(poolBefore)
	out.checks.MinersPaidExactly = minersGot == int64(fees+protocolFees+forfeitMiners)
	out.checks.OwnersPaidOnce = ownersOK
	var total uint64
	for _, a := range m.tracked {
		total += after[a]
	}
	out.checks.CoinConserved = total+escrow+poolAfter == supply && escrow == 0

	out.Flows.DataScientists = Flow{Revenue: valueWon, Cost: -thg(delta(bidderAddrs...))}
	out.Flows.DeviceOwners = Flow{Revenue: thg(delta(ownerAddrs...)), Cost: ownerCost}
	out.Flows.AuctionMiners = Flow{Revenue: thg(delta(m.minerAddrs...))}
	out.Flows.MetadataMiners = Flow{Revenue: thg(delta(m.metaAddrs...))}
	out.Blocks = m.blocks - startBlocks
	return out, recs, nil
}

// settleRound mines blocks after the close until every auction of the
// round is final: each block carries the payments of winners awaiting
// payment (unless they fail to pay, PayFailure) and the key deliveries
// of paid auctions (unless the device fails, DeliveryFailure).
func (m *market) settleRound(ctx context.Context, closeHeight uint64, nTx *int) error {
	type ask struct {
		auction wire.Hash
		winner  keys.Address
	}
	decided := map[ask]bool{} // payment or delivery decided (made or failed)
	limit := closeHeight + uint64(m.s.BiddersPerDevice+2)*(m.net.Auctions.PaymentBlocks+m.net.Auctions.DeliveryBlocks+2)
	for {
		var txs []*wire.Tx
		pending := false
		err := m.c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
			for _, d := range m.devices {
				a, err := auction.GetAuction(v, auction.AuctionID(d.key.PubKey(), d.seq))
				if err != nil {
					return err
				}
				if a == nil {
					continue
				}
				switch a.Status {
				case auction.StatusAwaitingPayment:
					pending = true
					k := ask{a.ID, a.Winner}
					if decided[k] {
						continue
					}
					decided[k] = true
					if m.rng.Float64() < m.s.PayFailure {
						continue
					}
					b := m.bidderOf(a.Winner)
					txs = append(txs, auction.NewPayTx(m.net, b.key, b.nonce, m.fee, a.ID))
					b.nonce++
					*nTx++
				case auction.StatusPaid:
					pending = true
					k := ask{a.ID, keys.Address{}}
					if decided[k] {
						continue
					}
					decided[k] = true
					if m.rng.Float64() < m.s.DeliveryFailure {
						continue
					}
					w, err := auction.GetBid(v, a.ID, a.Winner)
					if err != nil || w == nil {
						return fmt.Errorf("winner's bid of %s: %v", a.ID, err)
					}
					var key [32]byte
					_, _ = m.crypto.Read(key[:])
					tx, err := auction.NewDeliverKeyTx(m.net, d.key, d.nonce, 0, a.ID, w.BidderKey, key[:], m.crypto)
					if err != nil {
						return err
					}
					d.nonce++
					txs = append(txs, tx)
				case auction.StatusOpen:
					pending = true
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !pending {
			return nil
		}
		if m.c.Tip().Height > limit {
			return fmt.Errorf("auctions not final %d blocks after the close", limit-closeHeight)
		}
		if err := m.mine(ctx, txs); err != nil {
			return fmt.Errorf("settling: %w", err)
		}
	}
}

func (m *market) bidderOf(a keys.Address) *bidder {
	for _, b := range m.bidders {
		if b.addr == a {
			return b
		}
	}
	panic("econ: winner is not a simulated bidder")
}
