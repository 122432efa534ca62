package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// benchFee is the fee of every bench transaction (base units): well above
// the test networks' relay minimum, so no transaction waits on its fee.
const benchFee = 10_000

// latencies collects durations; safe for concurrent use.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// quantiles returns the given quantiles (0..1) by the nearest-rank method,
// and the number of samples; zeros when there are none.
func (l *latencies) quantiles(qs ...float64) ([]time.Duration, int) {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	out := make([]time.Duration, len(qs))
	if len(d) == 0 {
		return out, 0
	}
	slices.Sort(d)
	for i, q := range qs {
		k := int(q*float64(len(d))+0.999999) - 1
		out[i] = d[min(max(k, 0), len(d)-1)]
	}
	return out, len(d)
}

// confirmTracker follows one node's auction chain and matches the
// transactions in each new main-chain block against those submitted.
type confirmTracker struct {
	client *rpc.Client // HTTP, for chain.getBlock
	ws     *rpc.Client // WebSocket, for newHeads

	mu        sync.Mutex
	submitted map[wire.Hash]time.Time
	counting  bool // inside the measurement window

	confirmed atomic.Int64 // tracked transactions seen in blocks while counting
	blocks    atomic.Int64 // auction blocks seen while counting
	height    atomic.Uint64
	latency   latencies
	heads     chan struct{} // a signal per processed head (cap 1)
}

func newConfirmTracker(client, ws *rpc.Client) *confirmTracker {
	return &confirmTracker{client: client, ws: ws, submitted: map[wire.Hash]time.Time{}, heads: make(chan struct{}, 1)}
}

// track records a submission.
func (t *confirmTracker) track(id wire.Hash, at time.Time) {
	t.mu.Lock()
	t.submitted[id] = at
	t.mu.Unlock()
}

func (t *confirmTracker) setCounting(on bool) {
	t.mu.Lock()
	t.counting = on
	t.mu.Unlock()
}

// outstanding is the number of tracked submissions not yet confirmed.
func (t *confirmTracker) outstanding() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.submitted)
}

// run follows heads until ctx ends. It starts at the chain's current tip.
func (t *confirmTracker) run(ctx context.Context) error {
	heads, cancel, err := t.ws.Subscribe(ctx, "newHeads", "auction")
	if err != nil {
		return fmt.Errorf("subscribing to auction-chain heads: %w", err)
	}
	defer cancel()
	var info api.ChainInfoResult
	if err := t.client.Call(ctx, "chain.info", nil, &info); err != nil {
		return err
	}
	t.height.Store(info.Auction.Height)
	for {
		var raw json.RawMessage
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case raw, ok = <-heads:
			if !ok {
				return fmt.Errorf("the node ended the newHeads subscription")
			}
		}
		var h api.HeaderJSON
		if err := json.Unmarshal(raw, &h); err != nil {
			return fmt.Errorf("newHeads notification: %w", err)
		}
		// Read every main-chain block up to the new head (heads may be
		// skipped when blocks arrive faster than notifications).
		for next := t.height.Load() + 1; next <= h.Height; next++ {
			height := next
			var b api.BlockJSON
			if err := t.client.Call(ctx, "chain.getBlock", api.BlockQuery{Chain: "auction", Height: &height}, &b); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				break // a reorganisation moved the tip meanwhile; the next head retries
			}
			t.block(b.TxIDs, time.Now())
			t.height.Store(height)
		}
		select {
		case t.heads <- struct{}{}:
		default:
		}
	}
}

func (t *confirmTracker) block(ids []wire.Hash, now time.Time) {
	t.mu.Lock()
	counting := t.counting
	if counting {
		t.blocks.Add(1)
	}
	for _, id := range ids {
		if at, ok := t.submitted[id]; ok {
			delete(t.submitted, id)
			if counting {
				t.confirmed.Add(1)
			}
			t.latency.add(now.Sub(at))
		}
	}
	t.mu.Unlock()
}

