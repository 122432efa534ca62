package devicesim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Config configures a Simulator.
type Config struct {
	Client  Caller
	Net     *consensus.Params // nil: ask the node (chain.info)
	Dir     string            // where agents' keys are kept ("" = in memory only)
	Devices int               // number of agents
	Kinds   []*Kind           // assigned round-robin; default all kinds
	// Access guards every agent's data endpoint; nil means a ChainAccess
	// (access keys delivered to auction winners) on Client.
	Access AccessChecker
	// AuctionPoll is how often the auction watcher looks for a new
	// auction-chain head and then delivers keys for paid auctions
	// (default 2 s; negative: no watcher, call DeliverKeys yourself).
	AuctionPoll time.Duration
	// Heads, when set (a WebSocket client of the same node), makes the
	// auction watcher start a delivery round at each newHeads event
	// rather than at the next poll; AuctionPoll stays the backstop.
	Heads apiclient.Subscriber
	// DeliveryFee is the fee of each key delivery (0: DefaultDeliveryFee).
	DeliveryFee uint64
	// NoFunding skips asking the test faucet for the devices' fee money.
	NoFunding bool
	// ListenHost is where agents' endpoints listen (default 127.0.0.1).
	ListenHost string
	// Generate, when set, is called between polls while waiting for
	// transactions to confirm: on regtest without a mining node it asks
	// for a block (AdminGenerate).
	Generate       func(context.Context) error
	PollInterval   time.Duration // default 250 ms
	ConfirmTimeout time.Duration // per waiting stage; default 2 minutes
	Logger         *slog.Logger  // default: discard
	Now            func() time.Time
}

// Simulator runs a set of agents: it bootstraps their kinds, attests and
// checks them in, and serves their data until Close.
type Simulator struct {
	cfg    Config
	net    *consensus.Params
	log    *slog.Logger
	agents []*Agent
	oems   map[string]*Sender
	devMu  sync.RWMutex
	byDev  map[keys.PubKey]*Agent // agents by device key (ChainAccess.LocalKey)

	// perAgentDelivery: the node lacks auction.awaitingDelivery, so
	// delivery rounds ask per agent (auction.ofDevice).
	perAgentDelivery atomic.Bool
	// perAgentRecords: the node lacks registry.devicesByKey.
	perAgentRecords atomic.Bool
	// perItemSubmit: the node lacks tx.submitBatch, so deliveries go
	// out one tx.submit each.
	perItemSubmit atomic.Bool
	checkInTook   time.Duration

	stopWatch context.CancelFunc
	watchDone chan struct{}
	// The watcher's deliveries in flight (by auction), started by one
	// head's round and still running when the next head arrives.
	inflightMu sync.Mutex
	inflight   map[wire.Hash]bool
	// tip is the newest auction-chain height the watcher saw: a delivery
	// whose deadline it passed while waiting for a round slot is dropped
	// unsent (the chain refunds the winner), so a backlog never crowds
	// out deliveries still in time.
	tip       atomic.Uint64
	lateDrops atomic.Int64

	closeOnce sync.Once
}

// New validates cfg; Start does the work.
func New(cfg Config) (*Simulator, error) {
	if cfg.Client == nil {
		return nil, errors.New("devicesim: Config.Client is required")
	}
	if cfg.Devices < 0 || cfg.Devices > 100000 {
		return nil, fmt.Errorf("devicesim: %d devices: use 0 to 100000", cfg.Devices)
	}
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = Kinds()
	}
	if cfg.ListenHost == "" {
		cfg.ListenHost = "127.0.0.1"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AuctionPoll == 0 {
		cfg.AuctionPoll = 2 * time.Second
	}
	if cfg.DeliveryFee == 0 {
		cfg.DeliveryFee = DefaultDeliveryFee
	}
	s := &Simulator{cfg: cfg, log: cfg.Logger, oems: map[string]*Sender{}, byDev: map[keys.PubKey]*Agent{}}
	if s.cfg.Access == nil {
		s.cfg.Access = &ChainAccess{Client: cfg.Client, LocalKey: s.localKey, Now: cfg.Now}
	}
	return s, nil
}

// CheckInTook is how long Start took from the first bootstrap step until
// every agent was checked in (funding and the watcher not included).
func (s *Simulator) CheckInTook() time.Duration { return s.checkInTook }

// Agents returns the running agents, in slot order.
func (s *Simulator) Agents() []*Agent { return s.agents }

// Network is the network the simulator joined (nil before Start).
func (s *Simulator) Network() *consensus.Params { return s.net }

func (s *Simulator) waiter() waiter {
	return waiter{interval: s.cfg.PollInterval, generate: s.cfg.Generate, onGenErr: func(err error) {
		s.log.Warn("asking the node for a block failed; waiting for miners", "err", err)
	}}
}

// agentPath is where slot i's keys live: per kind, numbered within the
// kind, so changing --devices keeps the existing devices.
func (s *Simulator) agentPath(kind *Kind, n int) string {
	if s.cfg.Dir == "" {
		return ""
	}
	return filepath.Join(s.cfg.Dir, fmt.Sprintf("%s-%03d.json", kind.Name, n))
}

