package devicesim

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger/ledgertx"
)

// Key delivery: a device watches its auctions and, for each one whose
// price is paid (status awaiting_delivery) and not delivered yet, draws a
// fresh 32-byte access key, saves it (0600, atomically) BEFORE submitting
// anything, and posts it ECIES-encrypted to the winner's key with
// auctiontx.NewDeliverKeyTx, signed by the device key on the auction chain.
// A restart reuses the saved key, so the winner never sees two keys for
// one auction; an auction already delivered on chain is skipped.

// DefaultDeliveryFee is the fee of a key delivery (base units): about 37
// units per byte, well above the relay floor of main and test (1 unit per
// byte, consensus.Params.MinRelayFeeRate), and miners order by fee rate,
// so deliveries stay ahead of cheap transactions before their deadline.
const DefaultDeliveryFee = 10_000

// DefaultFunding is what the simulator asks the test faucet for, per
// device, when its auction-chain balance is below FundingThreshold.
const (
	DefaultFunding   = ledgertx.Coin
	FundingThreshold = 100 * DefaultDeliveryFee
)

// accessKeySize is the length of a generated access key.
const accessKeySize = 32

// redeliverAfter is how long a submitted delivery may stay unmined before
// it is submitted again (same key, fresh nonce and encryption).
var redeliverAfter = 20 * time.Second

// keyStore is an agent's access keys, per auction, persisted next to its
// key file (FILE.keys.json, 0600). The zero value keeps them in memory.
type keyStore struct {
	path string

	mu   sync.Mutex
	keys map[wire.Hash][]byte
}

type keysFile struct {
	// Keys maps auction ID (hex) to the access key (hex).
	Keys map[string]string `json:"keys"`
}

// keysPath is where an agent file's access keys live.
func keysPath(agentPath string) string {
	return strings.TrimSuffix(agentPath, ".json") + ".keys.json"
}

func (k *keyStore) load(path string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var f keysFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("access keys file %s: %w", path, err)
	}
	k.keys = make(map[wire.Hash][]byte, len(f.Keys))
	for id, key := range f.Keys {
		var h wire.Hash
		if err := h.UnmarshalText([]byte(id)); err != nil {
			return fmt.Errorf("access keys file %s: auction %q: %w", path, id, err)
		}
		v, err := hex.DecodeString(key)
		if err != nil || len(v) != accessKeySize {
			return fmt.Errorf("access keys file %s: auction %s: bad key", path, id)
		}
		k.keys[h] = v
	}
	return nil
}

// get returns the saved key of an auction.
func (k *keyStore) get(id wire.Hash) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.keys[id]
	return v, ok
}

// getOrCreate returns the saved key of an auction, or draws, saves and
// returns a new one. The key is on disk before it is returned.
func (k *keyStore) getOrCreate(id wire.Hash, rnd io.Reader) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.keys[id]; ok {
		return v, nil
	}
	v := make([]byte, accessKeySize)
	if _, err := io.ReadFull(rnd, v); err != nil {
		return nil, err
	}
	if k.keys == nil {
		k.keys = map[wire.Hash][]byte{}
	}
	k.keys[id] = v
	if err := k.saveLocked(); err != nil {
		delete(k.keys, id)
		return nil, fmt.Errorf("saving the access key of auction %s: %w", id, err)
	}
	return v, nil
}

func (k *keyStore) saveLocked() error {
	if k.path == "" {
		return nil
	}
	f := keysFile{Keys: make(map[string]string, len(k.keys))}
	for id, v := range k.keys {
		f.Keys[id.String()] = hex.EncodeToString(v)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return err
	}
	tmp := k.path + ".tmp"
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = fh.Write(append(b, '\n'))
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, k.path)
}

// AccessKey returns the access key this device generated for an auction
// (delivered or being delivered).
func (a *Agent) AccessKey(id wire.Hash) ([]byte, bool) { return a.accessKeys.get(id) }

// DeviceAddress is the device key's auction-chain account (it pays the
// delivery fees).
func (a *Agent) DeviceAddress() string {
	return a.DeviceKey.PubKey().Address().Encode(a.Net.AddressHRP)
}

