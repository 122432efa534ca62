package registry

import (
	"encoding/binary"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/chain/wire/payload"
	"github.com/thingchain/thingchain/consensus"
)

// Machine is the metadata chain's state machine.
//
// The zero value works but writes nothing at genesis (the genesis of the
// first release); NewMachine's genesis also commits to the authority set
// and admits the GenesisMiners, so its genesis hash differs. Governance
// rules read the authority set from BlockContext.Net either way.
type Machine struct {
	// Net, when set, makes Genesis record the authority set and genesis
	// miners.
	Net *consensus.Params
	// Sigs, when set, caches verified owner and authority signatures so
	// a check-in verified by the mempool is not verified again at block
	// import (share the chain's cache).
	Sigs *keys.SigCache

	// memo, when set (NewMachine), shares each check-in's context-free
	// checks between listing its signature, sanity and application.
	memo *checkMemo
}

var _ chain.StateMachine = Machine{}

// NewMachine returns the metadata state machine for a network. sigs may
// be nil.
func NewMachine(net *consensus.Params, sigs *keys.SigCache) Machine {
	return Machine{Net: net, Sigs: sigs, memo: newCheckMemo()}
}

// MinedKey is the state key counting blocks mined by a reward address.
func MinedKey(reward [wire.AddressSize]byte) []byte {
	return append([]byte("mined/"), reward[:]...)
}

// Genesis records the authority set and admits the genesis miners when the
// machine knows its network; the zero Machine writes nothing.
func (m Machine) Genesis(v *chain.View) error {
	if m.Net == nil {
		return nil
	}
	var w payload.Writer
	w.U32(uint32(m.Net.AuthorityThreshold))
	for _, k := range m.Net.Authorities {
		w.Raw(k[:])
	}
	v.Put(keyAuthSet, w.Bytes())
	for _, k := range m.Net.GenesisMiners {
		v.Put(keyWith(prefixMiner, k[:]), EncodeMember(&Member{Name: "genesis"}))
		if err := appendSeq(v, prefixMinerSeq, keyMinerCount, keys.PubKey(k)); err != nil {
			return err
		}
	}
	return nil
}

// CheckTxSanity runs the checks that need only the transaction: fee, type,
// canonical payload, formats, and for check-ins the Thing Description,
// the metadata's field names and the owner's signature. It does not check
// governance approvals, which need the network's authority set (ApplyTx
// does), nor anything in state.
func (m Machine) CheckTxSanity(tx *wire.Tx) error {
	if tx.Fee != 0 {
		return consensus.RuleErrorf(ErrFeeNotAllowed, "fee %d: metadata-chain transactions carry no fee", tx.Fee)
	}
	switch tx.Type {
	case TxGovernance:
		_, err := DecodeGovernance(tx.Payload)
		return err
	case TxPublishModel:
		_, err := DecodePublishModel(tx.Payload)
		return err
	case TxAttestDevice:
		_, err := DecodeAttestDevice(tx.Payload)
		return err
	case TxCheckIn:
		return m.checkCheckIn(tx)
	case TxDisable:
		_, err := DecodeDeviceRef(tx.Payload)
		return err
	case TxSetTerms:
		_, err := DecodeSetTerms(tx.Payload)
		return err
	}
	return consensus.RuleErrorf(ErrUnknownTxType, "metadata chain transaction type %d is not defined", tx.Type)
}

// checkCheckIn runs a check-in's context-free checks, owner signature
// included.
func (m Machine) checkCheckIn(tx *wire.Tx) error {
	c, err := m.checkedCheckIn(tx)
	if err != nil {
		return err
	}
	if !keys.VerifyCached(m.Sigs, c.Owner, c.EnableHash, c.OwnerSig) {
		if err := c.OwnerKeyError(); err != nil {
			return err // not a key: a payload error, as DecodeCheckIn reports it
		}
		return consensus.RuleErrorf(ErrBadOwnerSig, "owner %s did not sign this check-in of device %s", c.Owner, c.Device)
	}
	return nil
}

