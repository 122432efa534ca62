package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Outbox sizes. Blocks are sent before transactions.
const (
	blockOutbox = 1024
	txOutbox    = 16384
	// staleDepth: a gossiped block we already have that is this far below
	// our tip is not a relay race but spam (PenaltyUnsolicited).
	staleDepth = 16
	// validatorConcurrency bounds validations in flight per topic; beyond
	// it pubsub drops messages. The global bound is validateThrottle.
	validatorConcurrency = 8192
	validateThrottle     = 4 * validatorConcurrency
)

// errOutboxFull is returned by Broadcast* when the node cannot keep up;
// peers still get the data by sync (blocks) or not at all (transactions,
// which the submitter may resend).
var errOutboxFull = errors.New("p2p: gossip outbox full")

// chainNet is the network side of one chain: its two topics, its sync
// protocol and the loops that serve them.
type chainNet struct {
	n    *Node
	h    ChainHandle
	kind consensus.ChainKind
	name string

	blocks, txs     *pubsub.Topic
	blockSub, txSub *pubsub.Subscription
	blockOut, txOut chan []byte
	seenBlocks      *recentSet // blocks that came from the network
	seenTxs         *recentSet // transactions that came from the network
	syncProto       protocol.ID
	syncQueue       chan peer.ID
	pendingMu       sync.Mutex
	pending         map[peer.ID]bool // queued for syncLoop
	servingMu       sync.Mutex
	servingN        map[peer.ID]int // sync requests being served
	flightsMu       sync.Mutex
	flights         map[wire.Hash]*flight // blocks a sync is fetching
	recordsMu       sync.Mutex
	records         map[peer.ID]*peerRecord // what sync learnt of each peer
	meter           syncMeter               // progress of this chain's syncs
}

// Topic and protocol names for one chain of one network.
func topicPrefix(network string, chainID uint32) string {
	return fmt.Sprintf("/thingchain/%s/%08x", network, chainID)
}

// BlockTopic, TxTopic and SyncProtocol name what a chain uses on a
// network; other implementations (and tests) join the same names.
func BlockTopic(network string, chainID uint32) string {
	return topicPrefix(network, chainID) + "/blocks/1"
}

// TxTopic carries transaction frames (see DecodeTxFrame); version 2
// replaced one transaction per message.
func TxTopic(network string, chainID uint32) string { return topicPrefix(network, chainID) + "/txs/2" }

func SyncProtocol(network string, chainID uint32) protocol.ID {
	return protocol.ID(topicPrefix(network, chainID) + "/sync/1")
}

func newChainNet(n *Node, h ChainHandle) (*chainNet, error) {
	p := h.Chain.Params()
	cn := &chainNet{
		n: n, h: h, kind: p.Kind, name: p.Kind.String(),
		blockOut: make(chan []byte, blockOutbox), txOut: make(chan []byte, txOutbox),
		seenBlocks: newRecentSet(100_000), seenTxs: newRecentSet(200_000),
		syncProto: SyncProtocol(n.cfg.NetworkName, p.ChainID),
		syncQueue: make(chan peer.ID, 256), pending: map[peer.ID]bool{}, servingN: map[peer.ID]int{},
		records: map[peer.ID]*peerRecord{},
		flights: map[wire.Hash]*flight{},
	}
	bt, tt := BlockTopic(n.cfg.NetworkName, p.ChainID), TxTopic(n.cfg.NetworkName, p.ChainID)
	var err error
	if err = n.ps.RegisterTopicValidator(bt, cn.validateBlock, pubsub.WithValidatorConcurrency(validatorConcurrency)); err != nil {
		return nil, err
	}
	// A frame's validation waits for its signature checks. Pubsub drops
	// (silently) any message arriving while a topic already has its
	// validator concurrency in flight, 1024 by default, which a burst
	// on two busy cores exceeds; the goroutines are cheap, losses are not.
	if err = n.ps.RegisterTopicValidator(tt, cn.validateTxFrame, pubsub.WithValidatorConcurrency(validatorConcurrency)); err != nil {
		return nil, err
	}
	if cn.blocks, err = n.ps.Join(bt); err != nil {
		return nil, err
	}
	if cn.txs, err = n.ps.Join(tt); err != nil {
		return nil, err
	}
	// Subscriptions buffer 8192 messages: the default of 32 loses most of
	// a burst (design §7).
	if cn.blockSub, err = cn.blocks.Subscribe(pubsub.WithBufferSize(8192)); err != nil {
		return nil, err
	}
	if cn.txSub, err = cn.txs.Subscribe(pubsub.WithBufferSize(8192)); err != nil {
		return nil, err
	}
	n.host.SetStreamHandler(cn.syncProto, cn.serveSync)
	return cn, nil
}