// Start bootstraps the kinds, creates (or reloads) the agents and starts
// their endpoints, attests the new ones, checks in every agent whose
// record differs from what it would publish, and waits until all are
// enabled. It returns once every device is checked in; the endpoints keep
// serving until Close. On error the agents started so far keep running:
// call Close.
func (s *Simulator) Start(ctx context.Context) error {
	if s.net = s.cfg.Net; s.net == nil {
		net, err := NodeNetwork(ctx, s.cfg.Client)
		if err != nil {
			return err
		}
		s.net = net
	}
	start := time.Now()
	s.log.Info("bootstrapping device kinds", "network", s.net.Name, "kinds", len(s.cfg.Kinds))
	bctx, cancel := context.WithTimeout(ctx, s.cfg.ConfirmTimeout)
	err := Bootstrap(bctx, s.cfg.Client, s.net, BootstrapConfig{
		Kinds: s.cfg.Kinds, Generate: s.cfg.Generate, PollInterval: s.cfg.PollInterval, Logger: s.log, oems: s.oems,
	})
	cancel()
	if err != nil {
		return err
	}
	if err := s.startAgents(); err != nil {
		return err
	}
	if err := s.attestAll(ctx); err != nil {
		return err
	}
	if err := s.checkInAll(ctx); err != nil {
		return err
	}
	s.checkInTook = time.Since(start)
	s.log.Info("all devices checked in", "devices", len(s.agents), "took", s.checkInTook.Round(time.Millisecond))
	if !s.cfg.NoFunding {
		s.fundAll(ctx)
	}
	if s.cfg.AuctionPoll > 0 {
		s.startWatcher()
	}
	return nil
}

func (s *Simulator) startAgents() error {
	perKind := map[string]int{}
	for i := range s.cfg.Devices {
		kind := s.cfg.Kinds[i%len(s.cfg.Kinds)]
		n := perKind[kind.Name]
		perKind[kind.Name]++
		var a *Agent
		var err error
		if p := s.agentPath(kind, n); p != "" {
			a, err = LoadOrCreateAgent(p, kind, s.net, s.cfg.Client)
		} else {
			a, err = NewAgent(kind, s.net, s.cfg.Client)
		}
		if err != nil {
			return err
		}
		a.Access, a.Now = s.cfg.Access, s.cfg.Now
		a.Logger = s.log
		s.devMu.Lock()
		s.byDev[a.DeviceKey.PubKey()] = a
		s.devMu.Unlock()
		if err := a.Listen(s.cfg.ListenHost); err != nil {
			return err
		}
		s.agents = append(s.agents, a)
	}
	s.log.Info("device endpoints listening", "devices", len(s.agents))
	return nil
}

// attestAll has the OEMs attest every agent not attested yet, then waits
// until all are.
func (s *Simulator) attestAll(ctx context.Context) error {
	var todo []*Agent
	recs, err := s.records(ctx, s.agents)
	if err != nil {
		return err
	}
	for i, a := range s.agents {
		if rec := recs[i]; rec != nil {
			if rec.Model != a.Kind.Model.ModelID {
				return fmt.Errorf("device %s is attested as model %s, not %s", a.DeviceHex(), rec.Model, a.Kind.Model.ModelID)
			}
			continue
		}
		todo = append(todo, a)
	}
	for _, a := range todo {
		if _, err := a.Attest(ctx, s.oems[a.Kind.Name]); err != nil {
			return fmt.Errorf("attesting device %s (%s): %w", a.DeviceHex(), a.Kind.Name, err)
		}
	}
	if len(todo) > 0 {
		s.log.Info("attestations submitted", "devices", len(todo))
	}
	return s.waitAll(ctx, "attestations", todo, func(a *Agent, rec *apitypes.Device) bool {
		return rec != nil
	}, func(ctx context.Context, a *Agent) (wire.Hash, error) {
		oem := s.oems[a.Kind.Name]
		oem.Reset() // a dropped transaction leaves the local sequence ahead
		return a.Attest(ctx, oem)
	})
}

// checkInAll checks in every agent whose record is not its current
// check-in and waits until all are.
func (s *Simulator) checkInAll(ctx context.Context) error {
	var todo []*Agent
	recs, err := s.records(ctx, s.agents)
	if err != nil {
		return err
	}
	for i, a := range s.agents {
		if !a.InSync(recs[i]) {
			todo = append(todo, a)
		}
	}
	for _, a := range todo {
		if _, err := a.CheckIn(ctx); err != nil {
			return fmt.Errorf("checking in device %s (%s): %w", a.DeviceHex(), a.Kind.Name, err)
		}
	}
	if len(todo) > 0 {
		s.log.Info("check-ins submitted", "devices", len(todo))
	}
	return s.waitAll(ctx, "check-ins", todo, func(a *Agent, rec *apitypes.Device) bool {
		return a.InSync(rec)
	}, func(ctx context.Context, a *Agent) (wire.Hash, error) {
		a.device.Reset()
		return a.CheckIn(ctx)
	})
}

