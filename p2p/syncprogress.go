package p2p

import (
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/consensus"
)

// SyncProgress is how far one chain's sync with its peers has come: what
// the node log's "syncing" lines and the API's chain.info report.
type SyncProgress struct {
	// Syncing: a sync is fetching blocks now (some peer showed more work).
	Syncing bool
	Height  uint64 // our tip
	// Target is the highest tip a peer being synced with claimed (our
	// tip when not syncing).
	Target uint64
	// BlocksPerSec is the rate blocks were stored over the last
	// rateWindow (0 when not syncing).
	BlocksPerSec float64
	// ETA is (Target - Height) at BlocksPerSec; 0 when unknown.
	ETA time.Duration
	// Peers is the number of peers blocks are being fetched from.
	Peers int
}

// rateWindow is the span BlocksPerSec averages over: long enough to
// smooth batch arrivals, short enough to follow a change of pace.
const rateWindow = 10 * time.Second

// syncMeter aggregates the concurrent syncs of one chain.
type syncMeter struct {
	mu      sync.Mutex
	active  map[*progress]bool
	samples []rateSample // blocks stored so far, oldest first, within rateWindow
	total   uint64
}

type rateSample struct {
	at     time.Time
	blocks uint64
}

func (m *syncMeter) start(p *progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.active == nil {
		m.active = map[*progress]bool{}
	}
	if len(m.active) == 0 {
		m.samples = []rateSample{{p.start, m.total}}
	}
	m.active[p] = true
}

func (m *syncMeter) stop(p *progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.active, p)
}

func (m *syncMeter) add(n int, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total += uint64(n)
	m.samples = append(m.samples, rateSample{now, m.total})
	// Keep one sample at or before the window's start.
	cut := 0
	for cut+1 < len(m.samples) && now.Sub(m.samples[cut+1].at) >= rateWindow {
		cut++
	}
	m.samples = m.samples[cut:]
}

// progress reports the chain's sync as of now, with height our tip.
func (m *syncMeter) progress(height uint64, now time.Time) SyncProgress {
	m.mu.Lock()
	defer m.mu.Unlock()
	sp := SyncProgress{Height: height, Target: height}
	peers := map[peer.ID]bool{}
	for p := range m.active {
		if p.fetching {
			sp.Syncing = true
			peers[p.peer] = true
			sp.Target = max(sp.Target, p.target)
		}
	}
	sp.Peers = len(peers)
	if !sp.Syncing || len(m.samples) == 0 {
		return sp
	}
	first := m.samples[0]
	if secs := now.Sub(first.at).Seconds(); secs > 0 {
		sp.BlocksPerSec = float64(m.total-first.blocks) / secs
	}
	if sp.BlocksPerSec > 0 && sp.Target > height {
		sp.ETA = time.Duration(float64(sp.Target-height) / sp.BlocksPerSec * float64(time.Second))
	}
	return sp
}

// SyncProgress reports how far kind's sync has come.
func (n *Node) SyncProgress(kind consensus.ChainKind) SyncProgress {
	for _, cn := range n.chains {
		if cn.kind == kind {
			return cn.meter.progress(cn.h.Chain.Tip().Height, time.Now())
		}
	}
	return SyncProgress{}
}

// progress is one sync with one peer: it feeds the chain's meter and logs
// every progressEvery while far behind.
type progress struct {
	cn       *chainNet
	peer     peer.ID
	target   uint64
	start    time.Time
	lastLog  time.Time
	headers  int
	blocks   int
	fetching bool // blocks are being fetched (the branch proved its work)
}

func (cn *chainNet) newProgress(p peer.ID, target uint64) *progress {
	now := time.Now()
	prog := &progress{cn: cn, peer: p, target: target, start: now, lastLog: now}
	cn.meter.start(prog)
	return prog
}

// fetch marks the start of block downloads.
func (p *progress) fetch() {
	p.cn.meter.mu.Lock()
	p.fetching = true
	p.cn.meter.mu.Unlock()
}

func (p *progress) add(n int) {
	if n == 0 {
		return
	}
	now := time.Now()
	p.blocks += n
	p.cn.meter.add(n, now)
	if now.Sub(p.lastLog) < progressEvery {
		return
	}
	p.lastLog = now
	sp := p.cn.meter.progress(p.cn.h.Chain.Tip().Height, now)
	if sp.Height+progressMinLeft < sp.Target {
		secs := now.Sub(p.start).Seconds()
		p.cn.n.log.Info("syncing", "chain", p.cn.name, "height", sp.Height, "target", sp.Target,
			"blocks_per_s", int(sp.BlocksPerSec), "eta_s", int(sp.ETA.Seconds()+0.5),
			"headers_per_s", int(float64(p.headers)/secs), "peers", sp.Peers, "peer", p.peer)
	}
}

func (p *progress) done() {
	p.cn.meter.stop(p)
	if p.blocks >= progressMinLeft {
		secs := time.Since(p.start).Seconds()
		p.cn.n.log.Info("sync done", "chain", p.cn.name, "height", p.cn.h.Chain.Tip().Height, "blocks", p.blocks,
			"seconds", fmt.Sprintf("%.1f", secs), "blocks_per_s", int(float64(p.blocks)/secs), "peer", p.peer)
	}
}