func (cn *chainNet) start() {
	// Announce what this node produces itself: blocks it connects that did
	// not come from the network (mined here, submitted through the API)
	// and transactions its pool accepts that did not come from the
	// network. Whatever came from the network pubsub relays already.
	cn.h.Chain.Subscribe(func(ev chain.Event) {
		for _, b := range ev.Applied {
			if !cn.seenBlocks.has(b.Hash()) {
				if err := cn.enqueue(cn.blockOut, b.Encode()); err != nil {
					cn.n.log.Warn("block not announced; peers will sync it", "chain", cn.name, "hash", b.Hash(), "err", err)
				}
			}
		}
	})
	if cn.h.TxPool != nil {
		cn.h.TxPool.OnNewTx(func(tx *wire.Tx) {
			if !cn.seenTxs.has(tx.ID()) {
				if err := cn.enqueue(cn.txOut, tx.Encode()); err != nil {
					cn.n.log.Warn("transaction not announced", "chain", cn.name, "tx", tx.ID(), "err", err)
				}
			}
		})
	}
	for _, loop := range []func(){cn.publishLoop, cn.blockLoop, cn.txLoop, cn.syncLoop} {
		cn.n.wg.Add(1)
		go func() {
			defer cn.n.wg.Done()
			loop()
		}()
	}
}

func (cn *chainNet) enqueue(ch chan []byte, data []byte) error {
	select {
	case ch <- data:
		return nil
	default:
		return errOutboxFull
	}
}

// publishLoop sends queued gossip, blocks first. Transactions are
// collected for txFrameInterval after the first one arrives (or until a
// frame is full) and published as one frame.
func (cn *chainNet) publishLoop() {
	ctx := cn.n.ctx
	publish := func(t *pubsub.Topic, data []byte) {
		if err := t.Publish(ctx, data); err != nil && ctx.Err() == nil {
			cn.n.log.Debug("publish failed", "chain", cn.name, "err", err)
		}
	}
	var frame txFrame
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	defer flush.Stop()
	for {
		select {
		case data := <-cn.blockOut:
			publish(cn.blocks, data)
			continue
		default:
		}
		select {
		case <-ctx.Done():
			return
		case data := <-cn.blockOut:
			publish(cn.blocks, data)
		case tx := <-cn.txOut:
			if !frame.fits(len(tx)) {
				publish(cn.txs, frame.bytes())
			}
			frame.add(tx)
			if frame.n == 1 {
				flush.Reset(txFrameInterval)
			}
		case <-flush.C:
			if frame.n > 0 {
				publish(cn.txs, frame.bytes())
			}
		}
	}
}

// validateBlock runs before pubsub relays a block, staged cheap to
// costly: size, decoding, every context-free rule (the chain's own
// CheckBlockSanity: proof of work, miner signature, Merkle root,
// transactions and their signatures), miner admission, the branch's work,
// and then full validation by the chain itself (ProcessBlockBytes). So
// this node relays only blocks it has stored as valid, and a peer that
// sends one failing any rule is at fault: every honest node validates in
// full before relaying, as this one does.
//
// A block whose parent is unknown goes to the chain's orphan pool and is
// not relayed; if it connects later, the chain hook announces it. A block
// that extends a branch with less work than the tip is ignored and not
// stored (a peer cannot fill the block index with cheap side branches).
func (cn *chainNet) validateBlock(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if !cn.n.enterValidator() {
		return pubsub.ValidationIgnore // closing: the chain may be gone
	}
	defer cn.n.leaveValidator()
	res := cn.judgeBlock(from, m)
	if h := cn.n.cfg.hooks; h != nil && h.blockVerdict != nil {
		h.blockVerdict(from, m.Data, res)
	}
	return res
}

