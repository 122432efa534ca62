package consensus

import (
	"crypto/sha256"
	"time"
)

// MainNet returns the parameters of the production network. Mining and
// attestation are permissioned; difficulty starts where a small consortium
// of multi-core miners reaches the target spacing and ASERT takes it from
// there.
func MainNet() *Params {
	limit := targetFromBits(0x1f00ffff)
	chain := func(kind ChainKind, id uint32, spacing time.Duration) ChainParams {
		return ChainParams{
			Kind: kind, ChainID: id,
			GenesisTime: 1793491200000, // 2026-11-01T00:00:00Z
			GenesisBits: 0x1e0fffff, PowLimit: limit,
			TargetSpacing: spacing, ASERTHalfLife: 120 * spacing,
			MaxFutureDrift: 2 * time.Minute,
			MaxBlockBytes:  4 << 20, MaxBlockTxs: 20000,
			OrphanLimit: 100,
		}
	}
	p := &Params{
		Name: "main", AddressHRP: "tc", Permissioned: true,
		MinRelayFeeRate: 1,
		DefaultP2PPort:  9740, DefaultRPCPort: 9741,
		Metadata: chain(MetadataChain, 0x7463_0001, 10*time.Second),
		Auction:  chain(AuctionChain, 0x7463_0002, 5*time.Second),
	}
	p.Auction.AnchorDepth = 6
	p.Auctions = AuctionParams{
		CommitBlocks: 720, RevealBlocks: 720, PaymentBlocks: 720, DeliveryBlocks: 1440,
		BondPermille: 100, ForfeitOwnerPermille: 500, ProtocolFeePermille: 20, MetadataFeePermille: 200,
		ProtocolFeeMetadataPermille: 500, // docs/economics.md: metadata mining pays only with a share of prices
		MaxBidsPerTx:                256, MaxBidsPerAuction: 1000, MaxAnchorStep: 1000, MaxKeyCiphertext: 1024,
	}
	// Genesis coin: a placeholder consortium treasury of 100,000,000 THG
	// (1 THG = 10^8 units). Its address is a hash of a fixed string, not of
	// a public key, so nobody can spend it: it fixes the shape of main's
	// genesis until the consortium names its real treasury key at launch.
	p.Allocations = []Allocation{
		{Address: placeholderAddress("thingchain main consortium treasury (placeholder)"), Amount: 100_000_000 * 100_000_000},
	}
	// Placeholder: the consortium's authority keys and threshold are set
	// at launch. Until then no governance transaction can reach the
	// threshold, so no OEM or miner can be admitted on main.
	p.Authorities = nil
	p.AuthorityThreshold = 1
	return p
}

// placeholderAddress is SHA-256(s)[:20]: shaped like an address
// (SHA-256(pubkey)[:20], see chain/keys) but with no known key behind it.
func placeholderAddress(s string) [20]byte {
	h := sha256.Sum256([]byte(s))
	var a [20]byte
	copy(a[:], h[:20])
	return a
}
