package consensus

import (
	"math/big"
	"strings"
	"testing"
)

func allNetworks() []*Params { return []*Params{MainNet(), TestNet(), RegTest()} }

func TestForNetworkNamesAndAliases(t *testing.T) {
	cases := map[string]string{
		"main": "main", "mainnet": "main",
		"test": "test", "testnet": "test",
		"regtest": "regtest", "sim": "regtest",
	}
	for in, want := range cases {
		p, err := ForNetwork(in)
		if err != nil {
			t.Errorf("ForNetwork(%q): %v", in, err)
			continue
		}
		if p.Name != want {
			t.Errorf("ForNetwork(%q).Name = %q, want %q", in, p.Name, want)
		}
	}
	for _, bad := range []string{"", "moon", "Main", "TESTNET", " main", "signet"} {
		p, err := ForNetwork(bad)
		if err == nil || p != nil {
			t.Errorf("ForNetwork(%q) = %v, %v; want an error", bad, p, err)
			continue
		}
		for _, name := range []string{"main", "test", "regtest"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("ForNetwork(%q) error %q does not mention %q", bad, err, name)
			}
		}
	}
}

func TestChainIDsUnique(t *testing.T) {
	ids := map[uint32]string{}
	for _, p := range allNetworks() {
		for _, c := range []*ChainParams{&p.Metadata, &p.Auction} {
			where := p.Name + "/" + c.Kind.String()
			if c.ChainID == 0 {
				t.Errorf("%s: zero chain ID", where)
			}
			if prev, dup := ids[c.ChainID]; dup {
				t.Errorf("chain ID %08x used by %s and %s", c.ChainID, prev, where)
			}
			ids[c.ChainID] = where
		}
	}
	if len(ids) != 6 {
		t.Errorf("%d distinct chain IDs, want 6", len(ids))
	}
}

func TestChainParamsSane(t *testing.T) {
	max256 := new(big.Int).Lsh(big.NewInt(1), 256)
	for _, p := range allNetworks() {
		if p.Metadata.Kind != MetadataChain || p.Auction.Kind != AuctionChain {
			t.Errorf("%s: kinds %v/%v", p.Name, p.Metadata.Kind, p.Auction.Kind)
		}
		if p.Chain(MetadataChain) != &p.Metadata || p.Chain(AuctionChain) != &p.Auction {
			t.Errorf("%s: Chain returns the wrong chain", p.Name)
		}
		if p.AddressHRP == "" || p.DefaultP2PPort == 0 || p.DefaultRPCPort == 0 || p.DefaultP2PPort == p.DefaultRPCPort {
			t.Errorf("%s: HRP %q ports %d/%d", p.Name, p.AddressHRP, p.DefaultP2PPort, p.DefaultRPCPort)
		}
		for _, c := range []*ChainParams{&p.Metadata, &p.Auction} {
			where := p.Name + "/" + c.Kind.String()
			if c.PowLimit == nil || c.PowLimit.Sign() <= 0 || c.PowLimit.Cmp(max256) >= 0 {
				t.Errorf("%s: PowLimit %v out of range", where, c.PowLimit)
				continue
			}
			// The limit must be exactly representable, or NextBits could
			// clamp to a value it cannot encode.
			if back, ok := CompactToBig(BigToCompact(c.PowLimit)); !ok || back.Cmp(c.PowLimit) != 0 {
				t.Errorf("%s: PowLimit %x is not exactly compact-encodable", where, c.PowLimit)
			}
			start, ok := CompactToBig(c.GenesisBits)
			if !ok || start.Sign() <= 0 {
				t.Errorf("%s: GenesisBits %08x invalid", where, c.GenesisBits)
			}
			if start.Cmp(c.PowLimit) > 0 {
				t.Errorf("%s: GenesisBits %08x easier than PowLimit", where, c.GenesisBits)
			}
			// Canonical encoding, so an on-schedule chain keeps exactly GenesisBits.
			if BigToCompact(start) != c.GenesisBits {
				t.Errorf("%s: GenesisBits %08x not canonical (%08x)", where, c.GenesisBits, BigToCompact(start))
			}
			if c.TargetSpacing <= 0 || c.ASERTHalfLife < c.TargetSpacing || c.MaxFutureDrift <= 0 {
				t.Errorf("%s: spacing %s half-life %s drift %s", where, c.TargetSpacing, c.ASERTHalfLife, c.MaxFutureDrift)
			}
			if c.TargetSpacing.Milliseconds() == 0 || c.ASERTHalfLife.Milliseconds() == 0 {
				t.Errorf("%s: spacing or half-life below a millisecond", where)
			}
			if c.MaxBlockBytes <= 0 || c.MaxBlockTxs <= 0 || c.OrphanLimit <= 0 {
				t.Errorf("%s: limits %d bytes %d txs %d orphans", where, c.MaxBlockBytes, c.MaxBlockTxs, c.OrphanLimit)
			}
			if c.GenesisTime <= 0 {
				t.Errorf("%s: GenesisTime %d", where, c.GenesisTime)
			}
		}
		if p.Metadata.AnchorDepth != 0 || p.Auction.AnchorDepth == 0 {
			t.Errorf("%s: anchor depth metadata %d auction %d", p.Name, p.Metadata.AnchorDepth, p.Auction.AnchorDepth)
		}
	}
}

