package node

import (
	"errors"
	"sync"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// registryReader serves the API's reads of the metadata chain: records
// from the tip state, queries from the in-memory index.
type registryReader struct {
	meta  *chain.Chain
	index *registry.Index
}

func readTip[T any](c *chain.Chain, get func(v *chain.View) (T, error)) (T, error) {
	var out T
	err := c.ViewState(func(v *chain.View) error {
		var err error
		out, err = get(v)
		return err
	})
	return out, err
}

func (r registryReader) Device(d keys.PubKey) (*registry.Device, error) {
	return readTip(r.meta, func(v *chain.View) (*registry.Device, error) { return registry.GetDevice(v, d) })
}

func (r registryReader) OEM(k keys.PubKey) (*registry.Member, error) {
	return readTip(r.meta, func(v *chain.View) (*registry.Member, error) { return registry.GetOEM(v, k) })
}

func (r registryReader) Miner(k keys.PubKey) (*registry.Member, error) {
	return readTip(r.meta, func(v *chain.View) (*registry.Member, error) { return registry.GetMiner(v, k) })
}

func (r registryReader) Model(id string) (*registry.Model, error) {
	return readTip(r.meta, func(v *chain.View) (*registry.Model, error) { return registry.GetModel(v, id) })
}

func (r registryReader) Query(f registry.Filter) registry.QueryResult { return r.index.Query(f) }

// metadataNonce is a key's next metadata-chain nonce at the tip.
func (n *Node) metadataNonce(pk keys.PubKey) (uint64, error) {
	return readTip(n.Metadata, func(v *chain.View) (uint64, error) { return registry.NextNonce(v, pk) })
}

// stateNonce is a sender's committed next nonce on either chain.
func (n *Node) stateNonce(kind consensus.ChainKind, pk keys.PubKey) (uint64, error) {
	if kind == consensus.MetadataChain {
		return n.metadataNonce(pk)
	}
	return n.auctionNonce(pk)
}

// startIndex builds the device index from the metadata tip and keeps it
// current from the chain's events. Refresh re-reads the touched records
// at the tip, so an event delivered after a later block still converges.
func (n *Node) startIndex() error {
	n.Index = registry.NewIndex()
	n.Metadata.Subscribe(func(ev chain.Event) {
		err := n.Metadata.ViewState(func(v *chain.View) error { return n.Index.ApplyEvent(v, ev) })
		if err != nil {
			n.log.Error("device index update failed", "err", err)
		}
	})
	return n.Metadata.ViewState(func(v *chain.View) error { return n.Index.Rebuild(v) })
}

// minerSet is the permissioned-mining rule: on a permissioned network a
// block's miner key must be in GenesisMiners or admitted (and not
// revoked) by governance on the metadata chain. The governed part is
// read from the metadata tip and cached, because the rule runs inside
// both chains' header checks and must not call back into a chain.
type minerSet struct {
	net *consensus.Params
	mu  sync.RWMutex
	// governed caches MinerAdmitted at the metadata tip; cleared on every
	// metadata event that carries a governance transaction.
	governed map[keys.PubKey]bool
	meta     *chain.Chain
}

const maxCachedMiners = 4096

var errNotAdmitted = errors.New("not an admitted miner of this permissioned network")

func newMinerSet(net *consensus.Params) *minerSet {
	return &minerSet{net: net, governed: map[keys.PubKey]bool{}}
}

// rule returns the chain.Config.MinerAllowed function, nil when the
// network is not permissioned.
func (s *minerSet) rule() func(keys.PubKey) error {
	if !s.net.Permissioned {
		return nil
	}
	return s.allowed
}

func (s *minerSet) allowed(k keys.PubKey) error {
	for _, g := range s.net.GenesisMiners {
		if keys.PubKey(g) == k {
			return nil
		}
	}
	s.mu.RLock()
	ok, cached := s.governed[k]
	meta := s.meta
	s.mu.RUnlock()
	if !cached && meta != nil {
		var err error
		ok, err = readTip(meta, func(v *chain.View) (bool, error) { return registry.MinerAdmitted(v, k) })
		if err != nil {
			return err
		}
		s.mu.Lock()
		if len(s.governed) >= maxCachedMiners { // unknown keys from peers must not grow it without bound
			clear(s.governed)
		}
		s.governed[k] = ok
		s.mu.Unlock()
	}
	if !ok {
		return errNotAdmitted
	}
	return nil
}

// follow attaches the metadata chain once it is open: governance there
// changes who may mine.
func (s *minerSet) follow(meta *chain.Chain) {
	s.mu.Lock()
	s.meta = meta
	s.mu.Unlock()
	meta.Subscribe(func(ev chain.Event) {
		if eventHasType(ev, registry.TxGovernance) {
			s.mu.Lock()
			clear(s.governed)
			s.mu.Unlock()
		}
	})
}

func eventHasType(ev chain.Event, txType uint16) bool {
	for _, list := range [2][]*wire.Block{ev.Reverted, ev.Applied} {
		for _, b := range list {
			for _, tx := range b.Txs {
				if tx.Type == txType {
					return true
				}
			}
		}
	}
	return false
}
