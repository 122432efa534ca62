package devicesim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/thingchain/thingchain/api/apitypes"
	"log/slog"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry/registrytx"
)

// BootstrapConfig tunes Bootstrap. The zero value bootstraps every kind
// and waits for miners to confirm.
type BootstrapConfig struct {
	Kinds        []*Kind                     // default: all kinds
	Generate     func(context.Context) error // regtest without a miner: ask for a block while waiting (AdminGenerate)
	PollInterval time.Duration               // default 250 ms
	Logger       *slog.Logger                // default: discard
	// oems, when set, are the Senders of the kinds' dev OEM keys, shared
	// with a Simulator so its attestations continue the same nonce
	// sequence.
	oems map[string]*Sender
}

func (c *BootstrapConfig) defaults() {
	if len(c.Kinds) == 0 {
		c.Kinds = Kinds()
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// ErrNoDevKeys: the network has no well-known dev authority or OEM keys
// (main, or a network with its own authorities), so the simulator cannot
// admit OEMs by itself.
var ErrNoDevKeys = errors.New("this network's authorities are not the well-known dev keys (registrytx.DevAuthorityKeys): admit the simulator's OEMs by governance first")

// DevOEM returns the well-known dev OEM key of a kind on net.
func DevOEM(net *consensus.Params, kind string) (*keys.PrivateKey, error) {
	k, ok := registrytx.DevOEMKey(net, kind)
	if !ok {
		return nil, fmt.Errorf("no dev OEM key for %s on network %q: %w", kind, net.Name, ErrNoDevKeys)
	}
	return k, nil
}

// admitProposal is the deterministic proposal admitting a dev OEM: two
// simulators racing build byte-identical transactions (RFC 6979
// signatures), so the node keeps one and answers the other
// ErrAlreadyKnown. After a revocation, the revoked height makes the
// proposal nonce fresh.
func admitProposal(oem keys.PubKey, kind string, revokedHeight uint64) registrytx.Proposal {
	h := sha256.New()
	h.Write([]byte("devicesim admit-oem"))
	h.Write(oem[:])
	binary.Write(h, binary.LittleEndian, revokedHeight)
	return registrytx.Proposal{
		Action: registrytx.AdmitOEM, Subject: oem,
		Name:          "devicesim dev OEM: " + kind,
		ProposalNonce: binary.LittleEndian.Uint64(h.Sum(nil)),
	}
}

// Bootstrap makes sure that on a test or regtest network each kind's dev
// OEM (registrytx.DevOEMKey) is admitted — a governance transaction approved
// by the first AuthorityThreshold dev authorities — and has published the
// kind's model, then waits until both are in the chain. It is idempotent:
// it asks the node first and skips what is done, and it tolerates another
// simulator doing the same at the same time.
func Bootstrap(ctx context.Context, client Caller, net *consensus.Params, cfg BootstrapConfig) error {
	cfg.defaults()
	if cfg.oems == nil {
		cfg.oems = map[string]*Sender{}
	}
	w := waiter{interval: cfg.PollInterval, generate: cfg.Generate, onGenErr: func(err error) { cfg.Logger.Warn("asking the node for a block failed", "err", err) }}
	type pendingKind struct {
		kind *Kind
		oem  *keys.PrivateKey
	}
	var todo []pendingKind
	for _, k := range cfg.Kinds {
		oemKey, err := DevOEM(net, k.Name)
		if err != nil {
			return err
		}
		sender := cfg.oems[k.Name]
		if sender == nil {
			sender = NewSender(client, oemKey)
			cfg.oems[k.Name] = sender
		}
		admitted, model, err := bootstrapState(ctx, client, oemKey.PubKey(), k)
		if err != nil {
			return err
		}
		if !admitted {
			if err := submitAdmission(ctx, client, net, sender, k); err != nil {
				return err
			}
			cfg.Logger.Info("admitting dev OEM", "kind", k.Name, "oem", oemKey.PubKey(), "approvals", net.AuthorityThreshold)
		}
		if model == nil {
			// Valid even while the admission is pending: the node applies
			// the OEM's pending run in nonce order.
			_, err := sender.Submit(ctx, func(n uint64) *wire.Tx {
				return registrytx.NewPublishModelTx(net.Metadata.ChainID, oemKey, n, k.Model)
			})
			switch {
			case hasKind(err, kindModelExists):
				cfg.Logger.Debug("model published meanwhile", "model", k.Model.ModelID)
			case err != nil:
				return fmt.Errorf("publishing model %s: %w", k.Model.ModelID, err)
			default:
				cfg.Logger.Info("publishing model", "kind", k.Name, "model", k.Model.ModelID)
			}
		}
		if !admitted || model == nil {
			todo = append(todo, pendingKind{k, oemKey})
		}
	}
	for _, p := range todo {
		err := w.until(ctx, "OEM admission and model "+p.kind.Model.ModelID, func(ctx context.Context) (bool, error) {
			admitted, model, err := bootstrapState(ctx, client, p.oem.PubKey(), p.kind)
			return admitted && model != nil, err
		})
		if err != nil {
			return fmt.Errorf("%w (is a node mining the metadata chain? on regtest, pass Generate or run a node with --mine)", err)
		}
		cfg.Logger.Info("kind ready", "kind", p.kind.Name, "model", p.kind.Model.ModelID, "oem", p.oem.PubKey())
	}
	return nil
}

// bootstrapState reads whether the kind's OEM is admitted and its model
// published; a model published by some other OEM is an error, since the
// dev OEM could not attest devices of it.
func bootstrapState(ctx context.Context, client Caller, oem keys.PubKey, k *Kind) (admitted bool, model *apitypes.Model, err error) {
	m, err := GetOEM(ctx, client, oem)
	if err != nil {
		return false, nil, fmt.Errorf("registry.oem: %w", err)
	}
	model, err = GetModel(ctx, client, k.Model.ModelID)
	if err != nil {
		return false, nil, fmt.Errorf("registry.model: %w", err)
	}
	if model != nil && model.OEM != oem.String() {
		return false, nil, fmt.Errorf("model %s is published by OEM %s, not by the %s dev OEM %s", model.ID, model.OEM, k.Name, oem)
	}
	return m != nil && !m.Revoked, model, nil
}

func submitAdmission(ctx context.Context, client Caller, net *consensus.Params, oem *Sender, k *Kind) error {
	authorities, ok := registrytx.DevAuthorityKeys(net)
	if !ok {
		return ErrNoDevKeys
	}
	threshold := net.AuthorityThreshold
	if threshold < 1 || threshold > len(authorities) {
		return fmt.Errorf("network %q: authority threshold %d of %d keys cannot be met", net.Name, threshold, len(authorities))
	}
	m, err := GetOEM(ctx, client, oem.Key.PubKey())
	if err != nil {
		return err
	}
	var revoked uint64
	if m != nil {
		revoked = m.RevokedHeight
	}
	p := admitProposal(oem.Key.PubKey(), k.Name, revoked)
	idx := make([]uint8, threshold)
	for i := range idx {
		idx[i] = uint8(i)
	}
	// The OEM key submits its own admission: it is the key whose nonce
	// sequence the model and the attestations continue.
	_, err = oem.Submit(ctx, func(n uint64) *wire.Tx {
		return registrytx.NewApprovedGovernanceTx(net.Metadata.ChainID, oem.Key, n, p, authorities, idx)
	})
	if hasKind(err, kindAlreadyAdmited, kindProposalReused) {
		return nil // another simulator got there first
	}
	if err != nil {
		return fmt.Errorf("admitting the %s dev OEM: %w", k.Name, err)
	}
	return nil
}
