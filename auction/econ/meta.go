package econ

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// metaModel is the metadata chain as the auction machine sees it: block
// hashes and reward addresses by height, and each device's record from
// the height it was checked in. Its miners take turns, as equal hash
// rates do on average.
type metaModel struct {
	mu      sync.Mutex
	blocks  []metaBlock // index = height; 0 is genesis (no miner)
	miners  []keys.Address
	devices map[keys.PubKey]metaDevice
}

type metaBlock struct {
	hash   wire.Hash
	reward keys.Address
}

type metaDevice struct {
	from uint64
	info auction.DeviceInfo
}

var _ auction.Metadata = (*metaModel)(nil)

func newMetaModel(miners []keys.Address) *metaModel {
	return &metaModel{
		blocks:  []metaBlock{{hash: sha256.Sum256([]byte("econ metadata genesis"))}},
		miners:  miners,
		devices: map[keys.PubKey]metaDevice{},
	}
}

// grow appends n blocks, mined in turn by the metadata miners.
func (m *metaModel) grow(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range n {
		h := uint64(len(m.blocks))
		m.blocks = append(m.blocks, metaBlock{
			hash:   sha256.Sum256(binary.BigEndian.AppendUint64([]byte("econ metadata"), h)),
			reward: m.miners[int(h-1)%len(m.miners)],
		})
	}
}

// checkIn records a device as auctionable from the next block on.
func (m *metaModel) checkIn(d keys.PubKey, info auction.DeviceInfo) {
	m.mu.Lock()
	m.devices[d] = metaDevice{from: uint64(len(m.blocks)), info: info}
	m.mu.Unlock()
}

func (m *metaModel) BlockAt(h uint64) (wire.Hash, keys.Address, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h >= uint64(len(m.blocks)) {
		return wire.Hash{}, keys.Address{}, false, nil
	}
	return m.blocks[h].hash, m.blocks[h].reward, true, nil
}

func (m *metaModel) TipHeight() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.blocks) - 1)
}

// height finds a block by hash; the model has one branch, so a block's
// hash names its height.
func (m *metaModel) height(hash wire.Hash) (uint64, bool) {
	for h := len(m.blocks) - 1; h >= 0; h-- {
		if m.blocks[h].hash == hash {
			return uint64(h), true
		}
	}
	return 0, false
}

func (m *metaModel) Block(hash wire.Hash) (auction.MetaBlock, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.height(hash)
	if !ok {
		return auction.MetaBlock{}, false, nil
	}
	return auction.MetaBlock{Height: h, HaveData: true, MainChain: true, Depth: uint64(len(m.blocks)-1) - h}, true, nil
}

func (m *metaModel) AncestorAt(hash wire.Hash, height uint64) (wire.Hash, keys.Address, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.height(hash)
	if !ok || height > h {
		return wire.Hash{}, keys.Address{}, false, nil
	}
	return m.blocks[height].hash, m.blocks[height].reward, true, nil
}

func (m *metaModel) DeviceAt(d keys.PubKey, at wire.Anchor) (auction.DeviceInfo, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at.Height >= uint64(len(m.blocks)) || m.blocks[at.Height].hash != at.Hash {
		return auction.DeviceInfo{}, false, fmt.Errorf("%w: modelled metadata block %s is unknown", auction.ErrAnchorPending, at.Hash)
	}
	dev, ok := m.devices[d]
	if !ok || dev.from > at.Height {
		return auction.DeviceInfo{}, false, nil
	}
	return dev.info, true, nil
}
