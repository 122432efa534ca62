package p2p

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

const (
	requestTimeout  = 30 * time.Second
	blocksInFlight  = 4 // GetBlocks requests outstanding per sync
	progressEvery   = 2 * time.Second
	progressMinLeft = 500 // log progress only when this far behind
	// maxServing bounds the sync requests one peer may have in progress
	// on one chain; our own client uses blocksInFlight + 1.
	maxServing = 16
)

// serveSync answers one request on a sync stream, then closes it. Bad
// requests cost the peer ban score and reset the stream.
func (cn *chainNet) serveSync(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(requestTimeout))
	from := s.Conn().RemotePeer()
	if cn.n.Banned(from) || !cn.serving(from, 1) {
		s.Reset()
		return
	}
	defer cn.serving(from, -1)
	req, err := ReadMessage(s, MaxRequestBytes)
	if err != nil {
		if pen, what := penaltyFor(err); pen > 0 {
			cn.n.penalize(from, pen, false, fmt.Sprintf("%s sync request: %s: %v", cn.name, what, err))
		}
		s.Reset()
		return
	}
	var resp Message
	switch req := req.(type) {
	case *GetStatus:
		resp = cn.status()
	case *GetHeaders:
		resp = &Headers{Headers: cn.h.Chain.HeadersAfter(req.Locator, int(req.Max))}
	case *GetBlocks:
		bs := &Blocks{}
		size := 16
		for _, h := range req.Hashes {
			b, err := cn.h.Chain.BlockBytes(h)
			if err != nil || size+len(b)+8 > MaxMessageBytes {
				break
			}
			size += len(b) + 8
			bs.Blocks = append(bs.Blocks, b)
		}
		resp = bs
	default:
		cn.n.penalize(from, PenaltyUnknownMessage, false, fmt.Sprintf("%s sync: message type %d is not a request", cn.name, req.Type()))
		s.Reset()
		return
	}
	if err := WriteMessage(s, resp); err != nil {
		s.Reset()
	}
}

// serving counts p's requests in progress; it refuses (false) a new one
// over maxServing. Refusal is not a penalty: the requests may be honest,
// just too many at once.
func (cn *chainNet) serving(p peer.ID, delta int) bool {
	cn.servingMu.Lock()
	defer cn.servingMu.Unlock()
	n := cn.servingN[p] + delta
	if delta > 0 && n > maxServing {
		return false
	}
	if n == 0 {
		delete(cn.servingN, p)
	} else {
		cn.servingN[p] = n
	}
	return true
}

func (cn *chainNet) status() *Status {
	tip := cn.h.Chain.Tip()
	return &Status{Height: tip.Height, Hash: tip.Hash, Work: tip.Work}
}

// expected pairs each request with the response type it must get.
var expected = map[MsgType]MsgType{MsgGetStatus: MsgStatus, MsgGetHeaders: MsgHeaders, MsgGetBlocks: MsgBlocks}

// request sends one request on a new stream and reads its response.
func (cn *chainNet) request(ctx context.Context, p peer.ID, req Message) (Message, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s, err := cn.n.host.NewStream(ctx, p, cn.syncProto)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(requestTimeout))
	if err := WriteMessage(s, req); err != nil {
		s.Reset()
		return nil, err
	}
	s.CloseWrite()
	resp, err := ReadMessage(s, MaxMessageBytes)
	if err != nil {
		s.Reset()
		return nil, err
	}
	if resp.Type() != expected[req.Type()] {
		s.Reset()
		return nil, msgErr(ErrUnknownMessage, "response type %d to request type %d", resp.Type(), req.Type())
	}
	return resp, nil
}

// requestSync asks the sync loop to compare tips with p (and catch up if
// p has more work). Repeated requests for a queued peer coalesce.
func (cn *chainNet) requestSync(p peer.ID) {
	if p == cn.n.host.ID() {
		return
	}
	cn.pendingMu.Lock()
	defer cn.pendingMu.Unlock()
	if cn.pending[p] {
		return
	}
	select {
	case cn.syncQueue <- p:
		cn.pending[p] = true
	default: // the periodic round will get to it
	}
}

// retryWaitingBlock is how soon a sync that stopped at a block that could
// not connect yet (not a rule violation) is tried again.
const retryWaitingBlock = 500 * time.Millisecond

// syncLoop syncs with one peer at a time: peers queued by requestSync
// (new connections, orphans) and, every SyncInterval, every peer, so gaps
// that gossip left are always filled.
func (cn *chainNet) syncLoop() {
	t := time.NewTicker(cn.n.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-cn.n.ctx.Done():
			return
		case <-t.C:
			for _, p := range cn.n.connectedPeers() {
				cn.requestSync(p)
			}
		case p := <-cn.syncQueue:
			cn.pendingMu.Lock()
			delete(cn.pending, p)
			cn.pendingMu.Unlock()
			if !cn.n.Banned(p) {
				cn.syncWith(p)
			}
		}
	}
}