// batchCaller posts tx.submitBatch calls over HTTP with the node's
// cookie, so the load generator is not rate limited by the node it
// measures.
type batchCaller struct {
	url   string
	token string
	http  *http.Client
}

type batchCall struct {
	JSONRPC string `json:"jsonrpc"`
	ID      int    `json:"id"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
}

// submitBatch sends raws (hex) in one tx.submitBatch call and returns
// each transaction's error (nil: accepted), in order.
func (b *batchCaller) submitBatch(ctx context.Context, raws []string) ([]error, error) {
	body, err := json.Marshal(batchCall{JSONRPC: "2.0", ID: 1, Method: "tx.submitBatch", Params: api.SubmitBatchParams{Raws: raws}})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	res, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	var reply struct {
		Result *api.SubmitBatchResult `json:"result"`
		Error  *rpc.Error             `json:"error"`
	}
	if err := json.Unmarshal(raw, &reply); err != nil {
		return nil, fmt.Errorf("tx.submitBatch of %d: HTTP %d: %.200s", len(raws), res.StatusCode, raw)
	}
	if reply.Error != nil {
		return nil, reply.Error
	}
	if reply.Result == nil || len(reply.Result.Results) != len(raws) {
		return nil, fmt.Errorf("tx.submitBatch of %d: malformed reply %.200s", len(raws), raw)
	}
	errs := make([]error, len(raws))
	for i, r := range reply.Result.Results {
		if e := r.Error; e != nil {
			errs[i] = &rpc.Error{Code: e.Code, Message: e.Message, Data: e.Data}
		}
	}
	return errs, nil
}

// signedTransfer is a transfer signed before the measurement window.
type signedTransfer struct {
	id  wire.Hash
	raw string // hex, as tx.submitBatch takes it
}

// benchAccount is a funded key that sends transfers with locally counted
// nonces.
type benchAccount struct {
	key   *keys.PrivateKey
	addr  keys.Address
	nonce uint64
	stale bool // ask the node for the nonce before the next transaction
	// signed are transfers signed ahead with nonces nonce, nonce+1, …;
	// dropped when one is refused (the account then signs as it goes).
	signed []signedTransfer
}

// transferLoad sends signed transfers at a target rate from many
// accounts. Worker w owns every account i with i%workers == w and sends
// them to one node, so each account's transactions arrive in nonce order.
type transferLoad struct {
	net      *consensus.Params
	rate     float64
	accounts []*benchAccount
	targets  []*batchCaller
	clients  []*rpc.Client // per target, for account.nextNonce
	tracker  *confirmTracker

	submitted atomic.Int64
	failed    atomic.Int64
	errMu     sync.Mutex
	errKinds  map[string]int64
}

// maxSubmitBatch bounds one tx.submitBatch call of the bench (the API
// takes up to api.MaxSubmitBatch).
const maxSubmitBatch = 500

func (l *transferLoad) noteError(err error) {
	l.failed.Add(1)
	kind := err.Error()
	if e, ok := err.(*rpc.Error); ok {
		kind = fmt.Sprintf("%d %s", e.Code, e.Message)
		if k := rpcErrorKind(e); k != "" {
			kind = k
		}
	}
	if len(kind) > 80 {
		kind = kind[:80]
	}
	l.errMu.Lock()
	if l.errKinds == nil {
		l.errKinds = map[string]int64{}
	}
	l.errKinds[kind]++
	l.errMu.Unlock()
}

// rpcErrorKind is error.data.kind of a rule error, if any.
func rpcErrorKind(e *rpc.Error) string {
	var d struct {
		Kind string `json:"kind"`
	}
	b, err := json.Marshal(e.Data)
	if err != nil || json.Unmarshal(b, &d) != nil {
		return ""
	}
	return d.Kind
}

// run sends until ctx ends, using workers goroutines.
func (l *transferLoad) run(ctx context.Context, workers int) {
	if l.rate <= 0 || len(l.accounts) == 0 {
		return
	}
	workers = min(workers, len(l.accounts))
	var wg sync.WaitGroup
	for w := range workers {
		var mine []*benchAccount
		for i := w; i < len(l.accounts); i += workers {
			mine = append(mine, l.accounts[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.worker(ctx, mine, w%len(l.targets), l.rate/float64(workers), int64(w))
		}()
	}
	wg.Wait()
}

func (l *transferLoad) worker(ctx context.Context, accts []*benchAccount, target int, rate float64, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(time.Now().UnixNano())))
	tb, client := l.targets[target], l.clients[target]
	start := time.Now()
	var sent int64
	next := 0
	// Pacing: every 50 ms the worker sends what is due by its share of
	// the rate, in one tx.submitBatch call of at most maxSubmitBatch.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		due := int64(time.Since(start).Seconds()*rate) - sent
		if due <= 0 {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			continue
		}
		n := int(min(due, maxSubmitBatch))
		raws := make([]string, 0, n)
		ids := make([]wire.Hash, 0, n)
		owners := make([]*benchAccount, 0, n)
		for range n {
			a := accts[next%len(accts)]
			next++
			if !a.stale && len(a.signed) > 0 {
				st := a.signed[0]
				a.signed = a.signed[1:]
				a.nonce++
				raws, ids, owners = append(raws, st.raw), append(ids, st.id), append(owners, a)
				continue
			}
			if a.stale {
				var nonce uint64
				if err := client.Call(ctx, "account.nextNonce", api.NonceParams{PubKey: a.key.PubKey().String(), Chain: "auction"}, &nonce); err != nil {
					if ctx.Err() != nil {
						return
					}
					l.noteError(err)
					continue
				}
				a.nonce, a.stale = nonce, false
			}
			to := l.accounts[rng.IntN(len(l.accounts))].addr
			if to == a.addr { // self-transfers are invalid: pay the next account
				to = l.accounts[(slices.Index(l.accounts, a)+1)%len(l.accounts)].addr
			}
			tx := ledger.NewTransfer(l.net, a.key, to, 1, benchFee, a.nonce)
			a.nonce++
			raws, ids, owners = append(raws, hex.EncodeToString(tx.Encode())), append(ids, tx.ID()), append(owners, a)
		}
		if len(raws) == 0 {
			continue
		}
		at := time.Now()
		for _, id := range ids {
			l.tracker.track(id, at)
		}
		errs, err := tb.submitBatch(ctx, raws)
		sent += int64(len(raws))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			errs = make([]error, len(raws))
			for i := range errs {
				errs[i] = err
			}
		}
		for i, e := range errs {
			if e == nil {
				l.submitted.Add(1)
				continue
			}
			l.tracker.untrack(ids[i])
			l.noteError(e)
			owners[i].stale = true
			owners[i].signed = nil
		}
	}
}

// presign signs, before the window, the transfers the run will send:
// enough for the rate over d (and a tenth more) spread over the accounts,
// each account's with consecutive nonces from its next nonce (asked of
// the node), on every core. So the window measures the nodes, not the
// bench's signing. Recipients are drawn at random among the accounts.
func (l *transferLoad) presign(ctx context.Context, d time.Duration, progress func(string, ...any)) error {
	if l.rate <= 0 || len(l.accounts) == 0 {
		return nil
	}
	total := min(int(l.rate*d.Seconds()*1.1)+len(l.accounts), 2_000_000)
	per := (total + len(l.accounts) - 1) / len(l.accounts)
	progress("signing %d transfers ahead of the window (%d per account)…", per*len(l.accounts), per)
	for _, a := range l.accounts {
		if !a.stale {
			continue
		}
		var nonce uint64
		if err := l.clients[0].Call(ctx, "account.nextNonce", api.NonceParams{PubKey: a.key.PubKey().String(), Chain: "auction"}, &nonce); err != nil {
			return fmt.Errorf("next nonce of a bench account: %w", err)
		}
		a.nonce, a.stale = nonce, false
	}
	start := time.Now()
	work := make(chan *benchAccount)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for a := range work {
				a.signed = make([]signedTransfer, per)
				for k := range a.signed {
					to := l.accounts[rng.IntN(len(l.accounts))].addr
					if to == a.addr { // self-transfers are invalid
						to = l.accounts[(rng.IntN(len(l.accounts)-1)+1+slices.Index(l.accounts, a))%len(l.accounts)].addr
					}
					tx := ledger.NewTransfer(l.net, a.key, to, 1, benchFee, a.nonce+uint64(k))
					a.signed[k] = signedTransfer{id: tx.ID(), raw: hex.EncodeToString(tx.Encode())}
				}
			}
		})
	}
	for _, a := range l.accounts {
		select {
		case work <- a:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("signing bench transfers: %w", err)
	}
	progress("signed in %.1f s", time.Since(start).Seconds())
	return nil
}

// untrack forgets a refused submission.
func (t *confirmTracker) untrack(id wire.Hash) {
	t.mu.Lock()
	delete(t.submitted, id)
	t.mu.Unlock()
}

// errorSummary lists the submit errors by kind, most frequent first.
func (l *transferLoad) errorSummary() map[string]int64 {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	out := make(map[string]int64, len(l.errKinds))
	for k, v := range l.errKinds {
		out[k] = v
	}
	return out
}

// fundAccounts creates n accounts and funds each from the faucet of
// node client (test networks), returning once every account holds the
// amount: balances are checked after each new auction-chain head.
func fundAccounts(ctx context.Context, client *rpc.Client, tracker *confirmTracker, net *consensus.Params, n int, amount uint64, progress func(string, ...any)) ([]*benchAccount, error) {
	accts := make([]*benchAccount, n)
	for i := range accts {
		k, err := keys.GenerateKey()
		if err != nil {
			return nil, err
		}
		accts[i] = &benchAccount{key: k, addr: k.PubKey().Address()}
	}
	progress("funding %d accounts from the faucet…", n)
	for i := 0; i < len(accts); {
		var res api.SubmitResult
		err := client.Call(ctx, "faucet.request", api.FaucetParams{Address: accts[i].addr.Encode(net.AddressHRP), Amount: amount}, &res)
		switch {
		case err == nil:
			i++
		case isKind(err, "ErrNonceTooFarAhead"), isKind(err, "ErrReplacementUnderpriced"):
			// The faucet is one sender: the mempool holds a bounded run
			// of its transactions ahead of the chain (and a node before
			// the faucet was serialised could collide with another
			// client's request). Wait for a block and ask again.
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("funding bench accounts: %d of %d requested: %w", i, n, context.Cause(ctx))
			case <-tracker.heads:
			}
		default:
			return nil, fmt.Errorf("funding bench accounts: %w (bench needs a test or regtest network with a faucet)", err)
		}
	}
	progress("waiting for the faucet's transfers to be mined…")
	unfunded := slices.Clone(accts)
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("funding bench accounts: %d of %d not funded yet: %w", len(unfunded), n, context.Cause(ctx))
		case <-tracker.heads:
		}
		var still []*benchAccount
		for _, a := range unfunded {
			var acct api.Account
			if err := client.Call(ctx, "account.get", api.AddressParams{Address: a.addr.Encode(net.AddressHRP)}, &acct); err != nil {
				return nil, fmt.Errorf("funding bench accounts: %w", err)
			}
			if acct.Balance < amount {
				still = append(still, a)
			}
		}
		if unfunded = still; len(unfunded) == 0 {
			return accts, nil
		}
	}
}

// isKind reports whether err is an RPC error of a rule-error kind
// (error.data.kind, or the kind named at the start of the message).
func isKind(err error, kind string) bool {
	var e *rpc.Error
	if !errors.As(err, &e) {
		return false
	}
	return rpcErrorKind(e) == kind || strings.HasPrefix(e.Message, kind)
}