// DeliverKeys runs one delivery round: it lists the device's auctions and
// delivers an access key for each one awaiting delivery, paying fee. It
// returns the auctions it submitted deliveries for. One auction's failure
// does not stop the others; the errors are joined.
func (a *Agent) DeliverKeys(ctx context.Context, fee uint64) ([]wire.Hash, error) {
	list, err := auctionsOfDevice(ctx, a.Client, a.DeviceKey.PubKey())
	if err != nil {
		return nil, fmt.Errorf("auction.ofDevice: %w", err)
	}
	var done []wire.Hash
	var errs []error
	for i := range list {
		av := &list[i]
		if av.Status != apitypes.StatusPaid || av.Delivery != nil {
			continue
		}
		if av.Height+1 > av.DeliveryDeadline {
			continue // too late: the chain refunds the winner
		}
		if !a.dueForDelivery(av.ID) {
			continue // submitted recently; wait for a block
		}
		sent, err := a.deliver(ctx, av.ID, fee)
		if err != nil {
			errs = append(errs, fmt.Errorf("device %s, auction %s: %w", a.DeviceHex(), av.ID, err))
			continue
		}
		if sent {
			done = append(done, av.ID)
		}
	}
	return done, errors.Join(errs...)
}

// dueForDelivery reports whether a delivery for the auction should be
// submitted now: never submitted by this process, or not mined within
// redeliverAfter.
func (a *Agent) dueForDelivery(id wire.Hash) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	last, ok := a.sent[id]
	return !ok || time.Since(last) >= redeliverAfter
}

// deliver submits the delivery of one auction; sent is false when there
// was nothing to do (delivered or pending meanwhile).
func (a *Agent) deliver(ctx context.Context, id wire.Hash, fee uint64) (sent bool, err error) {
	winner, winnerKey, price, ok, err := a.winnerOf(ctx, id)
	if err != nil || !ok {
		return false, err
	}
	return a.deliverTo(ctx, id, winner, winnerKey, price, fee)
}

// winnerOf reads a paid auction's winner (address) and the key its bid
// was made with; ok is false when the auction no longer awaits delivery.
func (a *Agent) winnerOf(ctx context.Context, id wire.Hash) (winner string, winnerKey keys.PubKey, price uint64, ok bool, err error) {
	// Read the auction with its bids for the winner's key.
	av, err := getAuction(ctx, a.Client, id)
	if err != nil {
		return "", winnerKey, 0, false, fmt.Errorf("auction.get: %w", err)
	}
	if av == nil || av.Status != apitypes.StatusPaid || av.Delivery != nil {
		return "", winnerKey, 0, false, nil // moved on meanwhile
	}
	if av.Device != a.DeviceHex() {
		return "", winnerKey, 0, false, fmt.Errorf("auction.get returned an auction of another device")
	}
	winner = av.Winner
	if winner == "" {
		return "", winnerKey, 0, false, fmt.Errorf("auction has no winner")
	}
	for _, b := range av.BidList {
		if b.Bidder == winner {
			if winnerKey, err = keys.ParsePubKeyHex(b.BidderKey); err != nil {
				return "", winnerKey, 0, false, fmt.Errorf("winner's bid key: %w", err)
			}
			return winner, winnerKey, av.Price, true, nil
		}
	}
	return "", winnerKey, 0, false, fmt.Errorf("no bid of the winner %s in the bid list", winner)
}

// deliverTo submits the delivery of one auction to its winner, whose bid
// key the access key is encrypted to.
func (a *Agent) deliverTo(ctx context.Context, id wire.Hash, winner string, winnerKey keys.PubKey, price, fee uint64) (sent bool, err error) {
	build, resubmit, err := a.prepareDelivery(id, winner, winnerKey, fee)
	if err != nil {
		return false, err
	}
	_, err = a.auction.SubmitE(ctx, build)
	return a.submitted(id, winner, price, resubmit, err)
}

// prepareDelivery checks a delivery's winner, draws (or reuses) and saves
// the access key, and returns the builder of the delivery transaction at
// a nonce. resubmit: this process submitted a delivery of the auction
// before (it was not mined), so the device's local nonce is forgotten.
func (a *Agent) prepareDelivery(id wire.Hash, winner string, winnerKey keys.PubKey, fee uint64) (build func(nonce uint64) (*wire.Tx, error), resubmit bool, err error) {
	if winnerKey.Address().Encode(a.Net.AddressHRP) != winner {
		return nil, false, fmt.Errorf("winner's bid key does not match the winner's address")
	}
	key, err := a.accessKeys.getOrCreate(id, crand.Reader)
	if err != nil {
		return nil, false, err
	}
	a.mu.Lock()
	_, resubmit = a.sent[id]
	a.mu.Unlock()
	if resubmit {
		a.auction.Reset() // a dropped delivery left the local sequence ahead
	}
	return func(nonce uint64) (*wire.Tx, error) {
		return auctiontx.NewDeliverKeyTx(a.Net, a.DeviceKey, nonce, fee, id, winnerKey, key, crand.Reader)
	}, resubmit, nil
}

