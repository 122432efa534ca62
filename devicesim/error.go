package devicesim

import (
	"errors"

	"github.com/thingchain/thingchain/api/rpc"

	apiclient "github.com/thingchain/thingchain/api/client"
)

// Errors an AccessChecker returns; the endpoint maps them onto HTTP
// statuses (401 and 403). Any other error is treated as ErrAccessRequired.
var (
	// ErrAccessRequired: the request carries no usable access key.
	ErrAccessRequired = errors.New("an access key from a won auction for this device is required (Authorization: Bearer KEY)")
	// ErrAccessDenied: the key is known but does not grant this request
	// (expired access period, data-point quota used up, another device).
	ErrAccessDenied = errors.New("the access key does not grant this request")
)

// hasKind reports whether err is a node's refusal of one of the kinds,
// e.g. "ErrBadNonce": the kind travels in error.data.kind
// (apiclient.HasKind), never matched in the message text.
func hasKind(err error, kinds ...string) bool {
	return apiclient.HasKind(err, kinds...)
}

// Error kinds the simulator reacts to, by name (see hasKind).
const (
	kindBadNonce       = "ErrBadNonce"               // consensus: nonce reused or in the future
	kindReplacement    = "ErrReplacementUnderpriced" // mempool: another tx holds this nonce
	kindNonceTooFar    = "ErrNonceTooFarAhead"       // mempool: our local sequence ran ahead
	kindAlreadyKnown   = "ErrAlreadyKnown"           // mempool: an identical tx is pending
	kindAlreadyAdmited = "ErrAlreadyAdmitted"        // registry: OEM admitted meanwhile
	kindModelExists    = "ErrModelExists"            // registry: model published meanwhile
	kindDeviceExists   = "ErrDeviceExists"           // registry: device attested meanwhile
	kindProposalReused = "ErrProposalReused"         // registry: proposal nonce used before
)

// nonceConflict: the nonce we used is not the next one; refetch and retry.
func nonceConflict(err error) bool {
	return hasKind(err, kindBadNonce, kindReplacement, kindNonceTooFar)
}

// methodMissing: the node has no such method (JSON-RPC -32601), an older
// node.
func methodMissing(err error) bool {
	var e *rpc.Error
	return errors.As(err, &e) && e.Code == rpc.CodeMethodNotFound
}
