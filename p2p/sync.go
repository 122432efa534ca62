package p2p

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

const (
	// Timeouts per request: small messages (Status, Headers) must come
	// quickly, so a peer that stalls them holds a sync slot for seconds,
	// not half a minute; a batch of blocks may be megabytes.
	statusTimeout   = 5 * time.Second
	headersTimeout  = 10 * time.Second
	requestTimeout  = 30 * time.Second // GetBlocks, and serving any request
	blocksInFlight  = 4                // GetBlocks requests outstanding per sync
	progressEvery   = 2 * time.Second
	progressMinLeft = 500 // log progress only when this far behind
	// maxServing bounds the sync requests one peer may have in progress
	// on one chain; our own client uses blocksInFlight + 1.
	maxServing = 16
	// maxSyncs bounds the peers one chain syncs with at once. Syncs run
	// concurrently, so a peer that stalls delays only its own.
	maxSyncs = 8
	// defaultPresyncLimit bounds the headers of a branch that has not yet
	// shown more work than our tip (Config.presyncLimit overrides it in
	// tests): only their hashes are kept, 32 bytes each, so a sync holds
	// at most 8 MB. A branch forking from our own chain needs about as
	// many headers as it forks deep, so a reorganisation deeper than this
	// is refused: a deliberate limit, as no honest fork is that deep.
	defaultPresyncLimit = 250_000
	// unprovenCooldown is the first pause before a peer whose claimed work
	// did not materialise is asked again; it doubles with every failure.
	unprovenCooldown = 30 * time.Second
)

// serveSync answers one request on a sync stream, then closes it. Bad
// requests cost the peer ban score and reset the stream. Every response
// is written through the peer's serving budget (Config.ServeBytesPerSec,
// shared by all chains and streams), and blocks are streamed one at a
// time rather than built into one message.
func (cn *chainNet) serveSync(s network.Stream) {
	defer s.Close()
	deadline := time.Now().Add(requestTimeout)
	s.SetDeadline(deadline)
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
	ctx, cancel := context.WithDeadline(cn.n.ctx, deadline)
	defer cancel()
	w := bufio.NewWriterSize(&budgetWriter{ctx: ctx, w: s, lim: cn.n.serveBudget(from)}, 32<<10)
	switch req := req.(type) {
	case *GetStatus:
		err = WriteMessage(w, cn.status())
	case *GetHeaders:
		err = WriteMessage(w, &Headers{Headers: cn.h.Chain.HeadersAfter(req.Locator, int(req.Max))})
	case *GetBlocks:
		err = cn.writeBlocks(w, req.Hashes)
	default:
		cn.n.penalize(from, PenaltyUnknownMessage, false, fmt.Sprintf("%s sync: message type %d is not a request", cn.name, req.Type()))
		s.Reset()
		return
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		s.Reset()
	}
}

// writeBlocks streams a Blocks message: the longest prefix of hashes we
// have that fits in MaxMessageBytes. A first pass reads the blocks to
// size the frame, a second writes them. The first pass keeps what it read
// while that stays within serveHoldBytes (all of a batch of small blocks,
// as in initial sync, so each is read once), and the second reads the
// rest again, so a request holds at most serveHoldBytes plus one block
// however many a peer asks for.
func (cn *chainNet) writeBlocks(w io.Writer, hashes []wire.Hash) error {
	return cn.writeBlocksHolding(w, hashes, serveHoldBytes)
}

