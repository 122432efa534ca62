package consensus

import "time"

// TestNet returns the parameters of the public test network and of local
// testnets started by `thingchain testnet`: real target spacing and ASERT
// retargeting, but a starting difficulty a laptop core meets in about the
// target spacing, and permissionless mining.
func TestNet() *Params {
	limit := targetFromBits(0x207fffff)
	chain := func(kind ChainKind, id uint32, spacing time.Duration, bits uint32) ChainParams {
		return ChainParams{
			Kind: kind, ChainID: id,
			GenesisTime: 1793491200000, // 2026-11-01T00:00:00Z
			GenesisBits: bits, PowLimit: limit,
			TargetSpacing: spacing, ASERTHalfLife: 20 * spacing,
			MaxFutureDrift: time.Minute,
			MaxBlockBytes:  4 << 20, MaxBlockTxs: 20000,
			OrphanLimit: 100,
		}
	}
	p := &Params{
		Name: "test", AddressHRP: "tct",
		MinRelayFeeRate: 1,
		DefaultP2PPort:  19740, DefaultRPCPort: 19741,
		// About 2^22 and 2^21 expected hashes: a few blocks per target
		// spacing on one core at ~3 MH/s, so a new local testnet shows both
		// chains moving at once; ASERT (half-life 20 blocks) then raises
		// difficulty to the schedule within minutes.
		Metadata: chain(MetadataChain, 0x7463_1001, 10*time.Second, 0x1e040000),
		Auction:  chain(AuctionChain, 0x7463_1002, 5*time.Second, 0x1e080000),
	}
	p.Auction.AnchorDepth = 2
	p.Auctions = AuctionParams{
		CommitBlocks: 8, RevealBlocks: 6, PaymentBlocks: 6, DeliveryBlocks: 12,
		BondPermille: 100, ForfeitOwnerPermille: 500, ProtocolFeePermille: 20, MetadataFeePermille: 200,
		ProtocolFeeMetadataPermille: 500, // docs/economics.md: metadata mining pays only with a share of prices
		MaxBidsPerTx:                256, MaxBidsPerAuction: 1000, MaxAnchorStep: 1000, MaxKeyCiphertext: 1024,
	}
	// Well-known authority keys: private key i is
	// SHA-256("thingchain test authority <i>") (registry.DevAuthorityKeys),
	// so anyone running a local testnet can govern it.
	p.Authorities = mustPubKeys(
		"03425fb48e51132e26cf62215d1a94f695efb222c5c8e4cb0727a093a8c16cc3f1",
		"026ac9dc493e34d11acdc2128fe93815220aafbbe40d6add6beee640dad95a89c6",
		"03b873f28334d9e8d36465d0f9b7aa90cad8ee9779a3dcdc6d1d07f611a6a9311a",
	)
	p.AuthorityThreshold = 2
	return p
}