func (cn *chainNet) judgeBlock(from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == cn.n.host.ID() {
		return pubsub.ValidationAccept
	}
	if cn.n.Banned(from) {
		return pubsub.ValidationReject
	}
	if max := cn.h.Chain.Params().MaxBlockBytes; len(m.Data) > max {
		cn.n.penalize(from, PenaltyOversized, false, fmt.Sprintf("%s block gossip of %d bytes, limit %d", cn.name, len(m.Data), max))
		return pubsub.ValidationReject
	}
	blk, err := wire.DecodeBlock(m.Data)
	if err != nil {
		cn.n.penalize(from, PenaltyMalformed, false, cn.name+" block gossip: "+err.Error())
		return pubsub.ValidationReject
	}
	hash := blk.Hash()
	if cn.h.Chain.HaveBlock(hash) {
		if tip := cn.h.Chain.Tip(); blk.Header.Height+staleDepth < tip.Height {
			cn.n.penalize(from, PenaltyUnsolicited, true, fmt.Sprintf("stale %s block at height %d gossiped, tip %d", cn.name, blk.Header.Height, tip.Height))
		}
		return pubsub.ValidationIgnore
	}
	ctx := cn.n.ctx
	if err := cn.h.Chain.CheckBlockSanity(ctx, blk, len(m.Data)); err != nil {
		if isPeerFault(err) {
			cn.n.penalize(from, PenaltyInvalidBlock, false, fmt.Sprintf("%s block %s: %v", cn.name, hash, err))
		}
		return pubsub.ValidationReject
	}
	if allowed := cn.h.MinerAllowed; allowed != nil {
		if err := allowed(keys.PubKey(blk.Header.MinerKey)); err != nil {
			cn.n.penalize(from, PenaltyInvalidBlock, false, fmt.Sprintf("%s block from miner %x, who is not admitted: %v", cn.name, blk.Header.MinerKey, err))
			return pubsub.ValidationReject
		}
	}
	if parentWork, ok := cn.h.Chain.BlockWork(blk.Header.PrevHash); ok {
		work := parentWork.Add(parentWork, consensus.CalcWork(blk.Header.Bits))
		if work.Cmp(cn.h.Chain.Tip().Work) < 0 {
			cn.n.log.Debug("gossiped block on a branch with less work ignored", "chain", cn.name, "hash", hash, "height", blk.Header.Height, "from", from)
			return pubsub.ValidationIgnore
		}
	}
	// Marked before processing so the chain hook, which runs inside
	// ProcessBlockBytes, does not announce it a second time.
	cn.seenBlocks.add(hash)
	res, err := cn.h.Chain.ProcessBlockBytes(ctx, m.Data)
	switch {
	case err == nil && res.Orphan:
		cn.seenBlocks.remove(hash) // announced by the hook if it connects
		cn.requestSync(from)       // fetch the missing ancestors from the peer that has them
		return pubsub.ValidationIgnore
	case err == nil:
		m.ValidatorData = blk
		return pubsub.ValidationAccept
	case errors.Is(err, consensus.ErrDuplicateBlock):
		return pubsub.ValidationIgnore
	case isPeerFault(err):
		cn.n.penalize(from, PenaltyInvalidBlock, false, fmt.Sprintf("%s block %s failed validation: %v", cn.name, hash, err))
		return pubsub.ValidationReject
	default:
		// Not the block's fault here (too far in the future, waiting for
		// another chain, or this node's own trouble): not relayed now.
		cn.seenBlocks.remove(hash)
		if ctx.Err() == nil {
			cn.n.log.Info("gossiped block not connected", "chain", cn.name, "hash", hash, "height", blk.Header.Height, "from", from, "reason", err)
			cn.requestSync(from)
		}
		return pubsub.ValidationIgnore
	}
}

// TxBatchAdder is a TxPool that validates the transactions of a gossip
// frame itself, in one batch (the node's mempool: context-free checks and
// signatures on every core through the shared signature cache, then each
// transaction against state). invalid[i] reports that errs[i] is a
// context-free rule violation (bad encoding of a field, bad signature,
// wrong chain): the transaction is invalid anywhere, so its sender is at
// fault; any other error (state, this pool's policy or fee floor) is not
// held against it. A TxPool without it has each transaction checked by
// the chain's CheckTxSanity and then AddTx.
type TxBatchAdder interface {
	AddTxBatch(txs []*wire.Tx) (errs []error, invalid []bool)
}