// writeBlocksHolding is writeBlocks keeping at most hold bytes between
// the passes.
func (cn *chainNet) writeBlocksHolding(w io.Writer, hashes []wire.Hash, hold int) error {
	body := 1 + uvarintLen(uint64(MaxBlocksPerMsg)) // type and count (one byte for ≤ 127)
	var sizes []int
	var held [][]byte // held[i] is block i's bytes, or nil to read again
	heldBytes := 0
	for _, h := range hashes {
		b, err := cn.h.Chain.BlockBytes(h)
		if err != nil {
			break
		}
		add := uvarintLen(uint64(len(b))) + len(b)
		if body+add > MaxMessageBytes {
			break
		}
		body += add
		sizes = append(sizes, len(b))
		if heldBytes+len(b) <= hold {
			heldBytes += len(b)
			held = append(held, b)
		} else {
			held = append(held, nil)
		}
	}
	body += uvarintLen(uint64(len(sizes))) - uvarintLen(uint64(MaxBlocksPerMsg))
	head := binary.AppendUvarint(nil, uint64(body))
	head = append(head, byte(MsgBlocks))
	head = binary.AppendUvarint(head, uint64(len(sizes)))
	if _, err := w.Write(head); err != nil {
		return err
	}
	var prefix []byte
	for i, size := range sizes {
		b := held[i]
		held[i] = nil
		if b == nil {
			var err error
			if b, err = cn.h.Chain.BlockBytes(hashes[i]); err != nil {
				return err
			}
		}
		if len(b) != size {
			return fmt.Errorf("block %s changed size while being served", hashes[i])
		}
		prefix = binary.AppendUvarint(prefix[:0], uint64(size))
		if _, err := w.Write(prefix); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// serveHoldBytes bounds the block bytes writeBlocks keeps between its
// two passes.
const serveHoldBytes = 1 << 20

func uvarintLen(v uint64) int { return len(binary.AppendUvarint(nil, v)) }

// budgetWriter writes through a peer's serving budget, waiting for
// tokens in pieces no larger than the bucket; a write that could not
// finish before ctx's deadline fails at once.
type budgetWriter struct {
	ctx context.Context
	w   io.Writer
	lim *rate.Limiter
}

func (b *budgetWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		k := min(len(p), b.lim.Burst())
		if err := b.lim.WaitN(b.ctx, k); err != nil {
			return written, err
		}
		n, err := b.w.Write(p[:k])
		written += n
		if err != nil {
			return written, err
		}
		p = p[k:]
	}
	return written, nil
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

// maxResponseBytes bounds the frame of the response to req: a Status or
// Headers answer is small, so a peer cannot make us read megabytes (or an
// endless stream) in their place.
func maxResponseBytes(req Message) int {
	switch req.(type) {
	case *GetStatus:
		return 1 + 8 + wire.HashSize + 1 + MaxWorkBytes
	case *GetHeaders:
		return 1 + binary.MaxVarintLen64 + MaxHeadersPerMsg*wire.HeaderSize
	}
	return MaxMessageBytes
}

// expected pairs each request with the response type it must get.
var expected = map[MsgType]MsgType{MsgGetStatus: MsgStatus, MsgGetHeaders: MsgHeaders, MsgGetBlocks: MsgBlocks}

// request sends one request on a new stream and reads its response.
func (cn *chainNet) request(ctx context.Context, p peer.ID, req Message) (Message, error) {
	timeout := requestTimeout
	switch req.(type) {
	case *GetStatus:
		timeout = statusTimeout
	case *GetHeaders:
		timeout = headersTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := cn.n.host.NewStream(ctx, p, cn.syncProto)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(timeout))
	if err := WriteMessage(s, req); err != nil {
		s.Reset()
		return nil, err
	}
	s.CloseWrite()
	resp, err := ReadMessage(s, maxResponseBytes(req))
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

// syncLoop starts syncs: with peers queued by requestSync (new
// connections, orphans) and, every SyncInterval, with every peer, so gaps
// that gossip left are always filled. Up to maxSyncs run at once, one per
// peer; peers whose claimed work was delivered before are asked first.
func (cn *chainNet) syncLoop() {
	t := time.NewTicker(cn.n.cfg.SyncInterval)
	defer t.Stop()
	active := map[peer.ID]bool{}
	done := make(chan peer.ID)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-cn.n.ctx.Done():
			return
		case <-t.C:
			peers := cn.peersByPreference(cn.n.connectedPeers())
			for _, p := range peers {
				cn.requestSync(p)
			}
			cn.forgetRecords(peers)
		case p := <-done:
			delete(active, p)
		case p := <-cn.syncQueue:
			cn.pendingMu.Lock()
			delete(cn.pending, p)
			cn.pendingMu.Unlock()
			if active[p] || len(active) >= maxSyncs || cn.n.Banned(p) || cn.coolingDown(p) {
				continue // the periodic round comes back to it
			}
			active[p] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				cn.syncWith(p)
				select {
				case done <- p:
				case <-cn.n.ctx.Done():
				}
			}()
		}
	}
}

