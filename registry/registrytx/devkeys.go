package registrytx

import (
	"crypto/sha256"
	"fmt"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// DevAuthorityKeys returns the well-known authority private keys of a test
// network: key i is SHA-256("thingchain <network name> authority <i>").
// Anyone may sign with them, which is the point: tests, the device
// simulator and local testnets can govern. ok is false on main and on any
// network whose Authorities are not exactly these keys.
func DevAuthorityKeys(net *consensus.Params) (privs []*keys.PrivateKey, ok bool) {
	if net.Name == "main" || len(net.Authorities) == 0 {
		return nil, false
	}
	for i, want := range net.Authorities {
		k := devKey(fmt.Sprintf("thingchain %s authority %d", net.Name, i))
		if k == nil || k.PubKey() != keys.PubKey(want) {
			return nil, false
		}
		privs = append(privs, k)
	}
	return privs, true
}

// DevOEMKey returns a well-known OEM attestation key for a device kind on
// a test network: SHA-256("thingchain <network name> oem <kind>"). It is
// not in genesis; governance must admit it like any OEM. ok is false on
// main.
func DevOEMKey(net *consensus.Params, kind string) (*keys.PrivateKey, bool) {
	if net.Name == "main" {
		return nil, false
	}
	k := devKey(fmt.Sprintf("thingchain %s oem %s", net.Name, kind))
	return k, k != nil
}

func devKey(seed string) *keys.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	k, err := keys.PrivateKeyFromBytes(s[:])
	if err != nil {
		return nil // probability 2^-128: the seed hashed to zero or ≥ N
	}
	return k
}
