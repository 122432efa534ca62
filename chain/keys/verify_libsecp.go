//go:build libsecp256k1 && cgo

package keys

/*
#cgo LDFLAGS: -lsecp256k1
#include <secp256k1.h>

// verify parses a compressed key and a compact r||s signature and checks
// it with the library's static context (verification needs no
// randomised context since libsecp256k1 0.2). It returns 1 when valid.
static int thingchain_verify(const unsigned char *pub33, const unsigned char *msg32, const unsigned char *sig64) {
	secp256k1_pubkey pk;
	secp256k1_ecdsa_signature sig;
	if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, pub33, 33)) return 0;
	if (!secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &sig, sig64)) return 0;
	return secp256k1_ecdsa_verify(secp256k1_context_static, &sig, msg32, &pk);
}
*/
import "C"

import (
	"unsafe"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// VerifyBackend names the signature verifier this binary was built with.
const VerifyBackend = "libsecp256k1 (cgo)"

// verifyBackend applies the same cheap encoding rules as VerifyPureGo
// (compressed key prefix, r and s in range and non-zero, low s) before
// the library checks the point and the signature; libsecp256k1 itself
// also refuses high-s signatures.
func verifyBackend(pub PubKey, hash [32]byte, sig Signature) bool {
	if pub[0] != secp256k1.PubKeyFormatCompressedEven && pub[0] != secp256k1.PubKeyFormatCompressedOdd {
		return false
	}
	if _, _, ok := sig.scalars(); !ok {
		return false
	}
	ok := C.thingchain_verify((*C.uchar)(unsafe.Pointer(&pub[0])), (*C.uchar)(unsafe.Pointer(&hash[0])), (*C.uchar)(unsafe.Pointer(&sig[0])))
	return ok == 1
}

// verifyParsed is Verify for a key the caller has already parsed; the
// library parses keys faster than dcrd verifies, so it parses again.
func verifyParsed(_ *secp256k1.PublicKey, pub PubKey, hash [32]byte, sig Signature) bool {
	return verifyBackend(pub, hash, sig)
}