// submitted records the outcome of a delivery's submission (err from
// SubmitE or submitBatchE): sent when the node took it; a delivery the
// node already has (mined or pending) is no error and not sent.
func (a *Agent) submitted(id wire.Hash, winner string, price uint64, resubmit bool, err error) (sent bool, _ error) {
	if err != nil {
		if hasKind(err, "ErrAlreadyDelivered") {
			return false, nil // an earlier submission was mined or is pending
		}
		return false, fmt.Errorf("submitting the delivery: %w", err)
	}
	a.mu.Lock()
	if a.sent == nil {
		a.sent = map[wire.Hash]time.Time{}
	}
	a.sent[id] = time.Now()
	a.mu.Unlock()
	a.Logger.Info("access key delivered", "device", a.DeviceHex(), "auction", id.String(),
		"winner", winner, "price", price, "resubmitted", resubmit)
	return true, nil
}

// Fund asks the test faucet for amount when the device's auction-chain
// balance is below threshold. It reports whether it asked; the faucet's
// transfer still needs an auction block. The committed nonce it reads
// becomes the device's first delivery nonce (Sender.Learn).
func (a *Agent) Fund(ctx context.Context, amount, threshold uint64) (bool, error) {
	acct, err := apiOf(a.Client).Account(ctx, a.DeviceAddress())
	if err != nil {
		return false, fmt.Errorf("account.get: %w", err)
	}
	// The device's first delivery then needs no account.nextNonce call:
	// one round trip per device, which on a busy node made a round's
	// first deliveries late.
	a.auction.Learn(acct.Nonce)
	if acct.Balance >= threshold {
		return false, nil
	}
	if _, err := apiOf(a.Client).Faucet(ctx, a.DeviceAddress(), amount); err != nil {
		return false, fmt.Errorf("faucet.request: %w", err)
	}
	return true, nil
}

// Reading auctions through the API (auction.get, auction.ofDevice), in
// its one encoding: statuses as names, hashes and keys in hex, addresses
// in bech32m.

// getAuction reads one auction with its bids and delivery; nil if unknown.
func getAuction(ctx context.Context, c Caller, id wire.Hash) (*apitypes.AuctionView, error) {
	return apiOf(c).Auction(ctx, id)
}

// auctionsOfDevice lists a device's auctions (without bids), oldest first.
func auctionsOfDevice(ctx context.Context, c Caller, device keys.PubKey) ([]apitypes.AuctionView, error) {
	return apiOf(c).AuctionsOfDevice(ctx, device)
}

// GetDelivery reads an auction's key delivery through the API: nil (and
// no error) when the auction is unknown or not delivered yet. A winner
// opens it with d.Open(key).
func GetDelivery(ctx context.Context, c Caller, id wire.Hash) (*apitypes.Delivery, error) {
	a, err := getAuction(ctx, c, id)
	if err != nil || a == nil || a.Delivery == nil {
		return nil, err
	}
	return a.Delivery, nil
}

// --- the simulator's auction watcher: one loop for all its agents ---

// localKey is ChainAccess.LocalKey over the simulator's agents.
func (s *Simulator) localKey(device keys.PubKey, id wire.Hash) ([]byte, bool) {
	s.devMu.RLock()
	a := s.byDev[device]
	s.devMu.RUnlock()
	if a == nil {
		return nil, false
	}
	return a.AccessKey(id)
}

