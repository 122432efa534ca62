package p2p

import (
	"context"
	"fmt"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
)

// chainNet is the network side of one chain: its two topics, its sync
// protocol and the loops that serve them.
type chainNet struct {
	n         *Node
	h         ChainHandle
	name      string
	blocks    *pubsub.Topic
	txs       *pubsub.Topic
	blockSub  *pubsub.Subscription
	txSub     *pubsub.Subscription
	syncProto protocol.ID
	kickCh    chan struct{}
	outbox    chan outMsg
	seen      *recentSet // blocks and txs that came from the network
}

type outMsg struct {
	topic *pubsub.Topic
	data  []byte
}

func newChainNet(n *Node, h ChainHandle) (*chainNet, error) {
	p := h.Chain.Params()
	prefix := fmt.Sprintf("/thingchain/%s/%08x", n.cfg.NetworkName, p.ChainID)
	cn := &chainNet{n: n, h: h, name: p.Kind.String(), syncProto: protocol.ID(prefix + "/sync/1"),
		kickCh: make(chan struct{}, 1), outbox: make(chan outMsg, 4096), seen: newRecentSet(100_000)}
	var err error
	if err = n.ps.RegisterTopicValidator(prefix+"/blocks/1", cn.validateBlock); err != nil {
		return nil, err
	}
	if err = n.ps.RegisterTopicValidator(prefix+"/txs/1", cn.validateTx); err != nil {
		return nil, err
	}
	if cn.blocks, err = n.ps.Join(prefix + "/blocks/1"); err != nil {
		return nil, err
	}
	if cn.txs, err = n.ps.Join(prefix + "/txs/1"); err != nil {
		return nil, err
	}
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
	n := cn.n
	// Announce what this node produces itself: mined blocks and locally
	// submitted transactions. Whatever came from the network is already
	// being gossiped by pubsub.
	cn.h.Chain.Subscribe(func(ev chain.Event) {
		for _, b := range ev.Applied {
			if !cn.seen.has(b.Hash()) {
				cn.enqueue(cn.blocks, b.Encode())
			}
		}
	})
	if cn.h.Pool != nil {
		cn.h.Pool.OnNewTx(func(tx *wire.Tx) {
			if !cn.seen.has(tx.ID()) {
				cn.enqueue(cn.txs, tx.Encode())
			}
		})
	}
	for _, loop := range []func(){cn.publishLoop, cn.blockLoop, cn.txLoop, cn.syncLoop} {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			loop()
		}()
	}
}

func (cn *chainNet) enqueue(t *pubsub.Topic, data []byte) {
	select {
	case cn.outbox <- outMsg{t, data}:
	default:
		cn.n.log.Warn("gossip outbox full; peers will fetch by sync", "chain", cn.name)
	}
}

func (cn *chainNet) publishLoop() {
	for {
		select {
		case <-cn.n.ctx.Done():
			return
		case m := <-cn.outbox:
			if err := m.topic.Publish(cn.n.ctx, m.data); err != nil && cn.n.ctx.Err() == nil {
				cn.n.log.Debug("publish failed", "chain", cn.name, "err", err)
			}
		}
	}
}

// BroadcastBlock gossips a block now (normally done automatically for
// blocks this node connects that did not come from the network).
func (cn *chainNet) broadcastBlock(b *wire.Block) { cn.enqueue(cn.blocks, b.Encode()) }

func (cn *chainNet) validateBlock(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == cn.n.host.ID() {
		return pubsub.ValidationAccept
	}
	blk, err := wire.DecodeBlock(m.Data)
	if err != nil {
		cn.n.penalize(from, PenaltyMalformed, "malformed block gossip: "+err.Error())
		return pubsub.ValidationReject
	}
	if cn.h.Chain.HaveBlock(blk.Hash()) {
		return pubsub.ValidationIgnore
	}
	if err := cn.h.Chain.CheckHeaderSanity(&blk.Header); err != nil {
		cn.n.penalize(from, PenaltyInvalidBlock, "invalid block header: "+err.Error())
		return pubsub.ValidationReject
	}
	return pubsub.ValidationAccept
}

