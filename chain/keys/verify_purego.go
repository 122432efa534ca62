//go:build !libsecp256k1 || !cgo

package keys

// VerifyBackend names the signature verifier this binary was built with.
const VerifyBackend = "dcrd (pure Go)"

func verifyBackend(pub PubKey, hash [32]byte, sig Signature) bool {
	return VerifyPureGo(pub, hash, sig)
}