// checkedCheckIn returns CheckCheckIn(tx), from the memo when listing,
// sanity or the mempool has already worked it out.
func (m Machine) checkedCheckIn(tx *wire.Tx) (*CheckedCheckIn, error) {
	if c := m.memo.checkIn(tx); c != nil {
		return c, nil
	}
	c, err := CheckCheckIn(tx)
	if err != nil {
		return nil, err
	}
	m.memo.putCheckIn(tx, c)
	return c, nil
}

// instantiates is CheckInstance(c's Thing Description, model's Thing
// Model), with the model parsed once (the memo).
func (m Machine) instantiates(c *CheckedCheckIn, model *Model) error {
	tm, err := m.memo.thingModel(model.ThingModel)
	if err != nil {
		return err
	}
	return c.Instantiates(tm)
}

// ApplyTx checks the sender's nonce, then the type's state rules. The
// engine has run CheckTxSanity on every transaction of a block before it
// applies them (and the mempool before it offers them to a template), so
// signatures checked there are not checked again here.
func (m Machine) ApplyTx(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	if tx.Fee != 0 {
		return consensus.RuleErrorf(ErrFeeNotAllowed, "fee %d: metadata-chain transactions carry no fee", tx.Fee)
	}
	if ctx == nil || ctx.Net == nil {
		return consensus.AssertError("registry: ApplyTx without network parameters")
	}
	sender := keys.PubKey(tx.Sender)
	nk := NonceKey(sender)
	next, err := v.GetUint64(nk)
	if err != nil {
		return err
	}
	if err := checkNonce(tx.Nonce, next); err != nil {
		return err
	}
	v.PutUint64(nk, next+1)
	switch tx.Type {
	case TxGovernance:
		return m.applyGovernance(v, tx, ctx)
	case TxPublishModel:
		return applyPublishModel(v, tx, ctx)
	case TxAttestDevice:
		return applyAttest(v, tx, ctx)
	case TxCheckIn:
		return m.applyCheckIn(v, tx, ctx)
	case TxDisable:
		return applyDisable(v, tx, ctx)
	case TxSetTerms:
		return applySetTerms(v, tx, ctx)
	}
	return consensus.RuleErrorf(ErrUnknownTxType, "metadata chain transaction type %d is not defined", tx.Type)
}

// checkNonce enforces strict per-sender sequencing and says which way a
// wrong nonce is off.
func checkNonce(got, want uint64) error {
	switch {
	case got < want:
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d was already used (reused); the next nonce is %d", got, want)
	case got > want:
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d is in the future; the next nonce is %d", got, want)
	}
	return nil
}

// FinishBlock counts the block for its reward address.
func (Machine) FinishBlock(v *chain.View, blk *wire.Block, _ *chain.BlockContext) error {
	k := MinedKey(blk.Header.Reward)
	n, err := v.GetUint64(k)
	if err != nil {
		return err
	}
	v.PutUint64(k, n+1)
	return nil
}

// CheckApprovals verifies that a proposal carries at least the network's
// threshold of valid approvals from distinct authorities.
func CheckApprovals(net *consensus.Params, chainID uint32, g *Governance, sigs *keys.SigCache) error {
	threshold := max(net.AuthorityThreshold, 1)
	if len(g.Approvals) < threshold {
		return consensus.RuleErrorf(ErrBelowThreshold, "%d approvals, the authority threshold is %d of %d", len(g.Approvals), threshold, len(net.Authorities))
	}
	hash := g.ApprovalHash(chainID)
	prev := -1
	for _, a := range g.Approvals {
		if int(a.AuthorityIndex) <= prev {
			return consensus.RuleErrorf(ErrBadApproval, "approvals must name distinct authorities in ascending order")
		}
		prev = int(a.AuthorityIndex)
		if int(a.AuthorityIndex) >= len(net.Authorities) {
			return consensus.RuleErrorf(ErrNotAuthority, "approval by authority %d, the set has %d members", a.AuthorityIndex, len(net.Authorities))
		}
		pub := keys.PubKey(net.Authorities[a.AuthorityIndex])
		if !keys.VerifyCached(sigs, pub, hash, a.Sig) {
			return consensus.RuleErrorf(ErrBadApproval, "approval by authority %d (%s) does not verify for %s %s nonce %d",
				a.AuthorityIndex, pub, g.Action, g.Subject, g.ProposalNonce)
		}
	}
	return nil
}