// peerRecord is what sync remembers of a peer on one chain: how often its
// claims of more work were delivered, and how often not.
type peerRecord struct {
	delivered   int
	unproven    int
	silent      int // Status or Headers requests that timed out in a row
	cooldownEnd time.Time
}

func (cn *chainNet) record(p peer.ID) *peerRecord {
	r := cn.records[p]
	if r == nil {
		r = &peerRecord{}
		cn.records[p] = r
	}
	return r
}

// peersByPreference orders peers: most deliveries first, fewest failed
// claims next.
func (cn *chainNet) peersByPreference(ps []peer.ID) []peer.ID {
	cn.recordsMu.Lock()
	defer cn.recordsMu.Unlock()
	score := func(p peer.ID) int {
		if r := cn.records[p]; r != nil {
			return r.delivered - 4*r.unproven
		}
		return 0
	}
	slices.SortStableFunc(ps, func(a, b peer.ID) int { return score(b) - score(a) })
	return ps
}

// forgetRecords drops what sync learnt of peers that are gone and not
// paused (their ban score, kept by the node, still remembers offences).
func (cn *chainNet) forgetRecords(connected []peer.ID) {
	now := time.Now()
	cn.recordsMu.Lock()
	defer cn.recordsMu.Unlock()
	for p, r := range cn.records {
		if !slices.Contains(connected, p) && now.After(r.cooldownEnd) {
			delete(cn.records, p)
		}
	}
}

func (cn *chainNet) coolingDown(p peer.ID) bool {
	cn.recordsMu.Lock()
	defer cn.recordsMu.Unlock()
	r := cn.records[p]
	return r != nil && time.Now().Before(r.cooldownEnd)
}

func (cn *chainNet) delivered(p peer.ID) {
	cn.recordsMu.Lock()
	r := cn.record(p)
	r.delivered++
	r.silent = 0
	cn.recordsMu.Unlock()
}

// silent pauses syncing with a peer whose Status or Headers answer timed
// out, for unprovenCooldown doubling with every timeout in a row: a peer
// that never answers must not hold a sync slot every round. It costs no
// ban score (a slow link is no offence).
func (cn *chainNet) silent(p peer.ID) {
	cn.recordsMu.Lock()
	defer cn.recordsMu.Unlock()
	r := cn.record(p)
	r.silent++
	r.cooldownEnd = time.Now().Add(unprovenCooldown << min(r.silent-1, 8))
}