func TestNetworkFlags(t *testing.T) {
	m, tn, r := MainNet(), TestNet(), RegTest()
	if !m.Permissioned || tn.Permissioned || r.Permissioned {
		t.Errorf("Permissioned: main %v test %v regtest %v; want only main", m.Permissioned, tn.Permissioned, r.Permissioned)
	}
	if m.MineOnDemand || tn.MineOnDemand || !r.MineOnDemand {
		t.Errorf("MineOnDemand: main %v test %v regtest %v; want only regtest", m.MineOnDemand, tn.MineOnDemand, r.MineOnDemand)
	}
	for _, p := range []*Params{m, tn, r} {
		for _, c := range []*ChainParams{&p.Metadata, &p.Auction} {
			if want := p == r; c.NoRetarget != want {
				t.Errorf("%s/%s: NoRetarget %v, want %v", p.Name, c.Kind, c.NoRetarget, want)
			}
		}
	}
}

func TestForNetworkFresh(t *testing.T) {
	for _, name := range []string{"main", "test", "regtest"} {
		a, _ := ForNetwork(name)
		b, _ := ForNetwork(name)
		if a == b {
			t.Fatalf("%s: same pointer twice", name)
		}
		wantLimit := new(big.Int).Set(b.Metadata.PowLimit)
		wantAuctionTxs := b.Auction.MaxBlockTxs

		// Mutate everything reachable from a, including through pointers
		// and slices, then fetch again.
		a.Name = "mutated"
		a.Auction.MaxBlockTxs = 1
		a.Metadata.GenesisBits = 0
		a.Metadata.PowLimit.SetInt64(1)
		a.Auction.PowLimit.SetInt64(1)
		for i := range a.GenesisMiners {
			a.GenesisMiners[i][0] ^= 0xff
		}
		for i := range a.Allocations {
			a.Allocations[i].Amount++
		}
		c, _ := ForNetwork(name)
		if c.Name != name || c.Auction.MaxBlockTxs != wantAuctionTxs || c.Metadata.GenesisBits == 0 {
			t.Errorf("%s: scalar fields shared between calls", name)
		}
		if c.Metadata.PowLimit.Cmp(wantLimit) != 0 || c.Auction.PowLimit.Cmp(wantLimit) != 0 {
			t.Errorf("%s: PowLimit shared between calls", name)
		}
		for i := range c.GenesisMiners {
			if c.GenesisMiners[i] != b.GenesisMiners[i] {
				t.Errorf("%s: GenesisMiners shared between calls", name)
			}
		}
		for i := range c.Allocations {
			if c.Allocations[i] != b.Allocations[i] {
				t.Errorf("%s: Allocations shared between calls", name)
			}
		}
	}
}

func TestParseChainKind(t *testing.T) {
	good := map[string]ChainKind{"metadata": MetadataChain, "meta": MetadataChain, "auction": AuctionChain}
	for in, want := range good {
		k, err := ParseChainKind(in)
		if err != nil || k != want {
			t.Errorf("ParseChainKind(%q) = %v, %v; want %v", in, k, err, want)
		}
	}
	for _, k := range []ChainKind{MetadataChain, AuctionChain} {
		if back, err := ParseChainKind(k.String()); err != nil || back != k {
			t.Errorf("ParseChainKind(%q) does not round-trip", k)
		}
	}
	for _, bad := range []string{"", "side", "Auction", "METADATA", "chain(1)"} {
		k, err := ParseChainKind(bad)
		if err == nil || k != 0 {
			t.Errorf("ParseChainKind(%q) = %v, %v; want an error", bad, k, err)
			continue
		}
		if !strings.Contains(err.Error(), "metadata") || !strings.Contains(err.Error(), "auction") {
			t.Errorf("ParseChainKind(%q) error %q does not name the valid chains", bad, err)
		}
	}
	if s := ChainKind(7).String(); s != "chain(7)" {
		t.Errorf("ChainKind(7).String() = %q", s)
	}
	if MetadataChain.String() != "metadata" || AuctionChain.String() != "auction" {
		t.Error("ChainKind strings")
	}
}

func TestTargetFromBitsPanicsOnInvalid(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("targetFromBits accepted negative bits")
		}
	}()
	targetFromBits(0x04923456)
}