func (cn *chainNet) validateTx(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == cn.n.host.ID() {
		return pubsub.ValidationAccept
	}
	tx, err := wire.DecodeTx(m.Data)
	if err != nil {
		cn.n.penalize(from, PenaltyMalformed, "malformed tx gossip: "+err.Error())
		return pubsub.ValidationReject
	}
	if err := cn.h.Chain.CheckTxSanity(tx); err != nil {
		cn.n.penalize(from, PenaltyInvalidTx, "invalid tx: "+err.Error())
		return pubsub.ValidationReject
	}
	return pubsub.ValidationAccept
}

func (cn *chainNet) blockLoop() {
	for {
		m, err := cn.blockSub.Next(cn.n.ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == cn.n.host.ID() {
			continue
		}
		hash := wire.DoubleSHA256(m.Data[:min(len(m.Data), wire.HeaderSize)])
		cn.seen.add(hash)
		res, err := cn.h.Chain.ProcessBlockBytes(cn.n.ctx, m.Data)
		switch {
		case isRuleError(err):
			cn.n.penalize(m.ReceivedFrom, PenaltyInvalidBlock, "invalid block: "+err.Error())
		case err != nil:
			// Duplicates race between gossip and sync; not an offence.
		case res.Orphan:
			cn.kick() // fetch the missing ancestors
		}
	}
}

func (cn *chainNet) txLoop() {
	for {
		m, err := cn.txSub.Next(cn.n.ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == cn.n.host.ID() || cn.h.Pool == nil {
			continue
		}
		tx, err := wire.DecodeTx(m.Data)
		if err != nil {
			continue // the validator already penalised it
		}
		cn.seen.add(tx.ID())
		if err := cn.h.Pool.Add(tx); isRuleError(err) {
			cn.n.penalize(m.ReceivedFrom, PenaltyInvalidTx, "transaction fails against state: "+err.Error())
		}
	}
}

func (cn *chainNet) kick() {
	select {
	case cn.kickCh <- struct{}{}:
	default:
	}
}

// serveSync answers one request on a sync stream.
func (cn *chainNet) serveSync(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(30 * time.Second))
	from := s.Conn().RemotePeer()
	req, err := readMessage(s)
	if err != nil {
		cn.n.penalize(from, PenaltyMalformed, "malformed sync request: "+err.Error())
		s.Reset()
		return
	}
	var resp *Message
	switch req.Type {
	case msgGetStatus:
		tip := cn.h.Chain.Tip()
		resp = &Message{Type: msgStatus, Status: Status{Height: tip.Height, Hash: tip.Hash, Work: tip.Work.Bytes()}}
	case msgGetHeaders:
		max := int(min(req.Max, MaxHeadersPerMsg))
		resp = &Message{Type: msgHeaders, Headers: cn.h.Chain.HeadersAfter(req.Locator, max)}
	case msgGetBlocks:
		resp = &Message{Type: msgBlocks}
		size := 0
		for _, h := range req.Hashes {
			b, err := cn.h.Chain.BlockBytes(h)
			if err != nil || size+len(b) > MaxMessageBytes-1024 {
				break
			}
			size += len(b)
			resp.Blocks = append(resp.Blocks, b)
		}
	default:
		cn.n.penalize(from, PenaltyUnknownMessage, fmt.Sprintf("unexpected sync message type %d", req.Type))
		s.Reset()
		return
	}
	if err := writeMessage(s, resp); err != nil {
		s.Reset()
	}
}

// request sends one sync request and reads its answer.
func (cn *chainNet) request(ctx context.Context, p peer.ID, req *Message, want byte) (*Message, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := cn.n.host.NewStream(ctx, p, cn.syncProto)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(30 * time.Second))
	if err := writeMessage(s, req); err != nil {
		s.Reset()
		return nil, err
	}
	s.CloseWrite()
	resp, err := readMessage(s)
	if err != nil {
		s.Reset()
		return nil, err
	}
	if resp.Type != want {
		return nil, fmt.Errorf("%w: got message type %d, want %d", ErrBadMessage, resp.Type, want)
	}
	return resp, nil
}

