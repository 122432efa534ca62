package node

import (
	"errors"
	"log/slog"
	"sync/atomic"

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

func (r registryReader) Model(id string, version uint32) (*registry.Model, error) {
	return readTip(r.meta, func(v *chain.View) (*registry.Model, error) {
		if version == 0 {
			return registry.GetModel(v, id)
		}
		return registry.GetModelVersion(v, id, version)
	})
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
// revoked) by governance on the metadata chain. The rule runs inside both
// chains' header checks, with the metadata chain's lock held when it
// checks a metadata block, so it never reads a chain: it answers from a
// set rebuilt from the metadata tip state when the chain opens and after
// every metadata event that carries a governance transaction.
type minerSet struct {
	net      *consensus.Params
	admitted atomic.Pointer[map[keys.PubKey]bool]
	log      *slog.Logger
}

var errNotAdmitted = errors.New("not an admitted miner of this permissioned network")

func newMinerSet(net *consensus.Params, log *slog.Logger) *minerSet {
	s := &minerSet{net: net, log: log}
	genesis := make(map[keys.PubKey]bool, len(net.GenesisMiners))
	for _, k := range net.GenesisMiners {
		genesis[keys.PubKey(k)] = true
	}
	s.admitted.Store(&genesis)
	return s
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
	if !(*s.admitted.Load())[k] {
		return errNotAdmitted
	}
	return nil
}

// follow loads the governed set from the metadata chain once it is open
// and keeps it current.
func (s *minerSet) follow(meta *chain.Chain) error {
	refresh := func() error {
		list, err := readTip(meta, registry.AdmittedMiners)
		if err != nil {
			return err
		}
		set := make(map[keys.PubKey]bool, len(list))
		for _, k := range list { // genesis miners included: the registry records them at genesis
			set[k] = true
		}
		s.admitted.Store(&set)
		return nil
	}
	meta.Subscribe(func(ev chain.Event) {
		if eventHasType(ev, registry.TxGovernance) {
			if err := refresh(); err != nil {
				s.log.Error("reloading admitted miners", "err", err)
			}
		}
	})
	return refresh()
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
