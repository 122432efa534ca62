package consensus

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"time"
)

// ChainKind tells the two chains of a network apart.
type ChainKind uint8

const (
	MetadataChain ChainKind = 1
	AuctionChain  ChainKind = 2
)

func (k ChainKind) String() string {
	switch k {
	case MetadataChain:
		return "metadata"
	case AuctionChain:
		return "auction"
	}
	return fmt.Sprintf("chain(%d)", uint8(k))
}

// ParseChainKind accepts "metadata" or "auction".
func ParseChainKind(s string) (ChainKind, error) {
	switch s {
	case "metadata", "meta":
		return MetadataChain, nil
	case "auction":
		return AuctionChain, nil
	}
	return 0, fmt.Errorf("unknown chain %q: use metadata or auction", s)
}

// CurrentHeaderVersion is the only header version this release accepts.
const CurrentHeaderVersion = 1

// ChainParams are the consensus parameters of one chain of one network.
// Every value a rule depends on lives here; nothing is a scattered constant.
type ChainParams struct {
	Kind    ChainKind
	ChainID uint32 // in every header and signed hash: replay protection across chains and networks

	GenesisTime int64  // Unix milliseconds
	GenesisBits uint32 // difficulty of block 1 on the ASERT schedule's anchor
	PowLimit    *big.Int

	TargetSpacing  time.Duration
	ASERTHalfLife  time.Duration
	NoRetarget     bool // regtest: every block at GenesisBits
	MaxFutureDrift time.Duration

	MaxBlockBytes int
	MaxBlockTxs   int

	// AnchorDepth is k: an auction block may anchor only a metadata block at
	// least this many blocks below the metadata tip. Zero on the metadata chain.
	AnchorDepth uint64

	// OrphanLimit bounds blocks held while their parent is unknown.
	OrphanLimit int
}

// Params are the parameters of one network: both chains plus the
// network-wide settings.
type Params struct {
	Name       string // "main", "test", "regtest"
	AddressHRP string // bech32m prefix of addresses on this network
	// Permissioned networks accept blocks only from admitted miner keys:
	// those listed here at genesis and, later, those admitted by governance
	// transactions on the metadata chain.
	Permissioned  bool
	GenesisMiners [][33]byte // compressed secp256k1 public keys
	// MineOnDemand networks (regtest) have no target spacing worth waiting
	// for: blocks are produced when asked, at minimal difficulty.
	MineOnDemand bool

	// Authorities are the metadata chain's governance keys (compressed
	// secp256k1 public keys): a governance transaction (admit or revoke an
	// OEM or a miner) needs valid approvals from at least
	// AuthorityThreshold distinct members. The genesis state of the
	// metadata chain commits to this set (see the registry package).
	Authorities        [][33]byte
	AuthorityThreshold int

	// Allocations are the auction chain's genesis balances. Test networks
	// add a faucet (see the ledger package) on top of these.
	Allocations []Allocation

	DefaultP2PPort int
	DefaultRPCPort int

	// MinRelayFeeRate is policy, not consensus: the least fee, in base
	// units per encoded byte, at which a node pools and relays an
	// auction-chain transaction. Blocks may still carry cheaper ones. It
	// is positive on main and test so free transactions cannot flood the
	// network; regtest admits free ones for tests. The metadata chain
	// carries no coin and has no fee floor.
	MinRelayFeeRate uint64

	Metadata ChainParams
	Auction  ChainParams

	// Auctions are the rules of the auction state machine (see the auction
	// package and docs/auction.md).
	Auctions AuctionParams
}

// AuctionParams are the auction state machine's rules. Phase lengths are
// counted in auction-chain blocks; shares are in per-mille (1000 = all).
type AuctionParams struct {
	CommitBlocks   uint64 // blocks of the commit phase, from the opening block on
	RevealBlocks   uint64 // blocks of the reveal phase; settlement ends its last block
	PaymentBlocks  uint64 // blocks a winner whose deposit is short has to pay
	DeliveryBlocks uint64 // blocks the device has to deliver the key after payment

	BondPermille         uint64 // least deposit, as a share of the bid's total price
	ForfeitOwnerPermille uint64 // share of a forfeited deposit to the device owner; the rest to the block's miner
	ProtocolFeePermille  uint64 // share of a delivered auction's price to the block's miner; the rest to the owner
	MetadataFeePermille  uint64 // share of every auction block's fees for the metadata miners it anchors
	// ProtocolFeeMetadataPermille is the share of every protocol fee (the
	// miner's cut of a delivered price) that goes to the metadata miners'
	// pool instead of the delivery block's miner: without it the metadata
	// chain's miners live on transaction fees alone (docs/economics.md).
	ProtocolFeeMetadataPermille uint64

	MaxBidsPerTx      int    // bids (or reveals) one batch transaction may carry
	MaxBidsPerAuction int    // bidders one auction admits; bounds settlement work
	MaxAnchorStep     uint64 // metadata blocks one auction block may newly anchor
	MaxKeyCiphertext  int    // bytes of an ECIES-encrypted access key
}

// Chain returns the parameters of one chain of the network.
func (p *Params) Chain(kind ChainKind) *ChainParams {
	if kind == MetadataChain {
		return &p.Metadata
	}
	return &p.Auction
}

// Allocation is a genesis balance: an address (20 bytes, see chain/keys)
// and an amount in base units.
type Allocation struct {
	Address [20]byte
	Amount  uint64
}

// ForNetwork returns fresh parameters for a network name.
func ForNetwork(name string) (*Params, error) {
	switch name {
	case "main", "mainnet":
		return MainNet(), nil
	case "test", "testnet":
		return TestNet(), nil
	case "regtest", "sim":
		return RegTest(), nil
	}
	return nil, fmt.Errorf("unknown network %q: use main, test or regtest", name)
}

// mustPubKeys decodes built-in compressed public keys given in hex.
func mustPubKeys(hexKeys ...string) [][33]byte {
	out := make([][33]byte, len(hexKeys))
	for i, h := range hexKeys {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 33 {
			panic(fmt.Sprintf("consensus: invalid built-in public key %q", h))
		}
		copy(out[i][:], b)
	}
	return out
}

// targetFromBits expands bits known at compile time to be valid.
func targetFromBits(bits uint32) *big.Int {
	t, ok := CompactToBig(bits)
	if !ok {
		panic(fmt.Sprintf("consensus: invalid built-in bits %08x", bits))
	}
	return t
}
