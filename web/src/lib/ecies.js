// ecies.js opens an access key delivered on the auction chain
// (delivery.encrypted_key), encrypted to the winning bidder's key.
//
// The standard format is eciesjs's (secp256k1, uncompressed ephemeral key,
// HKDF-SHA256, AES-256-GCM with a 16-byte nonce), decrypted with the
// eciesjs package itself. Nodes from before that switch deliver
// "thingchain ECIES v1" (ephemeral key 33 | nonce 12 | ciphertext+tag;
// HKDF-SHA256 of the ECDH x coordinate with salt ephemeral|recipient key and
// info "thingchain ECIES v1 aes-256-gcm"; the ephemeral key is the
// additional data); openDelivery tries eciesjs first, then that.
// Either way the result must hash to the delivery's key_hash.
import { decrypt as eciesDecrypt } from 'eciesjs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { gcm } from '@noble/ciphers/aes.js';

export function decryptLegacy(privateKey, ct) {
  if (ct.length < 33 + 12 + 16) throw new Error('ciphertext too short');
  const eph = ct.slice(0, 33);
  const to = secp256k1.getPublicKey(privateKey, true);
  const shared = secp256k1.getSharedSecret(privateKey, eph, true).slice(1);
  const key = hkdf(sha256, shared, concatBytes(eph, to), utf8ToBytes('thingchain ECIES v1 aes-256-gcm'), 32);
  return gcm(key, ct.slice(33, 45), eph).decrypt(ct.slice(45));
}

// openDelivery returns the 32-byte access key. candidates are the
// possible byte decodings of encrypted_key (see encoding.js).
export function openDelivery(privateKey, candidates, keyHashHex) {
  for (const ct of candidates) {
    for (const fn of [(c) => eciesDecrypt(privateKey, c), (c) => decryptLegacy(privateKey, c)]) {
      let pt;
      try { pt = fn(ct); } catch { continue; }
      if (bytesToHex(sha256(pt)) === keyHashHex) return pt;
    }
  }
  throw new Error('the delivered key cannot be opened with this wallet key, or does not match its key hash; the device may deliver again or the auction refunds you');
}
