package registrytx

import (
	"slices"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// Builders of signed metadata-chain transactions, for the device
// simulator, the CLI and tests. Each takes the chain ID (replay
// protection) and the sender's next nonce (NextNonce, or the node's
// account API); fees are always zero on this chain.

func signTx(chainID uint32, typ uint16, nonce uint64, sender *keys.PrivateKey, payload []byte) *wire.Tx {
	tx := &wire.Tx{ChainID: chainID, Type: typ, Nonce: nonce, Sender: sender.PubKey(), Payload: payload}
	tx.Sig = sender.Sign(tx.SigHash())
	return tx
}

// Approve signs a proposal as authority index idx.
func Approve(chainID uint32, p Proposal, idx uint8, authority *keys.PrivateKey) Approval {
	return Approval{AuthorityIndex: idx, Sig: authority.Sign(p.ApprovalHash(chainID))}
}

// NewGovernanceTx builds a governance transaction with the given
// approvals (sorted here by authority index). Any key may submit it; the
// approvals carry the authority.
func NewGovernanceTx(chainID uint32, submitter *keys.PrivateKey, nonce uint64, p Proposal, approvals []Approval) *wire.Tx {
	sorted := slices.Clone(approvals)
	slices.SortFunc(sorted, func(a, b Approval) int { return int(a.AuthorityIndex) - int(b.AuthorityIndex) })
	g := &Governance{Proposal: p, Approvals: sorted}
	return signTx(chainID, TxGovernance, nonce, submitter, g.Encode())
}

// NewApprovedGovernanceTx builds a governance transaction approved by
// the given authorities, whose indices in the authority set are idx.
func NewApprovedGovernanceTx(chainID uint32, submitter *keys.PrivateKey, nonce uint64, p Proposal, authorities []*keys.PrivateKey, idx []uint8) *wire.Tx {
	approvals := make([]Approval, len(idx))
	for i, j := range idx {
		approvals[i] = Approve(chainID, p, j, authorities[j])
	}
	return NewGovernanceTx(chainID, submitter, nonce, p, approvals)
}

// NewPublishModelTx builds an OEM's model publication.
func NewPublishModelTx(chainID uint32, oem *keys.PrivateKey, nonce uint64, m PublishModel) *wire.Tx {
	return signTx(chainID, TxPublishModel, nonce, oem, m.Encode())
}

// NewAttestTx builds an OEM's attestation of a device key.
func NewAttestTx(chainID uint32, oem *keys.PrivateKey, nonce uint64, device keys.PubKey, modelID string) *wire.Tx {
	return signTx(chainID, TxAttestDevice, nonce, oem, (&AttestDevice{DeviceKey: device, ModelID: modelID}).Encode())
}

// CheckInRequest is what a device proposes to its owner for signing.
type CheckInRequest struct {
	Region           string
	Terms            Terms
	ThingDescription []byte
	Metadata         []byte
}

// SignEnable is the owner's step: it signs the enable of device at the
// device's nonce. A device agent without the owner key sends the request
// to the owner's wallet, which calls this and returns the signature.
func SignEnable(chainID uint32, owner *keys.PrivateKey, device keys.PubKey, deviceNonce uint64, req CheckInRequest) keys.Signature {
	c := req.checkIn(owner.PubKey())
	return owner.Sign(c.EnableHash(chainID, device, deviceNonce))
}

func (req CheckInRequest) checkIn(owner keys.PubKey) *CheckIn {
	return &CheckIn{Owner: owner, Region: req.Region, Terms: req.Terms, ThingDescription: req.ThingDescription, Metadata: req.Metadata}
}

// NewCheckInTx builds a device's check-in carrying the owner's signature
// (from SignEnable).
func NewCheckInTx(chainID uint32, device *keys.PrivateKey, nonce uint64, owner keys.PubKey, ownerSig keys.Signature, req CheckInRequest) *wire.Tx {
	c := req.checkIn(owner)
	c.OwnerSig = ownerSig
	return signTx(chainID, TxCheckIn, nonce, device, c.Encode())
}

// NewSignedCheckInTx is NewCheckInTx when one process holds both keys
// (simulator, tests).
func NewSignedCheckInTx(chainID uint32, device *keys.PrivateKey, nonce uint64, owner *keys.PrivateKey, req CheckInRequest) *wire.Tx {
	sig := SignEnable(chainID, owner, device.PubKey(), nonce, req)
	return NewCheckInTx(chainID, device, nonce, owner.PubKey(), sig, req)
}

// NewDisableTx builds an owner's disable of a device.
func NewDisableTx(chainID uint32, owner *keys.PrivateKey, nonce uint64, device keys.PubKey) *wire.Tx {
	return signTx(chainID, TxDisable, nonce, owner, (&DeviceRef{DeviceKey: device}).Encode())
}

// NewSetTermsTx builds an owner's change of a device's terms.
func NewSetTermsTx(chainID uint32, owner *keys.PrivateKey, nonce uint64, device keys.PubKey, terms Terms) *wire.Tx {
	return signTx(chainID, TxSetTerms, nonce, owner, (&SetTerms{DeviceKey: device, Terms: terms}).Encode())
}