// fundAll asks the test faucet for fee money for every device whose
// auction-chain balance is low. Failures are logged, not fatal: deliveries
// are retried at every new head.
func (s *Simulator) fundAll(ctx context.Context) {
	asked := 0
	for i := 0; i < len(s.agents); i++ {
		a := s.agents[i]
		ok, err := a.Fund(ctx, DefaultFunding, FundingThreshold)
		if hasKind(err, kindNonceTooFar) {
			// The faucet is one sender, and a mempool holds only a
			// bounded run of a sender's transactions ahead of the chain:
			// with many devices, wait for the next auction block.
			if err := s.nextAuctionBlock(ctx); err != nil {
				s.log.Warn("funding devices for delivery fees stopped", "funded", i, "of", len(s.agents), "err", err)
				return
			}
			i--
			continue
		}
		if err != nil {
			if hasKind(err, string(apitypes.ErrNoFaucet)) {
				s.log.Info("this network has no faucet: devices pay delivery fees from their own balance", "fee", s.cfg.DeliveryFee)
				return
			}
			s.log.Warn("funding a device for delivery fees failed", "device", a.DeviceHex(), "err", err)
			continue
		}
		if ok {
			asked++
		}
	}
	if asked > 0 {
		s.log.Info("asked the faucet for delivery fee money", "devices", asked, "each", DefaultFunding)
	}
}

