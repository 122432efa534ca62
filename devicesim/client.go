package devicesim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Caller is the node API as the simulator uses it; *rpc.Client satisfies
// it.
type Caller interface {
	Call(ctx context.Context, method string, params, result any) error
}

// apiOf is the typed API client over a Caller.
func apiOf(c Caller) *apiclient.Client { return apiclient.New(c) }

// NodeNetwork asks a node which network it runs and returns that
// network's parameters.
func NodeNetwork(ctx context.Context, c Caller) (*consensus.Params, error) {
	info, err := apiOf(c).ChainInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking the node for its network: %w", err)
	}
	return consensus.ForNetwork(info.Network)
}

// AdminGenerate returns a Generate function that asks a regtest node for
// one metadata block (admin.generate; c must carry the node's cookie).
func AdminGenerate(c Caller) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := apiOf(c).Generate(ctx, "metadata", 1)
		return err
	}
}

// submit sends a signed transaction.
func submit(ctx context.Context, c Caller, tx *wire.Tx) (wire.Hash, error) {
	res, err := apiOf(c).Submit(ctx, tx)
	if err != nil {
		return wire.Hash{}, err
	}
	return res.ID, nil
}

// nextNonce is a key's next nonce on a chain ("metadata" or "auction"),
// pending transactions included.
func nextNonce(ctx context.Context, c Caller, pk keys.PubKey, chain string) (uint64, error) {
	return apiOf(c).NextNonce(ctx, pk, chain)
}

// GetDevice returns a device record, nil if the key is unknown.
func GetDevice(ctx context.Context, c Caller, device keys.PubKey) (*apitypes.Device, error) {
	return apiOf(c).Device(ctx, device)
}

// GetOEM returns an OEM's membership, nil if never admitted.
func GetOEM(ctx context.Context, c Caller, oem keys.PubKey) (*apitypes.Member, error) {
	return apiOf(c).OEM(ctx, oem)
}

// GetModel returns a published model, nil if unknown.
func GetModel(ctx context.Context, c Caller, id string) (*apitypes.Model, error) {
	return apiOf(c).Model(ctx, id)
}

// ListDevices runs a device query.
func ListDevices(ctx context.Context, c Caller, f apitypes.DeviceFilter) (apitypes.QueryResult, error) {
	return apiOf(c).Devices(ctx, f)
}

// Sender signs and submits a key's transactions on one chain with
// locally sequenced nonces: the first submission asks the node
// (account.nextNonce, which counts pending transactions), later ones
// count up, so one OEM key can attest many devices without a round trip
// each. When another process uses the same key, the node answers with a
// nonce error; the Sender then refetches and rebuilds the transaction.
// Safe for concurrent use; submissions of one Sender are serialised.
type Sender struct {
	Key *keys.PrivateKey
	// Chain is where the key's transactions go: "metadata" (NewSender)
	// or "auction" (NewAuctionSender); nonces are per chain.
	Chain  string
	client Caller

	mu    sync.Mutex
	next  uint64
	known bool
}

// NewSender returns a Sender for key's metadata-chain transactions.
func NewSender(client Caller, key *keys.PrivateKey) *Sender {
	return &Sender{Key: key, Chain: "metadata", client: client}
}

// NewAuctionSender returns a Sender for key's auction-chain transactions
// (a device's key deliveries).
func NewAuctionSender(client Caller, key *keys.PrivateKey) *Sender {
	return &Sender{Key: key, Chain: "auction", client: client}
}

// maxNonceRetries bounds refetch-and-retry rounds on nonce conflicts.
const maxNonceRetries = 8

// Submit builds the transaction at the sender's next nonce and submits
// it, retrying with a fresh nonce when another process took that one. An
// identical transaction already pending counts as submitted.
func (s *Sender) Submit(ctx context.Context, build func(nonce uint64) *wire.Tx) (wire.Hash, error) {
	return s.SubmitE(ctx, func(n uint64) (*wire.Tx, error) { return build(n), nil })
}