func (m Machine) applyGovernance(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	g, err := DecodeGovernance(tx.Payload)
	if err != nil {
		return err
	}
	if err := CheckApprovals(ctx.Net, tx.ChainID, g, m.Sigs); err != nil {
		return err
	}
	usedKey := u64Key(prefixGovUse, g.ProposalNonce)
	if _, used, err := v.Get(usedKey); err != nil {
		return err
	} else if used {
		return consensus.RuleErrorf(ErrProposalReused, "proposal nonce %d was already executed", g.ProposalNonce)
	}
	v.Put(usedKey, binary.BigEndian.AppendUint64(nil, ctx.Height))

	prefix, role := prefixOEM, "OEM"
	if g.Action == AdmitMiner || g.Action == RevokeMiner {
		prefix, role = prefixMiner, "miner"
	}
	key := keyWith(prefix, g.Subject[:])
	member, err := getRecord(v, key, DecodeMember)
	if err != nil {
		return err
	}
	switch g.Action {
	case AdmitOEM, AdmitMiner:
		if member != nil && !member.Revoked {
			return consensus.RuleErrorf(ErrAlreadyAdmitted, "%s %s is already admitted", role, g.Subject)
		}
		if member == nil && role == "miner" {
			if err := appendSeq(v, prefixMinerSeq, keyMinerCount, g.Subject); err != nil {
				return err
			}
		}
		// Re-admission after a revocation starts a fresh membership.
		member = &Member{Name: g.Name, AdmittedHeight: ctx.Height}
	case RevokeOEM, RevokeMiner:
		notMember := ErrNotOEM
		if role == "miner" {
			notMember = ErrNotMiner
		}
		if member == nil {
			return consensus.RuleErrorf(notMember, "%s %s was never admitted", role, g.Subject)
		}
		if member.Revoked {
			if role == "miner" {
				return consensus.RuleErrorf(ErrNotMiner, "miner %s is already revoked", g.Subject)
			}
			return consensus.RuleErrorf(ErrOEMRevoked, "OEM %s is already revoked", g.Subject)
		}
		member.Revoked, member.RevokedHeight = true, ctx.Height
	}
	v.Put(key, EncodeMember(member))
	return nil
}

// requireOEM checks that key is an admitted, non-revoked OEM.
func requireOEM(v *chain.View, key keys.PubKey) error {
	oem, err := GetOEM(v, key)
	if err != nil {
		return err
	}
	if oem == nil {
		return consensus.RuleErrorf(ErrNotOEM, "%s is not an admitted OEM", key)
	}
	if oem.Revoked {
		return consensus.RuleErrorf(ErrOEMRevoked, "OEM %s (%s) was revoked at height %d", key, oem.Name, oem.RevokedHeight)
	}
	return nil
}

func applyPublishModel(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	p, err := DecodePublishModel(tx.Payload)
	if err != nil {
		return err
	}
	sender := keys.PubKey(tx.Sender)
	if err := requireOEM(v, sender); err != nil {
		return err
	}
	existing, err := GetModel(v, p.ModelID)
	if err != nil {
		return err
	}
	if existing != nil {
		if existing.OEM != sender.String() {
			return consensus.RuleErrorf(ErrModelNotOwned, "model %q belongs to OEM %s", p.ModelID, existing.OEM)
		}
		if p.Version <= existing.Version {
			return consensus.RuleErrorf(ErrModelExists, "model %q is at version %d (published at height %d): a new version must be higher", p.ModelID, existing.Version, existing.Height)
		}
		if p.Kind != existing.Kind {
			return consensus.RuleErrorf(ErrBadPayload, "model %q is of kind %q; a new version cannot change it to %q", p.ModelID, existing.Kind, p.Kind)
		}
	}
	schema := p.MetadataSchema
	if schema == nil {
		schema = []Field{}
	}
	model := &Model{ID: p.ModelID, OEM: sender.String(), Kind: p.Kind, Title: p.Title, Version: p.Version,
		MetadataSchema: schema, Height: ctx.Height, ThingModel: CompactJSON(p.ThingModel)}
	rec := EncodeModel(model)
	v.Put(keyWith(prefixModel, []byte(p.ModelID)), rec)
	v.Put(modelVersionKey(p.ModelID, p.Version), rec)
	return nil
}

