package devicesim

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/thingchain/thingchain/api/apitypes"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry/registrytx"
)

// Agent is one simulated device: its device key (attested by its kind's
// OEM), its owner's key (who signs the enable), its data and its HTTP
// endpoint. It keeps the node client and the device key, which is what a
// later auction watcher needs to deliver access keys (issue 6).
type Agent struct {
	Kind      *Kind
	DeviceKey *keys.PrivateKey
	OwnerKey  *keys.PrivateKey
	Region    string
	Seed      uint64
	Terms     registrytx.Terms
	Net       *consensus.Params
	Client    Caller
	// Access guards the data endpoints; nil means DenyAll.
	Access AccessChecker
	// Now is the agent's clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger

	path   string // key file, "" when not persisted
	device *Sender
	owner  *Sender
	// auction sends the device key's auction-chain transactions (key
	// deliveries); accessKeys are the keys it generated (delivery.go).
	auction    *Sender
	accessKeys *keyStore
	sent       map[wire.Hash]time.Time // deliveries submitted by this process

	mu      sync.Mutex
	baseURL string
	srv     *http.Server
	port    int // last listening port, persisted to be reused
	// customTerms: Terms were set by the owner and are persisted.
	customTerms bool
}

// agentFile is an agent's persisted identity. It holds private keys:
// written 0600.
type agentFile struct {
	Network   string `json:"network"`
	Kind      string `json:"kind"`
	DeviceKey string `json:"device_key"` // hex private key
	OwnerKey  string `json:"owner_key"`  // hex private key
	Region    string `json:"region"`
	Seed      uint64 `json:"seed"`
	Port      int    `json:"port,omitempty"` // last HTTP port, tried first on restart
	// Terms the owner set (SetTerms); nil: the kind's defaults.
	Terms *registrytx.Terms `json:"terms,omitempty"`
}

// NewAgent creates an agent with fresh keys, a random region and seed.
// It is not persisted; see LoadOrCreateAgent.
func NewAgent(kind *Kind, net *consensus.Params, client Caller) (*Agent, error) {
	dev, err := keys.GenerateKey()
	if err != nil {
		return nil, err
	}
	owner, err := keys.GenerateKey()
	if err != nil {
		return nil, err
	}
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return nil, err
	}
	seed := binary.LittleEndian.Uint64(b[:])
	a := &Agent{Kind: kind, DeviceKey: dev, OwnerKey: owner, Region: regions[seed%uint64(len(regions))], Seed: seed}
	a.init(net, client)
	return a, nil
}

func (a *Agent) init(net *consensus.Params, client Caller) {
	a.Net, a.Client = net, client
	a.Terms = a.Kind.TermsFor(net)
	a.device = NewSender(client, a.DeviceKey)
	a.owner = NewSender(client, a.OwnerKey)
	a.auction = NewAuctionSender(client, a.DeviceKey)
	a.accessKeys = &keyStore{}
	if a.Logger == nil {
		a.Logger = slog.New(slog.DiscardHandler)
	}
}

// LoadOrCreateAgent reads the agent persisted at path, or creates one
// and writes it there, so a restarted simulator reuses its devices.
func LoadOrCreateAgent(path string, kind *Kind, net *consensus.Params, client Caller) (*Agent, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		a, err := NewAgent(kind, net, client)
		if err != nil {
			return nil, err
		}
		a.path = path
		a.accessKeys.path = keysPath(path)
		return a, a.save()
	}
	if err != nil {
		return nil, err
	}
	var f agentFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("agent file %s: %w", path, err)
	}
	if f.Kind != kind.Name {
		return nil, fmt.Errorf("agent file %s is a %s, not a %s", path, f.Kind, kind.Name)
	}
	if f.Network != net.Name {
		return nil, fmt.Errorf("agent file %s belongs to network %q, not %q: use another --dir", path, f.Network, net.Name)
	}
	dev, err := parsePrivHex(f.DeviceKey)
	if err != nil {
		return nil, fmt.Errorf("agent file %s: device key: %w", path, err)
	}
	owner, err := parsePrivHex(f.OwnerKey)
	if err != nil {
		return nil, fmt.Errorf("agent file %s: owner key: %w", path, err)
	}
	a := &Agent{Kind: kind, DeviceKey: dev, OwnerKey: owner, Region: f.Region, Seed: f.Seed, path: path, port: f.Port}
	a.init(net, client)
	if err := a.accessKeys.load(keysPath(path)); err != nil {
		return nil, err
	}
	if f.Terms != nil {
		a.Terms = *f.Terms
		a.customTerms = true
	}
	return a, nil
}

func parsePrivHex(s string) (*keys.PrivateKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return keys.PrivateKeyFromBytes(b)
}

func (a *Agent) save() error {
	if a.path == "" {
		return nil
	}
	a.mu.Lock()
	f := agentFile{
		Network: a.Net.Name, Kind: a.Kind.Name,
		DeviceKey: hex.EncodeToString(a.DeviceKey.Bytes()), OwnerKey: hex.EncodeToString(a.OwnerKey.Bytes()),
		Region: a.Region, Seed: a.Seed, Port: a.port,
	}
	if a.customTerms {
		t := a.Terms
		f.Terms = &t
	}
	a.mu.Unlock()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(a.path), 0o700); err != nil {
		return err
	}
	tmp := a.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, a.path)
}

// DeviceHex is the device public key in hex, as records and URLs show it.
func (a *Agent) DeviceHex() string { return a.DeviceKey.PubKey().String() }

