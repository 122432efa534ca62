package miner

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Target is one chain the miner works on, with where its block contents
// come from.
type Target struct {
	Chain *chain.Chain
	// Candidates returns transactions for the next block in priority
	// order; nil means empty blocks.
	Candidates func() []*wire.Tx
	// Rejected hears about candidates the template dropped; may be nil.
	Rejected func([]chain.RejectedTx)
	// Anchor returns the anchor for the next block (auction chain); nil
	// means none.
	Anchor func() (wire.Anchor, error)
}

// Config sets up a Miner.
type Config struct {
	Key     *keys.PrivateKey
	Reward  keys.Address
	Threads int // per chain
	Logger  *slog.Logger
	Targets []Target
	// MinInterval throttles block production on mine-on-demand networks
	// (regtest), where every nonce wins; zero means no throttle.
	MinInterval time.Duration
}

// Miner mines every target chain concurrently.
type Miner struct {
	cfg    Config
	hashes atomic.Uint64
	mined  atomic.Uint64

	// gate is held (read) by each loop for one round: template, solve,
	// process. Pause takes it (write) so no round runs while paused.
	gate    sync.RWMutex
	pauseMu sync.Mutex
	pausing chan struct{} // closed while a pause is requested or held; see Pause
	pauses  int
}

// New returns a miner; Run starts it.
func New(cfg Config) *Miner {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Miner{cfg: cfg, pausing: make(chan struct{})}
}

// Pause stops mining on every chain until resume is called: a nonce
// search in progress is abandoned and Pause returns once no round is
// running, so blocks built meanwhile (admin.generate, with the same key
// and template) do not race the miner's own identical blocks. Pauses
// nest; mining resumes when the last one ends. Safe before Run and after
// it ends.
func (m *Miner) Pause() (resume func()) {
	m.pauseMu.Lock()
	if m.pauses == 0 {
		close(m.pausing)
	}
	m.pauses++
	m.pauseMu.Unlock()
	m.gate.Lock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.gate.Unlock()
			m.pauseMu.Lock()
			m.pauses--
			if m.pauses == 0 {
				m.pausing = make(chan struct{})
			}
			m.pauseMu.Unlock()
		})
	}
}

// pauseRequested is closed while a pause is requested or held.
func (m *Miner) pauseRequested() <-chan struct{} {
	m.pauseMu.Lock()
	defer m.pauseMu.Unlock()
	return m.pausing
}

// Hashes is the number of nonces tried so far.
func (m *Miner) Hashes() uint64 { return m.hashes.Load() }

// Mined is the number of blocks this miner found and the chain accepted.
func (m *Miner) Mined() uint64 { return m.mined.Load() }

// Run mines until ctx ends. Each chain has its own loop; a new tip on a
// chain, from this miner or the network, cancels the nonce search there.
func (m *Miner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, t := range m.cfg.Targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.loop(ctx, t)
		}()
	}
	wg.Wait()
	return nil
}

func (m *Miner) loop(ctx context.Context, t Target) {
	log := m.cfg.Logger.With("chain", t.Chain.Params().Kind.String())
	tipChanged := make(chan struct{}, 1)
	t.Chain.Subscribe(func(chain.Event) {
		select {
		case tipChanged <- struct{}{}:
		default:
		}
	})
	for ctx.Err() == nil {
		if m.cfg.MinInterval > 0 {
			last := time.UnixMilli(t.Chain.Tip().Time)
			if wait := time.Until(last.Add(m.cfg.MinInterval)); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		select { // a tip change before this template is already accounted for
		case <-tipChanged:
		default:
		}
		m.gate.RLock() // waits here while paused
		m.round(ctx, t, log, tipChanged)
		m.gate.RUnlock()
	}
}

// round builds, solves and submits one block; it gives up when the tip
// changes, a pause is requested or ctx ends.
func (m *Miner) round(ctx context.Context, t Target, log *slog.Logger, tipChanged <-chan struct{}) {
	paused := m.pauseRequested()
	select {
	case <-paused:
		return // a pause is waiting for the gate; let it in
	default:
	}
	blk, err := m.template(t)
	if err != nil {
		log.Error("cannot build block template", "err", err)
		select {
		case <-ctx.Done():
		case <-paused:
		case <-time.After(time.Second):
		}
		return
	}
	solveCtx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-tipChanged:
			cancel()
		case <-paused:
			cancel()
		case <-solveCtx.Done():
		}
	}()
	solved := Solve(solveCtx, &blk.Header, m.cfg.Threads, &m.hashes)
	cancel()
	if !solved {
		return
	}
	res, err := t.Chain.ProcessBlock(ctx, blk)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			log.Warn("mined block rejected", "height", blk.Header.Height, "err", err)
		}
		return
	}
	if res.MainTip {
		m.mined.Add(1)
		log.Info("mined block", "height", blk.Header.Height, "hash", res.Hash, "txs", len(blk.Txs))
	}
}

func (m *Miner) template(t Target) (*wire.Block, error) {
	req := chain.TemplateRequest{Reward: m.cfg.Reward, MinerKey: m.cfg.Key.PubKey()}
	if t.Candidates != nil {
		req.Txs = t.Candidates()
	}
	if t.Anchor != nil {
		a, err := t.Anchor()
		if err != nil {
			return nil, err
		}
		req.Anchor = a
	}
	tmpl, err := t.Chain.NewTemplate(req)
	if err != nil {
		return nil, err
	}
	if t.Rejected != nil && len(tmpl.Rejected) > 0 {
		t.Rejected(tmpl.Rejected)
	}
	Sign(&tmpl.Block.Header, m.cfg.Key)
	return tmpl.Block, nil
}

// Generate mines n blocks on c one after another (regtest and tests) and
// returns their hashes. It fails if a block is not accepted as the new tip.
// A background Miner with the same key must be paused meanwhile (Pause):
// it would otherwise race these blocks with its own on the same tips. A
// block it stored first that is identical to one generated here counts as
// generated.
func Generate(ctx context.Context, c *chain.Chain, n int, key *keys.PrivateKey, reward keys.Address, txs func() []*wire.Tx, anchor func() (wire.Anchor, error)) ([]wire.Hash, error) {
	m := New(Config{Key: key, Reward: reward, Threads: 1})
	t := Target{Chain: c, Candidates: txs, Anchor: anchor}
	var out []wire.Hash
	for i := 0; i < n; i++ {
		blk, err := m.template(t)
		if err != nil {
			return out, err
		}
		if !Solve(ctx, &blk.Header, 1, nil) {
			return out, ctx.Err()
		}
		res, err := c.ProcessBlock(ctx, blk)
		if errors.Is(err, consensus.ErrDuplicateBlock) && c.Tip().Hash == blk.Hash() {
			// Another miner with this key built and stored the very same
			// block first: the chain has the block this call wanted.
			out = append(out, blk.Hash())
			continue
		}
		if err != nil {
			return out, err
		}
		if !res.MainTip {
			return out, consensus.AssertError("generated block did not become the tip")
		}
		out = append(out, res.Hash)
	}
	return out, nil
}
