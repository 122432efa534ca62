package consensus

import "time"

// TestNet returns the parameters of the public test network and of local
// testnets started by `thingchain testnet`: real target spacing and ASERT
// retargeting, but a starting difficulty a laptop core meets in about the
// target spacing, and permissionless mining.
func TestNet() *Params {
	limit := targetFromBits(0x207fffff)
	chain := func(kind ChainKind, id uint32, spacing time.Duration) ChainParams {
		return ChainParams{
			Kind: kind, ChainID: id,
			GenesisTime: 1793491200000, // 2026-11-01T00:00:00Z
			// About 2^19 hashes per block: a few seconds on one core.
			GenesisBits: 0x1e200000, PowLimit: limit,
			TargetSpacing: spacing, ASERTHalfLife: 20 * spacing,
			MaxFutureDrift: time.Minute,
			MaxBlockBytes:  4 << 20, MaxBlockTxs: 20000,
			OrphanLimit: 100,
		}
	}
	p := &Params{
		Name: "test", AddressHRP: "tct",
		DefaultP2PPort: 19740, DefaultRPCPort: 19741,
		Metadata: chain(MetadataChain, 0x7463_1001, 10*time.Second),
		Auction:  chain(AuctionChain, 0x7463_1002, 5*time.Second),
	}
	p.Auction.AnchorDepth = 2
	return p
}