// nextAuctionBlock waits (polling chain.info, asking for a block on
// regtest without miners) until the auction chain's tip moves.
func (s *Simulator) nextAuctionBlock(ctx context.Context) error {
	first, err := apiOf(s.cfg.Client).ChainInfo(ctx)
	if err != nil {
		return err
	}
	w := s.waiter()
	if w.generate != nil {
		w.generate = func(ctx context.Context) error {
			_, err := apiOf(s.cfg.Client).Generate(ctx, "auction", 1)
			return err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ConfirmTimeout)
	defer cancel()
	return w.until(wctx, "an auction block", func(ctx context.Context) (bool, error) {
		info, err := apiOf(s.cfg.Client).ChainInfo(ctx)
		return err == nil && info.Auction.Hash != first.Auction.Hash, err
	})
}

// DeliverKeys runs one delivery round for every agent and returns the
// auctions it submitted deliveries for. It asks the node once per
// apitypes.MaxDevicesPerCall agents which auctions await delivery
// (auction.awaitingDelivery), not once per agent; against a node without
// that method it falls back to one auction.ofDevice call per agent.
func (s *Simulator) DeliverKeys(ctx context.Context) ([]wire.Hash, error) {
	if !s.perAgentDelivery.Load() {
		ids, err := s.deliverBatched(ctx)
		if !methodMissing(err) {
			return ids, err
		}
		s.log.Info("the node has no auction.awaitingDelivery: asking per device")
		s.perAgentDelivery.Store(true)
	}
	var all []wire.Hash
	var errs []error
	for _, a := range s.agents {
		ids, err := a.DeliverKeys(ctx, s.cfg.DeliveryFee)
		all = append(all, ids...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return all, errors.Join(errs...)
}

// deviceKeys lists the agents' device keys, in order, for the batch
// queries that take up to apitypes.MaxDevicesPerCall devices.
func deviceKeys(agents []*Agent) []keys.PubKey {
	devices := make([]keys.PubKey, len(agents))
	for i, a := range agents {
		devices[i] = a.DeviceKey.PubKey()
	}
	return devices
}

// deliverBatched is DeliverKeys with one auction.awaitingDelivery call per
// apitypes.MaxDevicesPerCall agents, and their deliveries submitted
// together (deliverAll).
func (s *Simulator) deliverBatched(ctx context.Context) ([]wire.Hash, error) {
	var all []wire.Hash
	var errs []error
	for start := 0; start < len(s.agents); start += apitypes.MaxDevicesPerCall {
		chunk := s.agents[start:min(start+apitypes.MaxDevicesPerCall, len(s.agents))]
		devices := deviceKeys(chunk)
		due, err := apiOf(s.cfg.Client).AwaitingDelivery(ctx, devices)
		if err != nil {
			return all, err
		}
		done, err := s.deliverAll(ctx, due)
		all = append(all, done...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return all, errors.Join(errs...)
}

// keySavers bounds the access keys one delivery round saves at a time.
const keySavers = 16

// deliveryRounds bounds the delivery rounds the watcher has in flight
// (each one tx.submitBatch call for the deliveries one head made due).
const deliveryRounds = 4

// deliverAll delivers the auctions auction.awaitingDelivery listed that
// are ours and not submitted recently, and returns those it submitted.
// Deliveries of different devices are independent (each device signs with
// its own key and nonce), so they go to the node together, in
// tx.submitBatch calls (submitBatchE): one call per round, where one
// tx.submit per delivery cost a round trip and a mempool admission each
// and, at 1,000 devices, could not keep up with the sales. Against a node
// without tx.submitBatch it submits them one by one.
func (s *Simulator) deliverAll(ctx context.Context, due []apitypes.AwaitingDelivery) ([]wire.Hash, error) {
	type delivery struct {
		agent    *Agent
		d        apitypes.AwaitingDelivery
		resubmit bool
		sub      *batchSubmission
	}
	type candidate struct {
		agent     *Agent
		d         apitypes.AwaitingDelivery
		winnerKey keys.PubKey
	}
	began := time.Now()
	var cands []candidate
	var errs []error
	for _, d := range due {
		dev, err := keys.ParsePubKeyHex(d.Device)
		if err != nil {
			errs = append(errs, fmt.Errorf("auction.awaitingDelivery: device %q: %w", d.Device, err))
			continue
		}
		s.devMu.RLock()
		a := s.byDev[dev]
		s.devMu.RUnlock()
		if a == nil || !a.dueForDelivery(d.Auction) {
			continue // not ours, or submitted recently: wait for a block
		}
		winnerKey, err := keys.ParsePubKeyHex(d.WinnerKey)
		if err != nil {
			errs = append(errs, fmt.Errorf("auction.awaitingDelivery: winner key %q: %w", d.WinnerKey, err))
			continue
		}
		cands = append(cands, candidate{a, d, winnerKey})
	}
	// Each access key is on disk (written and synced) before its delivery
	// is built: those writes go on in parallel, as the devices are
	// independent.
	prepared := make([]delivery, len(cands))
	prepErrs := make([]error, len(cands))
	var wg sync.WaitGroup
	sem := make(chan struct{}, keySavers)
	for i, c := range cands {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			build, resubmit, err := c.agent.prepareDelivery(c.d.Auction, c.d.Winner, c.winnerKey, s.cfg.DeliveryFee)
			if err != nil {
				prepErrs[i] = fmt.Errorf("device %s, auction %s: %w", c.agent.DeviceHex(), c.d.Auction, err)
				return
			}
			prepared[i] = delivery{c.agent, c.d, resubmit, &batchSubmission{sender: c.agent.auction, build: build}}
		}()
	}
	wg.Wait()
	var ds []delivery
	var items []*batchSubmission
	for i := range prepared {
		if prepErrs[i] != nil {
			errs = append(errs, prepErrs[i])
			continue
		}
		ds, items = append(ds, prepared[i]), append(items, prepared[i].sub)
	}
	if len(items) == 0 {
		return nil, errors.Join(errs...)
	}
	keysSaved := time.Now()
	if !s.perItemSubmit.Load() {
		if err := submitBatchE(ctx, s.cfg.Client, items); methodMissing(err) {
			s.log.Info("the node has no tx.submitBatch: submitting deliveries one by one")
			s.perItemSubmit.Store(true)
		}
	}
	if s.perItemSubmit.Load() {
		for _, x := range ds {
			x.sub.ID, x.sub.Err = x.agent.auction.SubmitE(ctx, x.sub.build)
		}
	}
	s.log.Debug("delivery round submitted", "deliveries", len(items),
		"keys_saved_ms", keysSaved.Sub(began).Milliseconds(), "submitted_ms", time.Since(keysSaved).Milliseconds())
	var done []wire.Hash
	for _, x := range ds {
		sent, err := x.agent.submitted(x.d.Auction, x.d.Winner, x.d.Price, x.resubmit, x.sub.Err)
		if err != nil {
			errs = append(errs, fmt.Errorf("device %s, auction %s: %w", x.agent.DeviceHex(), x.d.Auction, err))
		}
		if sent {
			done = append(done, x.d.Auction)
		}
	}
	return done, errors.Join(errs...)
}

func (s *Simulator) startWatcher() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWatch, s.watchDone = cancel, make(chan struct{})
	go func() {
		defer close(s.watchDone)
		s.watch(ctx)
	}()
}

func (s *Simulator) stopWatcher() {
	if s.stopWatch != nil {
		s.stopWatch()
		<-s.watchDone
	}
}

// watch starts a delivery round at every new auction-chain head until ctx
// ends: at each newHeads event when cfg.Heads is set (heads queued while a
// round starts are taken together), and whenever a poll of chain.info
// every AuctionPoll finds a head no event announced (the backstop, and
// the only way without cfg.Heads). A round asks which auctions await
// delivery and starts their deliveries without waiting for them, so one
// slow delivery never holds up the next head's round; deliveries in
// flight are not started twice.
func (s *Simulator) watch(ctx context.Context) {
	var deliveries sync.WaitGroup
	defer deliveries.Wait()
	sem := make(chan struct{}, deliveryRounds)
	var heads <-chan apitypes.Header
	if s.cfg.Heads != nil {
		ch, stop, err := apiclient.SubscribeHeads(ctx, s.cfg.Heads, "auction")
		if err != nil {
			s.log.Warn("auction watcher: no newHeads subscription, polling", "err", err)
		} else {
			defer stop()
			heads = ch
		}
	}
	t := time.NewTicker(s.cfg.AuctionPoll)
	defer t.Stop()
	var lastHead wire.Hash
	round := func() {
		if err := s.startDeliveries(ctx, sem, &deliveries); err != nil && ctx.Err() == nil {
			s.log.Warn("key delivery", "err", err)
		}
	}
	poll := func() {
		info, err := apiOf(s.cfg.Client).ChainInfo(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			s.log.Warn("auction watcher: chain.info failed", "err", err)
		case info.Auction.Hash != lastHead:
			lastHead = info.Auction.Hash
			s.seeTip(info.Auction.Height)
			round()
		}
	}
	poll()
	for {
		select {
		case <-ctx.Done():
			return
		case h, ok := <-heads:
			if !ok {
				heads = nil // the subscription ended: poll only
				continue
			}
			for more := true; more; {
				select {
				case n, ok := <-heads:
					if ok {
						h = n
					} else {
						heads, more = nil, false
					}
				default:
					more = false
				}
			}
			if h.Hash != lastHead {
				lastHead = h.Hash
				s.seeTip(h.Height)
				round()
			}
		case <-t.C:
			poll()
		}
	}
}

// seeTip records the newest auction-chain height seen (a reorg may lower
// it).
func (s *Simulator) seeTip(h uint64) { s.tip.Store(h) }

// LateDrops counts the deliveries the watcher dropped unsent because
// their deadline passed while their round waited for a slot (the node was
// too slow for every device's delivery).
func (s *Simulator) LateDrops() int64 { return s.lateDrops.Load() }

// startDeliveries is one watcher round: one auction.awaitingDelivery call
// per apitypes.MaxDevicesPerCall agents, then the due deliveries not
// already in flight submitted together (deliverAll) on one goroutine
// tracked by wg, once it holds one of sem's slots; a delivery whose
// deadline passed while it waited for the slot is dropped unsent
// (LateDrops). Against a node without auction.awaitingDelivery it runs
// the per-agent DeliverKeys round instead, synchronously.
func (s *Simulator) startDeliveries(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) error {
	if s.perAgentDelivery.Load() {
		_, err := s.DeliverKeys(ctx)
		return err
	}
	for start := 0; start < len(s.agents); start += apitypes.MaxDevicesPerCall {
		chunk := s.agents[start:min(start+apitypes.MaxDevicesPerCall, len(s.agents))]
		devices := deviceKeys(chunk)
		due, err := apiOf(s.cfg.Client).AwaitingDelivery(ctx, devices)
		if methodMissing(err) {
			s.log.Info("the node has no auction.awaitingDelivery: asking per device")
			s.perAgentDelivery.Store(true)
			_, err := s.DeliverKeys(ctx)
			return err
		}
		if err != nil {
			return err
		}
		var fresh []apitypes.AwaitingDelivery
		s.inflightMu.Lock()
		if s.inflight == nil {
			s.inflight = map[wire.Hash]bool{}
		}
		for _, d := range due {
			if !s.inflight[d.Auction] {
				s.inflight[d.Auction] = true
				fresh = append(fresh, d)
			}
		}
		s.inflightMu.Unlock()
		if len(fresh) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				s.inflightMu.Lock()
				for _, d := range fresh {
					delete(s.inflight, d.Auction)
				}
				s.inflightMu.Unlock()
			}()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			inTime := fresh[:0:0]
			for _, d := range fresh {
				if s.tip.Load()+1 > d.DeliveryDeadline {
					s.lateDrops.Add(1) // too late now: the chain refunds the winner
					continue
				}
				inTime = append(inTime, d)
			}
			if _, err := s.deliverAll(ctx, inTime); err != nil && ctx.Err() == nil {
				s.log.Warn("key delivery", "err", err)
			}
		}()
	}
	return nil
}
