// ecies.js opens an access key delivered on the auction chain
// (delivery.encrypted_key), encrypted to the winning bidder's key in
// eciesjs's format (secp256k1, uncompressed ephemeral key, HKDF-SHA256,
// AES-256-GCM with a 16-byte nonce; testdata/ecies.json), decrypted with
// the eciesjs package itself. The result must hash to the delivery's
// key_hash.
import { decrypt as eciesDecrypt } from 'eciesjs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

// openDelivery returns the 32-byte access key. candidates are the
// possible byte decodings of encrypted_key (see encoding.js).
export function openDelivery(privateKey, candidates, keyHashHex) {
  for (const ct of candidates) {
    let pt;
    try { pt = eciesDecrypt(privateKey, ct); } catch { continue; }
    if (bytesToHex(sha256(pt)) === keyHashHex) return pt;
  }
  throw new Error('the delivered key cannot be opened with this wallet key, or does not match its key hash; the device may deliver again or the auction refunds you');
}