// peerError handles an error talking to p: protocol violations cost ban
// score; transport failures (the peer left, a timeout, a peer on another
// network without our protocol) do not.
func (cn *chainNet) peerError(p peer.ID, what string, err error) {
	if pen, kind := penaltyFor(err); pen > 0 {
		cn.n.penalize(p, pen, false, fmt.Sprintf("%s %s: %s: %v", cn.name, what, kind, err))
		return
	}
	if cn.n.ctx.Err() == nil {
		cn.n.log.Debug("sync request failed", "chain", cn.name, "peer", p, "request", what, "err", err)
	}
}

// syncWith asks p for its tip and, if it has more work than ours, fetches
// what we miss: headers first (checked in parallel), then blocks in
// pipelined batches, connected in order.
func (cn *chainNet) syncWith(p peer.ID) {
	ctx := cn.n.ctx
	resp, err := cn.request(ctx, p, &GetStatus{})
	if err != nil {
		cn.peerError(p, "status", err)
		return
	}
	st := resp.(*Status)
	if st.Work.Cmp(cn.h.Chain.Tip().Work) <= 0 {
		return
	}
	now := time.Now()
	prog := &progress{cn: cn, peer: p, target: st.Height, start: now, lastLog: now}
	locator := limitLocator(cn.h.Chain.Locator())
	var last *wire.Header // last header of the previous round
	for ctx.Err() == nil {
		resp, err := cn.request(ctx, p, &GetHeaders{Locator: locator, Max: MaxHeadersPerMsg})
		if err != nil {
			cn.peerError(p, "headers", err)
			return
		}
		hs := resp.(*Headers).Headers
		if len(hs) == 0 {
			break
		}
		prog.headers += len(hs)
		if err := cn.checkHeaders(hs, last); err != nil {
			pen := PenaltyInvalidBlock
			if !isPeerFault(err) {
				pen = PenaltyMalformed // headers that do not chain up
			}
			cn.n.penalize(p, pen, false, fmt.Sprintf("%s sync headers: %v", cn.name, err))
			return
		}
		var need []wire.Hash
		for i := range hs {
			if h := hs[i].Hash(); !cn.h.Chain.HaveBlock(h) {
				need = append(need, h)
			}
		}
		if err := cn.fetchBlocks(p, need, prog); err != nil {
			return
		}
		last = &hs[len(hs)-1]
		if len(hs) < MaxHeadersPerMsg || st.Work.Cmp(cn.h.Chain.Tip().Work) <= 0 {
			break
		}
		// Continue after the last header; our own locator follows in case
		// the peer reorganised meanwhile.
		locator = limitLocator(append([]wire.Hash{last.Hash()}, cn.h.Chain.Locator()...))
	}
	prog.done()
}