// syncLoop compares tips with every peer on a timer and on demand, and
// catches up from any peer with more work.
func (cn *chainNet) syncLoop() {
	t := time.NewTicker(cn.n.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-cn.n.ctx.Done():
			return
		case <-t.C:
		case <-cn.kickCh:
		}
		for _, p := range cn.n.connectedPeers() {
			if cn.n.ctx.Err() != nil {
				return
			}
			cn.syncWith(p)
		}
	}
}

func (cn *chainNet) syncWith(p peer.ID) {
	ctx := cn.n.ctx
	st, err := cn.request(ctx, p, &Message{Type: msgGetStatus}, msgStatus)
	if err != nil {
		cn.punishTransport(p, err)
		return
	}
	if workOf(st.Status.Work).Cmp(cn.h.Chain.Tip().Work) <= 0 {
		return
	}
	start := time.Now()
	lastLog := start
	startHeight := cn.h.Chain.Tip().Height
	for ctx.Err() == nil {
		hm, err := cn.request(ctx, p, &Message{Type: msgGetHeaders, Locator: limitLocator(cn.h.Chain.Locator()), Max: MaxHeadersPerMsg}, msgHeaders)
		if err != nil {
			cn.punishTransport(p, err)
			return
		}
		if len(hm.Headers) == 0 {
			return
		}
		if err := cn.checkHeaders(hm.Headers); err != nil {
			cn.n.penalize(p, PenaltyInvalidBlock, "invalid header in sync: "+err.Error())
			return
		}
		var need []wire.Hash
		for i := range hm.Headers {
			if h := hm.Headers[i].Hash(); !cn.h.Chain.HaveBlock(h) {
				need = append(need, h)
			}
		}
		for i := 0; i < len(need); i += MaxBlocksPerMsg {
			batch := need[i:min(i+MaxBlocksPerMsg, len(need))]
			bm, err := cn.request(ctx, p, &Message{Type: msgGetBlocks, Hashes: batch}, msgBlocks)
			if err != nil {
				cn.punishTransport(p, err)
				return
			}
			if len(bm.Blocks) == 0 {
				return
			}
			for _, raw := range bm.Blocks {
				blk, err := wire.DecodeBlock(raw)
				if err == nil {
					cn.seen.add(blk.Hash())
				}
				if _, err := cn.h.Chain.ProcessBlockBytes(ctx, raw); isRuleError(err) {
					cn.n.penalize(p, PenaltyInvalidBlock, "invalid block in sync: "+err.Error())
					return
				}
			}
			if time.Since(lastLog) > 2*time.Second {
				lastLog = time.Now()
				tip := cn.h.Chain.Tip()
				rate := float64(tip.Height-startHeight) / time.Since(start).Seconds()
				cn.n.log.Info("syncing", "chain", cn.name, "height", tip.Height, "target", st.Status.Height, "blocks_per_s", int(rate), "peer", p)
			}
		}
		if len(hm.Headers) < MaxHeadersPerMsg {
			break
		}
	}
	if tip := cn.h.Chain.Tip(); tip.Height > startHeight+100 {
		cn.n.log.Info("sync done", "chain", cn.name, "height", tip.Height, "blocks", tip.Height-startHeight, "seconds", time.Since(start).Seconds())
	}
}

// checkHeaders runs header sanity (PoW and miner signature) on all cores.
func (cn *chainNet) checkHeaders(hs []wire.Header) error {
	const workers = 4
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(hs); i += workers {
				if err := cn.h.Chain.CheckHeaderSanity(&hs[i]); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for i := 1; i < len(hs); i++ {
		if hs[i].PrevHash != hs[i-1].Hash() {
			return fmt.Errorf("headers %d and %d do not link", i-1, i)
		}
	}
	return nil
}

// punishTransport penalises protocol violations but not plain network
// failures (a peer going away is not an offence).
func (cn *chainNet) punishTransport(p peer.ID, err error) {
	if errorsIsBadMessage(err) {
		cn.n.penalize(p, PenaltyMalformed, "malformed sync response: "+err.Error())
	}
}

func limitLocator(l []wire.Hash) []wire.Hash {
	if len(l) > MaxLocator {
		return append(l[:MaxLocator-1], l[len(l)-1])
	}
	return l
}