// isTimeout reports a request that ran out of time.
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// unproven penalises a peer whose claimed work did not materialise and
// pauses syncing with it, for twice as long after every failure; with
// PenaltyUnprovenWork it is banned after a few.
func (cn *chainNet) unproven(p peer.ID, claimed *big.Int, why string) {
	cn.recordsMu.Lock()
	r := cn.record(p)
	r.unproven++
	pause := unprovenCooldown << min(r.unproven-1, 8)
	r.cooldownEnd = time.Now().Add(pause)
	cn.recordsMu.Unlock()
	cn.n.penalize(p, PenaltyUnprovenWork, false, fmt.Sprintf("%s: claimed cumulative work %x but %s", cn.name, claimed, why))
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

// syncWith asks p for its tip and, if it claims more work than ours,
// fetches what we miss, the way Bitcoin Core's headers presync does:
// headers first (checked in parallel; nothing stored), adding up the
// branch's work from the block it forks from; only once that work is
// proven greater than our tip's are blocks fetched (in pipelined
// batches, connected in order). A branch that ends, or runs past the
// presync limit, without beating our tip costs the peer
// PenaltyUnprovenWork when it claimed more, and the peer is not asked
// again for a while. So a peer cannot make this node store blocks of a
// branch with less work, nor have it ask forever.
func (cn *chainNet) syncWith(p peer.ID) {
	ctx := cn.n.ctx
	resp, err := cn.request(ctx, p, &GetStatus{})
	if err != nil {
		if isTimeout(err) && ctx.Err() == nil {
			cn.silent(p)
		}
		cn.peerError(p, "status", err)
		return
	}
	st := resp.(*Status)
	if st.Work.Cmp(cn.h.Chain.Tip().Work) <= 0 {
		return
	}
	prog := cn.newProgress(p, st.Height)
	defer prog.done()
	limit := cn.n.cfg.presyncLimit
	if limit <= 0 {
		limit = defaultPresyncLimit
	}
	locator := limitLocator(cn.h.Chain.Locator())
	var (
		work    *big.Int    // cumulative work of the branch up to the last round
		need    []wire.Hash // blocks of the branch we lack, not yet fetched
		proven  bool        // the branch has more work than our tip
		headers int
	)
	// Headers are fetched and checked one round ahead, on their own
	// goroutine, while this one fetches and connects the blocks of the
	// round before.
	hctx, hcancel := context.WithCancel(ctx)
	rounds := make(chan headerRound, 1)
	var hwg sync.WaitGroup
	hwg.Add(1)
	go func() {
		defer hwg.Done()
		cn.streamHeaders(hctx, p, locator, rounds)
	}()
	defer func() {
		hcancel()
		hwg.Wait()
	}()
	for r := range rounds {
		if err := r.err; err != nil {
			if isTimeout(err) && ctx.Err() == nil {
				cn.silent(p)
			}
			cn.peerError(p, "headers", err)
			return
		}
		hs := r.hs
		if len(hs) == 0 {
			break
		}
		prog.headers += len(hs)
		if r.moved {
			// The peer's chain changed under us (or it lies): stop
			// without judging; the next round starts afresh.
			cn.n.log.Debug("sync headers no longer continue; stopping", "chain", cn.name, "peer", p)
			return
		}
		if err := r.bad; err != nil {
			pen := PenaltyInvalidBlock
			if !isPeerFault(err) {
				pen = PenaltyMalformed // headers that do not chain up
			}
			cn.n.penalize(p, pen, false, fmt.Sprintf("%s sync headers: %v", cn.name, err))
			return
		}
		if work == nil {
			forkWork, ok := cn.h.Chain.BlockWork(hs[0].PrevHash)
			if !ok {
				cn.n.penalize(p, PenaltyMalformed, false, fmt.Sprintf("%s sync headers: first header's parent %s is not a valid block we know", cn.name, hs[0].PrevHash))
				return
			}
			work = forkWork
		}
		for i := range hs {
			work.Add(work, consensus.CalcWork(hs[i].Bits))
			if h := hs[i].Hash(); !cn.h.Chain.HaveBlock(h) {
				need = append(need, h)
			}
		}
		headers += len(hs)
		if !proven && work.Cmp(cn.h.Chain.Tip().Work) > 0 {
			proven = true
			cn.delivered(p)
		}
		if proven {
			prog.fetch()
			if err := cn.fetchBlocks(p, need, prog); err != nil {
				return
			}
			need = need[:0]
			if st.Work.Cmp(cn.h.Chain.Tip().Work) <= 0 {
				return // caught up with what the peer claimed
			}
		} else if headers >= limit {
			cn.unproven(p, st.Work, fmt.Sprintf("%d headers of its branch still have less work than our tip", headers))
			return
		}
		if len(hs) < MaxHeadersPerMsg {
			break
		}
	}
	if ctx.Err() != nil || proven {
		return
	}
	// The peer's branch ended without beating our tip. If it still claims
	// more work than we now have, the claim was a lie.
	if st.Work.Cmp(cn.h.Chain.Tip().Work) > 0 {
		cn.unproven(p, st.Work, fmt.Sprintf("its headers (%d) end with less work than our tip", headers))
	}
}

// headerRound is one Headers answer of a sync, checked.
type headerRound struct {
	hs    []wire.Header
	err   error // the request failed
	moved bool  // the headers do not continue the previous round
	bad   error // the headers failed checkHeaders
}

// streamHeaders fetches the peer's headers after locator round by round,
// checks each round (checkHeaders, on all cores) and sends it to out, the
// next request going out as soon as a round is sent (out's buffer bounds
// how far it runs ahead). It stops after a short or failed round, or when
// ctx ends, and closes out.
func (cn *chainNet) streamHeaders(ctx context.Context, p peer.ID, locator []wire.Hash, out chan<- headerRound) {
	defer close(out)
	var last *wire.Header
	for ctx.Err() == nil {
		var r headerRound
		resp, err := cn.request(ctx, p, &GetHeaders{Locator: locator, Max: MaxHeadersPerMsg})
		if err != nil {
			r.err = err
		} else if r.hs = resp.(*Headers).Headers; len(r.hs) > 0 {
			if last != nil && r.hs[0].PrevHash != last.Hash() {
				r.moved = true
			} else {
				r.bad = cn.checkHeaders(r.hs, last)
			}
		}
		select {
		case out <- r:
		case <-ctx.Done():
			return
		}
		if r.err != nil || r.moved || r.bad != nil || len(r.hs) < MaxHeadersPerMsg {
			return
		}
		last = &r.hs[len(r.hs)-1]
		locator = []wire.Hash{last.Hash()}
	}
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
	} else if _, ok := cn.h.Chain.BlockWork(hs[0].PrevHash); !ok {
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
// order: a pipeline in which downloading, verifying (the context-free
// rules, on all cores, as each batch arrives) and connecting (a batch at
// a time, several blocks per Badger commit: chain.ProcessBlocks) overlap.
// It stops at the first failure. Blocks that arrived meanwhile are not
// asked for, and neither, at first, are blocks a concurrent sync with
// another peer is fetching (see flights): those are waited for, up to
// flightWait, and fetched from p only if they did not come.
func (cn *chainNet) fetchBlocks(p peer.ID, need []wire.Hash, prog *progress) error {
	if len(need) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(cn.n.ctx)
	var wg sync.WaitGroup
	run := new(fetchRun)
	defer func() {
		cancel() // first, so a launcher waiting for a slot gives up
		wg.Wait()
		cn.releaseAll(run)
	}()
	type result struct {
		want     []wire.Hash                        // the batch less what we had, in order
		verified map[wire.Hash]*chain.VerifiedBlock // from p, checked: the hashes this run claimed
		theirs   map[wire.Hash]chan struct{}        // claimed by another sync
		bad      *chain.BatchError                  // the first of p's blocks that failed verification
		err      error                              // the download failed
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
				want := slices.DeleteFunc(slices.Clone(batch), cn.h.Chain.HaveBlock)
				mine, theirs := cn.claim(run, want)
				r := result{want: want, theirs: theirs}
				var raws [][]byte
				if raws, r.err = cn.fetchBatch(ctx, p, mine); r.err == nil {
					// Verified here, while earlier batches connect.
					vs, err := cn.h.Chain.VerifyBlocks(ctx, raws)
					r.verified = make(map[wire.Hash]*chain.VerifiedBlock, len(vs))
					for _, v := range vs {
						r.verified[v.Hash()] = v
					}
					if err != nil && !errors.As(err, &r.bad) {
						r.err = err
					}
				}
				results[i] <- r
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
		// The batch in order: p's blocks up to the first that failed
		// verification, and blocks other syncs fetched or we fetch now.
		var blocks []*chain.VerifiedBlock
		var verifyErr error
		for _, hash := range r.want {
			if v, ok := r.verified[hash]; ok {
				blocks = append(blocks, v)
				continue
			}
			if r.bad != nil && r.bad.Hash == hash {
				verifyErr = r.bad
				break
			}
			if _, ours := r.theirs[hash]; !ours && r.bad != nil {
				break // after p's bad block
			}
			raw, err := cn.awaitFlight(ctx, p, hash, r.theirs[hash])
			if err != nil {
				return err
			}
			if raw == nil {
				continue // the other sync stored it
			}
			vs, err := cn.h.Chain.VerifyBlocks(ctx, [][]byte{raw})
			if err != nil {
				verifyErr = err
				break
			}
			blocks = append(blocks, vs[0])
		}
		if err := cn.connectRun(ctx, p, run, blocks, prog); err != nil {
			return err
		}
		if verifyErr != nil {
			if isPeerFault(verifyErr) {
				cn.n.penalize(p, PenaltyInvalidBlock, false, fmt.Sprintf("%s sync: %v", cn.name, verifyErr))
			}
			return verifyErr
		}
	}
	return nil
}

// connectRun stores and connects a run of verified blocks from p (one
// chain.ProcessBlocks call), releasing their flights. A block that breaks
// a rule costs p PenaltyInvalidBlock: a peer serves blocks of its main
// chain, which it has validated in full. A local failure (storing or
// connecting failed here; a block merely waiting for the other chain is
// stored as pending with no error) asks p again soon.
func (cn *chainNet) connectRun(ctx context.Context, p peer.ID, run *fetchRun, blocks []*chain.VerifiedBlock, prog *progress) error {
	if len(blocks) == 0 {
		return nil
	}
	for _, v := range blocks {
		cn.seenBlocks.add(v.Hash())
	}
	res, err := cn.h.Chain.ProcessBlocks(ctx, blocks)
	for _, v := range blocks {
		cn.release(run, v.Hash())
	}
	prog.add(res.Stored)
	switch {
	case err == nil, errors.Is(err, consensus.ErrDuplicateBlock):
		return nil
	case isPeerFault(err):
		cn.n.penalize(p, PenaltyInvalidBlock, false, fmt.Sprintf("%s sync: %v", cn.name, err))
		return err
	default:
		if ctx.Err() == nil {
			cn.n.log.Info("synced block waits", "chain", cn.name, "reason", err)
			time.AfterFunc(retryWaitingBlock, func() {
				if cn.n.ctx.Err() == nil {
					cn.requestSync(p)
				}
			})
		}
		return err
	}
}

// flightWait is how long a sync waits for a block another sync is
// fetching before fetching it itself: long enough that concurrent syncs
// of one chain download each block once, short enough that a slow peer
// holding a claim delays the others by little.
const flightWait = 2 * time.Second

// fetchRun identifies one fetchBlocks call as the owner of its claims.
type fetchRun struct{ _ byte }

type flight struct {
	owner *fetchRun
	done  chan struct{} // closed when the owner has processed the block or given up
}

// claim takes the hashes no other sync is fetching; for the rest it
// returns the channels that close when their owners are done.
func (cn *chainNet) claim(run *fetchRun, hashes []wire.Hash) ([]wire.Hash, map[wire.Hash]chan struct{}) {
	cn.flightsMu.Lock()
	defer cn.flightsMu.Unlock()
	var mine []wire.Hash
	theirs := map[wire.Hash]chan struct{}{}
	for _, h := range hashes {
		if f := cn.flights[h]; f != nil && f.owner != run {
			theirs[h] = f.done
			continue
		}
		cn.flights[h] = &flight{owner: run, done: make(chan struct{})}
		mine = append(mine, h)
	}
	return mine, theirs
}

func (cn *chainNet) release(run *fetchRun, h wire.Hash) {
	cn.flightsMu.Lock()
	defer cn.flightsMu.Unlock()
	if f := cn.flights[h]; f != nil && f.owner == run {
		close(f.done)
		delete(cn.flights, h)
	}
}

func (cn *chainNet) releaseAll(run *fetchRun) {
	cn.flightsMu.Lock()
	defer cn.flightsMu.Unlock()
	for h, f := range cn.flights {
		if f.owner == run {
			close(f.done)
			delete(cn.flights, h)
		}
	}
}

// awaitFlight waits for another sync to store hash; if it has not after
// flightWait, or gave up, the block is fetched from p. It returns nil
// bytes when the block is stored.
func (cn *chainNet) awaitFlight(ctx context.Context, p peer.ID, hash wire.Hash, done chan struct{}) ([]byte, error) {
	if done != nil {
		t := time.NewTimer(flightWait)
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
	if cn.h.Chain.HaveBlock(hash) {
		return nil, nil
	}
	blocks, err := cn.fetchBatch(ctx, p, []wire.Hash{hash})
	if err != nil {
		cn.peerError(p, "blocks", err)
		return nil, err
	}
	return blocks[0], nil
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