// resubmitAfter is how many polls a device may stay unconfirmed before
// its transaction is resubmitted (a miner may have dropped it, e.g. after
// a reorganisation or a race with another simulator).
const resubmitAfter = 40

// records reads the agents' device records (nil where not attested), one
// registry.devicesByKey call per api.MaxDevicesPerCall agents; against a
// node without that method, one registry.device call per agent.
func (s *Simulator) records(ctx context.Context, agents []*Agent) ([]*apitypes.Device, error) {
	out := make([]*apitypes.Device, 0, len(agents))
	for start := 0; start < len(agents); start += apitypes.MaxDevicesPerCall {
		chunk := agents[start:min(start+apitypes.MaxDevicesPerCall, len(agents))]
		if !s.perAgentRecords.Load() {
			devices := deviceKeys(chunk)
			recs, err := apiOf(s.cfg.Client).DevicesByKey(ctx, devices)
			if err == nil && len(recs) != len(chunk) {
				err = fmt.Errorf("registry.devicesByKey answered %d records for %d devices", len(recs), len(chunk))
			}
			if err == nil {
				out = append(out, recs...)
				continue
			}
			if !methodMissing(err) {
				return nil, fmt.Errorf("registry.devicesByKey: %w", err)
			}
			s.perAgentRecords.Store(true) // an older node: ask per device
		}
		for _, a := range chunk {
			rec, err := a.Record(ctx)
			if err != nil {
				return nil, fmt.Errorf("registry.device: %w", err)
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// waitAll polls until done holds for every agent, within ConfirmTimeout,
// logging progress and resubmitting for agents that stall. Records are
// read in batches (records) and only when the metadata chain has a new
// tip, so waiting costs one chain.info call per poll, not one call per
// device.
func (s *Simulator) waitAll(ctx context.Context, what string, agents []*Agent, done func(*Agent, *apitypes.Device) bool, resubmit func(context.Context, *Agent) (wire.Hash, error)) error {
	if len(agents) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConfirmTimeout)
	defer cancel()
	left := append([]*Agent(nil), agents...)
	polls := 0
	lastLogged := len(left)
	var lastTip wire.Hash
	checked := false
	err := s.waiter().until(ctx, what, func(ctx context.Context) (bool, error) {
		polls++
		info, err := apiOf(s.cfg.Client).ChainInfo(ctx)
		if err != nil {
			return false, err
		}
		if checked && info.Metadata.Hash == lastTip && polls < resubmitAfter {
			return false, nil // no new metadata block: nothing can have changed
		}
		checked, lastTip = true, info.Metadata.Hash
		recs, err := s.records(ctx, left)
		if err != nil {
			return false, err
		}
		var still []*Agent
		for i, a := range left {
			if !done(a, recs[i]) {
				still = append(still, a)
			}
		}
		if len(still) < lastLogged {
			s.log.Info("confirming "+what, "confirmed", len(agents)-len(still), "of", len(agents))
			lastLogged = len(still)
			polls = 0
		}
		left = still
		if polls >= resubmitAfter && len(left) > 0 {
			polls = 0
			s.log.Warn("resubmitting stalled "+what, "devices", len(left))
			for _, a := range left {
				if _, err := resubmit(ctx, a); err != nil && !hasKind(err, kindAlreadyKnown) {
					s.log.Warn("resubmit failed", "device", a.DeviceHex(), "err", err)
				}
			}
		}
		return len(left) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("%w (%d of %d %s unconfirmed; is a node mining the metadata chain?)", err, len(left), len(agents), what)
	}
	return nil
}

// Close stops every agent's endpoint.
func (s *Simulator) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		s.stopWatcher()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, a := range s.agents {
			if err := a.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// AgentInfo describes one agent in a Summary.
type AgentInfo struct {
	Kind    string `json:"kind"`
	Model   string `json:"model"`
	Device  string `json:"device"`
	Owner   string `json:"owner"`
	Region  string `json:"region"`
	TDURL   string `json:"td_url"`
	DataURL string `json:"data_url"`
}

// Summary is what the simulator runs.
type Summary struct {
	Network string         `json:"network"`
	Devices int            `json:"devices"`
	PerKind map[string]int `json:"per_kind"`
	Agents  []AgentInfo    `json:"agents"`
}

// Summary lists the agents.
func (s *Simulator) Summary() Summary {
	sum := Summary{Devices: len(s.agents), PerKind: map[string]int{}}
	if s.net != nil {
		sum.Network = s.net.Name
	}
	for _, a := range s.agents {
		sum.PerKind[a.Kind.Name]++
		sum.Agents = append(sum.Agents, AgentInfo{
			Kind: a.Kind.Name, Model: a.Kind.Model.ModelID, Device: a.DeviceHex(), Owner: a.OwnerAddress(),
			Region: a.Region, TDURL: a.TDURL(), DataURL: a.DataURL(),
		})
	}
	return sum
}