func applyAttest(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	a, err := DecodeAttestDevice(tx.Payload)
	if err != nil {
		return err
	}
	sender := keys.PubKey(tx.Sender)
	if err := requireOEM(v, sender); err != nil {
		return err
	}
	model, err := GetModel(v, a.ModelID)
	if err != nil {
		return err
	}
	if model == nil {
		return consensus.RuleErrorf(ErrUnknownModel, "model %q is not published", a.ModelID)
	}
	if model.OEM != sender.String() {
		return consensus.RuleErrorf(ErrModelNotOwned, "model %q belongs to OEM %s", a.ModelID, model.OEM)
	}
	if d, err := GetDevice(v, a.DeviceKey); err != nil {
		return err
	} else if d != nil {
		return consensus.RuleErrorf(ErrDeviceExists, "device %s was attested at height %d", a.DeviceKey, d.AttestedHeight)
	}
	rec := &Device{
		Device: a.DeviceKey.String(), OEM: sender.String(), Model: model.ID, Kind: model.Kind,
		AttestedHeight: ctx.Height,
	}
	putDevice(v, rec, a.DeviceKey, ctx.Height)
	return appendSeq(v, prefixDevSeq, keyDevCount, a.DeviceKey)
}

func (m Machine) applyCheckIn(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	// The context-free checks and the owner signature passed in
	// CheckTxSanity (the engine runs it on every block transaction, the
	// mempool on every candidate); their result, with the documents
	// parsed, comes from the memo (or is worked out again on a miss).
	c, err := m.checkedCheckIn(tx)
	if err != nil {
		return err
	}
	device := c.Device
	rec, err := GetDevice(v, device)
	if err != nil {
		return err
	}
	if rec == nil {
		return consensus.RuleErrorf(ErrNotAttested, "device %s was not attested by any OEM", device)
	}
	oemKey, err := rec.OEMKey()
	if err != nil {
		return consensus.AssertError("registry: device record with bad OEM key: " + err.Error())
	}
	oem, err := GetOEM(v, oemKey)
	if err != nil {
		return err
	}
	if oem == nil || oem.Revoked {
		return consensus.RuleErrorf(ErrOEMRevoked, "device %s was attested by OEM %s, which is revoked", device, rec.OEM)
	}
	model, err := GetModel(v, rec.Model)
	if err != nil {
		return err
	}
	if model == nil {
		return consensus.AssertError("registry: device record names a missing model " + rec.Model)
	}
	// The TD must instantiate the model's latest Thing Model, or the
	// version the device was last checked in under: publishing a new
	// version does not strand devices whose firmware has not caught up.
	version := model.Version
	if err := m.instantiates(c, model); err != nil {
		prev, perr := GetModelVersion(v, rec.Model, rec.ModelVersion)
		if perr != nil {
			return perr
		}
		if rec.ModelVersion == 0 || rec.ModelVersion == model.Version || prev == nil || m.instantiates(c, prev) != nil {
			return err
		}
		model, version = prev, prev.Version
	}
	if err := c.MatchesSchema(model.MetadataSchema); err != nil {
		return err
	}
	owner := c.OwnerAddr.Encode(ctx.Net.AddressHRP)
	if rec.Enabled && rec.Owner != owner {
		return consensus.RuleErrorf(ErrNotOwner, "device %s is enabled by %s; it must be disabled before %s can enable it", device, rec.Owner, owner)
	}
	rec.Owner, rec.Enabled, rec.EnabledHeight = owner, true, ctx.Height
	rec.Region, rec.Terms, rec.ModelVersion = c.Region, c.Terms, version
	rec.TD, rec.Metadata = c.TDCompact, c.MetadataCompact
	putDevice(v, rec, device, ctx.Height)
	return nil
}

