//go:build !libsecp256k1 || !cgo

package keys

import "github.com/decred/dcrd/dcrec/secp256k1/v4"

// VerifyBackend names the signature verifier this binary was built with.
const VerifyBackend = "dcrd (pure Go)"

func verifyBackend(pub PubKey, hash [32]byte, sig Signature) bool {
	return VerifyPureGo(pub, hash, sig)
}

// verifyParsed is Verify for a key the caller has already parsed.
func verifyParsed(key *secp256k1.PublicKey, _ PubKey, hash [32]byte, sig Signature) bool {
	return verifyPureGoParsed(key, hash, sig)
}