// OwnerAddress is the owner's address, as the record shows it.
func (a *Agent) OwnerAddress() string { return a.OwnerKey.PubKey().Address().Encode(a.Net.AddressHRP) }

func (a *Agent) env() Env { return Env{Seed: a.Seed, Region: a.Region} }

func (a *Agent) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Agent) access() AccessChecker {
	if a.Access != nil {
		return a.Access
	}
	return DenyAll{}
}

// BaseURL is the endpoint's base URL once Listen has run ("" before).
func (a *Agent) BaseURL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.baseURL
}

// TDURL and DataURL are the public TD's and the data series' URLs.
func (a *Agent) TDURL() string   { return a.BaseURL() + tdPath(a.DeviceHex()) }
func (a *Agent) DataURL() string { return a.BaseURL() + dataPath(a.DeviceHex()) }

// Listen starts the HTTP endpoint on host (e.g. "127.0.0.1"), on the port
// used last time when it is free, else on a random one.
func (a *Agent) Listen(host string) error {
	a.mu.Lock()
	if a.srv != nil {
		a.mu.Unlock()
		return errors.New("agent already listening")
	}
	prev := a.port
	a.mu.Unlock()
	var ln net.Listener
	var err error
	if prev != 0 {
		ln, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(prev)))
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			return fmt.Errorf("device %s: listen: %w", a.DeviceHex(), err)
		}
	}
	port := ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	a.mu.Lock()
	a.srv, a.port = srv, port
	a.baseURL = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	a.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("device endpoint stopped", "device", a.DeviceHex(), "err", err)
		}
	}()
	if port != prev {
		return a.save()
	}
	return nil
}

// Close shuts the HTTP endpoint down, waiting for requests in flight
// until ctx ends.
func (a *Agent) Close(ctx context.Context) error {
	a.mu.Lock()
	srv := a.srv
	a.srv = nil
	a.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// ThingDescription is the agent's TD for its current endpoint.
func (a *Agent) ThingDescription() []byte {
	base := a.BaseURL()
	if base == "" {
		base = "http://127.0.0.1:0" // not listening yet; Listen before checking in
	}
	return a.Kind.ThingDescription(a.DeviceHex(), base)
}

// Metadata is the agent's metadata object (matching its model's schema).
func (a *Agent) Metadata() []byte { return a.Kind.Metadata(a.Seed) }

// CheckInRequest is what the device proposes to its owner: region, terms,
// TD and metadata.
func (a *Agent) CheckInRequest() registrytx.CheckInRequest {
	return registrytx.CheckInRequest{Region: a.Region, Terms: a.CurrentTerms(), ThingDescription: a.ThingDescription(), Metadata: a.Metadata()}
}

// Attest submits the OEM's attestation of this device. ErrDeviceExists
// (attested meanwhile) is not an error.
func (a *Agent) Attest(ctx context.Context, oem *Sender) (wire.Hash, error) {
	id, err := oem.Submit(ctx, func(n uint64) *wire.Tx {
		return registrytx.NewAttestTx(a.Net.Metadata.ChainID, oem.Key, n, a.DeviceKey.PubKey(), a.Kind.Model.ModelID)
	})
	if hasKind(err, kindDeviceExists) {
		return wire.Hash{}, nil
	}
	return id, err
}

// CheckIn submits the device's check-in (enable) with its owner's
// signature. The owner signs at the device's nonce, so a nonce conflict
// rebuilds both signatures.
func (a *Agent) CheckIn(ctx context.Context) (wire.Hash, error) {
	if a.BaseURL() == "" {
		return wire.Hash{}, errors.New("check-in before Listen: the Thing Description would point nowhere")
	}
	req := a.CheckInRequest()
	return a.device.Submit(ctx, func(n uint64) *wire.Tx {
		return registrytx.NewSignedCheckInTx(a.Net.Metadata.ChainID, a.DeviceKey, n, a.OwnerKey, req)
	})
}

// SetTerms submits the owner's change of terms; the agent's Terms follow
// once it is submitted and are persisted, so a restarted simulator does
// not check in with the defaults again.
func (a *Agent) SetTerms(ctx context.Context, t registrytx.Terms) (wire.Hash, error) {
	if err := t.Check(); err != nil {
		return wire.Hash{}, err
	}
	id, err := a.owner.Submit(ctx, func(n uint64) *wire.Tx {
		return registrytx.NewSetTermsTx(a.Net.Metadata.ChainID, a.OwnerKey, n, a.DeviceKey.PubKey(), t)
	})
	if err != nil {
		return id, err
	}
	a.mu.Lock()
	a.Terms, a.customTerms = t, true
	a.mu.Unlock()
	return id, a.save()
}

// CurrentTerms are the terms the agent checks in with (safe while
// SetTerms runs).
func (a *Agent) CurrentTerms() registrytx.Terms {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Terms
}

// Record reads the device's record from the node (nil if not attested).
func (a *Agent) Record(ctx context.Context) (*apitypes.Device, error) {
	return GetDevice(ctx, a.Client, a.DeviceKey.PubKey())
}

// InSync reports whether rec is this agent's current check-in: enabled,
// by its owner, with its TD, metadata, region and terms.
func (a *Agent) InSync(rec *apitypes.Device) bool {
	return rec != nil && rec.Enabled && rec.Owner == a.OwnerAddress() && rec.Region == a.Region &&
		registrytx.Terms(rec.Terms) == a.CurrentTerms() && bytes.Equal(rec.TD, a.ThingDescription()) && bytes.Equal(rec.Metadata, a.Metadata())
}