// checkHeaders runs header sanity (proof of work and miner signature) on
// all cores, then checks that the headers form one chain following prev
// (or something we have, for the first round).
func (cn *chainNet) checkHeaders(hs []wire.Header, prev *wire.Header) error {
	workers := min(runtime.GOMAXPROCS(0), len(hs))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(hs); i += workers {
				if err := cn.h.Chain.CheckHeaderSanity(&hs[i]); err != nil {
					errs[w] = fmt.Errorf("header at height %d: %w", hs[i].Height, err)
					return
				}
				if allowed := cn.h.MinerAllowed; allowed != nil {
					if err := allowed(keys.PubKey(hs[i].MinerKey)); err != nil {
						errs[w] = consensus.RuleErrorf(consensus.ErrMinerNotAdmitted, "header at height %d: miner %x: %v", hs[i].Height, hs[i].MinerKey, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if prev != nil {
		if hs[0].PrevHash != prev.Hash() {
			return fmt.Errorf("headers do not continue the previous batch")
		}
	} else if !cn.h.Chain.HaveBlock(hs[0].PrevHash) {
		return fmt.Errorf("first header's parent %s is unknown: the answer does not follow our locator", hs[0].PrevHash)
	}
	for i := 1; i < len(hs); i++ {
		if hs[i].PrevHash != hs[i-1].Hash() || hs[i].Height != hs[i-1].Height+1 {
			return fmt.Errorf("headers at heights %d and %d do not link", hs[i-1].Height, hs[i].Height)
		}
	}
	return nil
}

// fetchBlocks downloads need from p in batches of MaxBlocksPerMsg with up
// to blocksInFlight requests outstanding, and connects the blocks in
// order. It stops at the first failure.
func (cn *chainNet) fetchBlocks(p peer.ID, need []wire.Hash, prog *progress) error {
	if len(need) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(cn.n.ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel() // first, so a launcher waiting for a slot gives up
		wg.Wait()
	}()
	type result struct {
		blocks [][]byte
		err    error
	}
	var batches [][]wire.Hash
	for i := 0; i < len(need); i += MaxBlocksPerMsg {
		batches = append(batches, need[i:min(i+MaxBlocksPerMsg, len(need))])
	}
	results := make([]chan result, len(batches))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	slots := make(chan struct{}, blocksInFlight)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, batch := range batches {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				blocks, err := cn.fetchBatch(ctx, p, batch)
				results[i] <- result{blocks, err}
			}()
		}
	}()
	for i := range batches {
		var r result
		select {
		case r = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		if r.err != nil {
			cn.peerError(p, "blocks", r.err)
			return r.err
		}
		for j, raw := range r.blocks {
			cn.seenBlocks.add(batches[i][j])
			_, err := cn.h.Chain.ProcessBlockBytes(ctx, raw)
			switch {
			case err == nil, errors.Is(err, consensus.ErrDuplicateBlock):
			case isPeerFault(err):
				// A peer serves blocks of its main chain, which it has
				// validated in full: an invalid one is its fault.
				cn.n.penalize(p, PenaltyInvalidBlock, false, fmt.Sprintf("%s sync block %s: %v", cn.name, batches[i][j], err))
				return err
			default:
				// Not the block's fault but a local failure (storing or
				// connecting it failed here; a block merely waiting for
				// the other chain is stored as pending with no error):
				// ask again soon rather than a SyncInterval later.
				if ctx.Err() == nil {
					cn.n.log.Info("synced block waits", "chain", cn.name, "hash", batches[i][j], "reason", err)
					time.AfterFunc(retryWaitingBlock, func() {
						if cn.n.ctx.Err() == nil {
							cn.requestSync(p)
						}
					})
				}
				return err
			}
			prog.block()
		}
	}
	return nil
}

// fetchBatch gets every block of hashes from p, asking again for the rest
// when a response stops early (the size limit). Blocks other than the
// ones asked for, in that order, are unsolicited.
func (cn *chainNet) fetchBatch(ctx context.Context, p peer.ID, hashes []wire.Hash) ([][]byte, error) {
	var out [][]byte
	for len(out) < len(hashes) {
		want := hashes[len(out):]
		resp, err := cn.request(ctx, p, &GetBlocks{Hashes: want})
		if err != nil {
			return nil, err
		}
		got := resp.(*Blocks).Blocks
		if len(got) == 0 {
			return nil, fmt.Errorf("peer did not serve block %s", want[0])
		}
		for i, raw := range got {
			if i >= len(want) || len(raw) < wire.HeaderSize || wire.DoubleSHA256(raw[:wire.HeaderSize]) != want[i] {
				extra := len(got) - i
				cn.n.penalize(p, PenaltyUnsolicited*extra, true, fmt.Sprintf("%s sync: %d blocks not asked for", cn.name, extra))
				return nil, fmt.Errorf("peer sent %d blocks not asked for", extra)
			}
			out = append(out, raw)
		}
	}
	return out, nil
}

func limitLocator(l []wire.Hash) []wire.Hash {
	if len(l) > MaxLocator {
		return append(l[:MaxLocator-1:MaxLocator-1], l[len(l)-1])
	}
	return l
}

// progress logs a long sync every progressEvery while far behind.
type progress struct {
	cn      *chainNet
	peer    peer.ID
	target  uint64
	start   time.Time
	lastLog time.Time
	headers int
	blocks  int
}

func (p *progress) block() {
	p.blocks++
	if time.Since(p.lastLog) < progressEvery {
		return
	}
	p.lastLog = time.Now()
	tip := p.cn.h.Chain.Tip()
	if tip.Height+progressMinLeft < p.target {
		secs := time.Since(p.start).Seconds()
		p.cn.n.log.Info("syncing", "chain", p.cn.name, "height", tip.Height, "target", p.target,
			"blocks_per_s", int(float64(p.blocks)/secs), "headers_per_s", int(float64(p.headers)/secs), "peer", p.peer)
	}
}

func (p *progress) done() {
	if p.blocks >= progressMinLeft {
		secs := time.Since(p.start).Seconds()
		p.cn.n.log.Info("sync done", "chain", p.cn.name, "height", p.cn.h.Chain.Tip().Height, "blocks", p.blocks,
			"seconds", fmt.Sprintf("%.1f", secs), "blocks_per_s", int(float64(p.blocks)/secs), "peer", p.peer)
	}
}