// SubmitE is Submit with a builder that may fail; its error is returned
// as is and nothing is submitted.
func (s *Sender) SubmitE(ctx context.Context, build func(nonce uint64) (*wire.Tx, error)) (wire.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var lastErr error
	chain := s.chainName()
	fullWaits := 0
	for attempt := 0; attempt < maxNonceRetries; attempt++ {
		if !s.known {
			n, err := nextNonce(ctx, s.client, s.Key.PubKey(), chain)
			if err != nil {
				return wire.Hash{}, fmt.Errorf("next nonce of %s: %w", s.Key.PubKey(), err)
			}
			s.next, s.known = n, true
		}
		tx, err := build(s.next)
		if err != nil {
			return wire.Hash{}, err
		}
		_, err = submit(ctx, s.client, tx)
		switch {
		case s.taken(err):
			return tx.ID(), nil
		case hasKind(err, kindNonceTooFar) && fullWaits < maxFullPoolWaits:
			// The mempool already holds as many of this key's
			// transactions as it keeps ahead of the chain (one OEM
			// attesting hundreds of devices): not a conflict, so wait
			// for the next block to make room, then ask again.
			lastErr, s.known = err, false
			fullWaits++
			attempt--
			if err := waitNewTip(ctx, s.client, chain, 2*time.Minute); err != nil {
				return wire.Hash{}, fmt.Errorf("%w (waiting for a %s block to make room: %v)", lastErr, chain, err)
			}
			continue
		case nonceConflict(err):
			lastErr = err
			s.known = false
			if attempt > 0 { // others are busy with this key: back off a little
				if err := sleepCtx(ctx, time.Duration(attempt)*50*time.Millisecond); err != nil {
					return wire.Hash{}, err
				}
			}
			continue
		default:
			// The node refused the transaction itself; our sequence may
			// now be ahead of the node's, so ask again next time.
			s.known = false
			return wire.Hash{}, err
		}
	}
	return wire.Hash{}, fmt.Errorf("gave up after %d nonce conflicts: %w", maxNonceRetries, lastErr)
}

// chainName is the chain the Sender's transactions go to.
func (s *Sender) chainName() string {
	if s.Chain == "" {
		return "metadata"
	}
	return s.Chain
}

// taken reports whether the node's answer to a submission at s.next
// means the transaction is in (accepted, or an identical one already
// pending), and if so moves the sequence on. The caller holds s.mu.
func (s *Sender) taken(err error) bool {
	if err == nil || hasKind(err, kindAlreadyKnown) {
		s.next++
		return true
	}
	return false
}

// maxFullPoolWaits bounds how many blocks one submission waits for room
// in the mempool.
const maxFullPoolWaits = 100

// waitNewTip polls chain.info until the tip of chain ("metadata" or
// "auction") changes, or timeout.
func waitNewTip(ctx context.Context, c Caller, chain string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tip := func() (wire.Hash, error) {
		info, err := apiOf(c).ChainInfo(ctx)
		if err != nil {
			return wire.Hash{}, err
		}
		if chain == "auction" {
			return info.Auction.Hash, nil
		}
		return info.Metadata.Hash, nil
	}
	first, err := tip()
	if err != nil {
		return err
	}
	return waiter{interval: 200 * time.Millisecond}.until(ctx, "a new "+chain+" block", func(context.Context) (bool, error) {
		h, err := tip()
		return err == nil && h != first, err
	})
}

// Learn takes n as the key's next nonce when the Sender does not know one
// (no account.nextNonce call then): for example the committed nonce read
// with the account's balance. If transactions of the key are pending, the
// node refuses the first submission with a nonce conflict and the Sender
// asks it then.
func (s *Sender) Learn(n uint64) {
	s.mu.Lock()
	if !s.known {
		s.next, s.known = n, true
	}
	s.mu.Unlock()
}

// Reset forgets the local nonce, so the next Submit asks the node.
func (s *Sender) Reset() {
	s.mu.Lock()
	s.known = false
	s.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waiter polls a condition until it holds or ctx ends, asking for a
// block (Generate) between polls when set.
type waiter struct {
	interval time.Duration
	generate func(context.Context) error
	onGenErr func(error)
}

func (w waiter) until(ctx context.Context, what string, done func(ctx context.Context) (bool, error)) error {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		ok, err := done(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if w.generate != nil {
			if err := w.generate(ctx); err != nil && ctx.Err() == nil && w.onGenErr != nil {
				w.onGenErr(err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, context.Cause(ctx))
		case <-t.C:
		}
	}
}
