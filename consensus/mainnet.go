package consensus

import "time"

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
		DefaultP2PPort: 9740, DefaultRPCPort: 9741,
		Metadata: chain(MetadataChain, 0x7463_0001, 10*time.Second),
		Auction:  chain(AuctionChain, 0x7463_0002, 5*time.Second),
	}
	p.Auction.AnchorDepth = 6
	return p
}
