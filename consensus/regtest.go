package consensus

import "time"

// RegTest returns the parameters of the regression-test network: minimal
// difficulty with no retargeting, so blocks are mined on demand in
// microseconds, and permissionless mining. Auction periods on regtest are
// minutes, not days (see the auction package).
func RegTest() *Params {
	limit := targetFromBits(0x207fffff)
	chain := func(kind ChainKind, id uint32) ChainParams {
		return ChainParams{
			Kind: kind, ChainID: id,
			GenesisTime: 1793491200000, // 2026-11-01T00:00:00Z
			GenesisBits: 0x207fffff, PowLimit: limit,
			TargetSpacing: time.Second, ASERTHalfLife: time.Minute,
			NoRetarget:     true,
			MaxFutureDrift: time.Minute,
			MaxBlockBytes:  8 << 20, MaxBlockTxs: 40000,
			OrphanLimit: 100,
		}
	}
	p := &Params{
		Name: "regtest", AddressHRP: "tcr", MineOnDemand: true,
		DefaultP2PPort: 29740, DefaultRPCPort: 29741,
		Metadata: chain(MetadataChain, 0x7463_2001),
		Auction:  chain(AuctionChain, 0x7463_2002),
	}
	p.Auction.AnchorDepth = 1
	p.Auctions = AuctionParams{
		CommitBlocks: 3, RevealBlocks: 3, PaymentBlocks: 3, DeliveryBlocks: 5,
		BondPermille: 100, ForfeitOwnerPermille: 500, ProtocolFeePermille: 20, MetadataFeePermille: 200,
		MaxBidsPerTx: 256, MaxBidsPerAuction: 1000, MaxAnchorStep: 1000, MaxKeyCiphertext: 1024,
	}
	// Well-known authority keys: private key i is
	// SHA-256("thingchain regtest authority <i>") (registry.DevAuthorityKeys),
	// so tests and local tools can govern.
	p.Authorities = mustPubKeys(
		"0260f173a992f5a66bdc1083ac2fc8f09cca276f778571f2fa1e9f17f460dec0b3",
		"029db6446cbce6323ed10ee64adeae473d84ad747c044042c8bbbf2c8e48aae334",
		"03b85525d34ed5942dfa5bf5bc7269c45ccfce0b494bb5a7c094b78f776a505854",
	)
	p.AuthorityThreshold = 2
	return p
}