// ownedDevice loads a device whose owner must be the transaction's sender.
func ownedDevice(v *chain.View, device keys.PubKey, tx *wire.Tx, ctx *chain.BlockContext) (*Device, error) {
	rec, err := GetDevice(v, device)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, consensus.RuleErrorf(ErrNotAttested, "device %s was not attested by any OEM", device)
	}
	sender := keys.PubKey(tx.Sender).Address().Encode(ctx.Net.AddressHRP)
	if rec.Owner == "" || rec.Owner != sender {
		return nil, consensus.RuleErrorf(ErrNotOwner, "%s is not the owner of device %s", sender, device)
	}
	return rec, nil
}

func applyDisable(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	d, err := DecodeDeviceRef(tx.Payload)
	if err != nil {
		return err
	}
	rec, err := ownedDevice(v, d.DeviceKey, tx, ctx)
	if err != nil {
		return err
	}
	if !rec.Enabled {
		return consensus.RuleErrorf(ErrNotEnabled, "device %s is not enabled", d.DeviceKey)
	}
	rec.Enabled = false
	putDevice(v, rec, d.DeviceKey, ctx.Height)
	return nil
}

func applySetTerms(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	s, err := DecodeSetTerms(tx.Payload)
	if err != nil {
		return err
	}
	rec, err := ownedDevice(v, s.DeviceKey, tx, ctx)
	if err != nil {
		return err
	}
	rec.Terms = s.Terms
	putDevice(v, rec, s.DeviceKey, ctx.Height)
	return nil
}

// TouchedDevices returns the device keys whose records the transactions of
// blk may have changed (attest, check-in, disable, set-terms), without
// duplicates. Undecodable payloads are skipped: a block on the chain has
// passed sanity. The query index refreshes these after a chain event.
func TouchedDevices(blk *wire.Block) []keys.PubKey {
	var out []keys.PubKey
	seen := map[keys.PubKey]bool{}
	add := func(k keys.PubKey) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, tx := range blk.Txs {
		switch tx.Type {
		case TxAttestDevice:
			if a, err := DecodeAttestDevice(tx.Payload); err == nil {
				add(a.DeviceKey)
			}
		case TxCheckIn:
			add(keys.PubKey(tx.Sender))
		case TxDisable:
			if d, err := DecodeDeviceRef(tx.Payload); err == nil {
				add(d.DeviceKey)
			}
		case TxSetTerms:
			if s, err := DecodeSetTerms(tx.Payload); err == nil {
				add(s.DeviceKey)
			}
		}
	}
	return out
}

var _ chain.SignatureLister = Machine{}

// TxSignatures lists a check-in's owner signature, so block validation
// verifies it in one batch with the block's envelope signatures and
// checkCheckIn finds it in the shared cache (Machine.Sigs must be the
// chain's cache, as the node wires it). Listing runs the check-in's
// context-free checks (CheckCheckIn) on all cores and leaves their result
// in the memo for sanity and application; a check-in that fails them is
// not listed (CheckTxSanity then reports why). The owner key's curve
// check is part of its signature's: a check-in listed with a key that is
// not on the curve fails in the batch, and CheckTxSanity then reports
// the key as a payload error. Governance approvals are verified
// at application (they need the authority set) and are not listed.
func (m Machine) TxSignatures(tx *wire.Tx) []keys.VerifyJob {
	if tx.Type != TxCheckIn {
		return nil
	}
	c, err := m.checkedCheckIn(tx)
	if err != nil {
		return nil
	}
	return []keys.VerifyJob{{Pub: c.Owner, Hash: c.EnableHash, Sig: c.OwnerSig}}
}

var _ chain.ConcurrentApplier = Machine{}

// ApplyConcurrently allows check-ins to be applied in parallel: their
// ApplyTx reads the device, its OEM and model through the View, checks
// the TD and metadata with pure functions (their memo is safe for
// concurrent use and never changes a result) and writes the device's
// record and nonce, nothing else (the engine validates the reads and re-applies
// in order on a conflict, such as two check-ins of one device).
func (Machine) ApplyConcurrently(tx *wire.Tx) bool { return tx.Type == TxCheckIn }