// validateTxFrame runs before pubsub relays a frame: size, decoding, then
// every transaction's checks and its acceptance by this node's pool. A
// frame is relayed as it came only when the pool took every transaction
// in it; otherwise the transactions the pool did take are announced in
// this node's own next frame, so what a node relays is exactly what it
// accepted. Each transaction failing a context-free rule costs the sender
// PenaltyInvalidTx (so a frame with ten bans it).
func (cn *chainNet) validateTxFrame(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if !cn.n.enterValidator() {
		return pubsub.ValidationIgnore // closing: the pool may be gone
	}
	defer cn.n.leaveValidator()
	if from == cn.n.host.ID() {
		return pubsub.ValidationAccept
	}
	if cn.n.Banned(from) {
		return pubsub.ValidationReject
	}
	txs, err := DecodeTxFrame(m.Data)
	switch {
	case errors.Is(err, errTxFrameOversized):
		cn.n.penalize(from, PenaltyOversized, false, cn.name+" tx gossip: "+err.Error())
		return pubsub.ValidationReject
	case err != nil:
		cn.n.penalize(from, PenaltyMalformed, false, cn.name+" tx gossip: "+err.Error())
		return pubsub.ValidationReject
	}
	// Marked first, so the pool's OnNewTx hook does not announce them: the
	// frame is relayed whole, or the accepted ones re-announced below.
	fresh := txs[:0:0]
	for _, tx := range txs {
		if cn.seenTxs.addNew(tx.ID()) {
			fresh = append(fresh, tx)
		}
	}
	if len(fresh) == 0 {
		return pubsub.ValidationIgnore
	}
	res := pubsub.ValidationAccept
	if len(fresh) < len(txs) {
		res = pubsub.ValidationIgnore
	}
	var accepted []*wire.Tx
	// In slices, so that a frame of bad signatures costs at most a slice's
	// verifications once its sender is banned, not a whole frame's.
	for lo := 0; lo < len(fresh); lo += txFrameCheckSlice {
		if lo > 0 && cn.n.Banned(from) {
			return pubsub.ValidationReject
		}
		part := fresh[lo:min(lo+txFrameCheckSlice, len(fresh))]
		errs, invalid := cn.checkTxs(part)
		for i, err := range errs {
			switch {
			case err == nil:
				accepted = append(accepted, part[i])
				continue
			case invalid[i]:
				cn.n.penalize(from, PenaltyInvalidTx, false, fmt.Sprintf("%s tx %s: %v", cn.name, part[i].ID(), err))
				res = pubsub.ValidationReject
			case res == pubsub.ValidationAccept:
				res = pubsub.ValidationIgnore
			}
			cn.n.log.Debug("gossiped tx not pooled", "chain", cn.name, "tx", part[i].ID(), "err", err)
		}
	}
	if res != pubsub.ValidationAccept {
		for _, tx := range accepted {
			if err := cn.enqueue(cn.txOut, tx.Encode()); err != nil {
				cn.n.log.Warn("transaction not announced", "chain", cn.name, "tx", tx.ID(), "err", err)
				break
			}
		}
	}
	return res
}

// checkTxs hands a frame's new transactions to the pool: in one batch
// when it is a TxBatchAdder, else each through the chain's CheckTxSanity
// and the pool's AddTx (with no pool, sanity and fee floor alone).
func (cn *chainNet) checkTxs(txs []*wire.Tx) (errs []error, invalid []bool) {
	if b, ok := cn.h.TxPool.(TxBatchAdder); ok {
		return b.AddTxBatch(txs)
	}
	errs, invalid = make([]error, len(txs)), make([]bool, len(txs))
	fc, _ := cn.h.TxPool.(interface{ CheckRelayFee(*wire.Tx) error })
	for i, tx := range txs {
		if err := cn.h.Chain.CheckTxSanity(tx); err != nil {
			errs[i], invalid[i] = err, isPeerFault(err)
			continue
		}
		// Below this node's relay fee floor: not relayed, not a fault (the
		// sender's node may set a lower floor).
		if fc != nil {
			if errs[i] = fc.CheckRelayFee(tx); errs[i] != nil {
				continue
			}
		}
		if cn.h.TxPool != nil {
			errs[i] = cn.h.TxPool.AddTx(tx)
		}
	}
	return errs, invalid
}

// blockLoop drains the block subscription: validateBlock has already
// processed every block pubsub delivers.
func (cn *chainNet) blockLoop() {
	for {
		if _, err := cn.blockSub.Next(cn.n.ctx); err != nil {
			return
		}
	}
}

// txLoop drains the transaction subscription: validateTxFrame has
// already handed every frame's transactions to the pool.
func (cn *chainNet) txLoop() {
	for {
		if _, err := cn.txSub.Next(cn.n.ctx); err != nil {
			return
		}
	}
}
