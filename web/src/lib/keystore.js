// keystore.js reads and writes the CLI's keystore files (wallet/keystore.go):
// scrypt (n, r, p, dklen 32, salt) derives an AES-256-GCM key that seals the
// 32-byte private key with a 12-byte nonce; the additional data
// "thingchain keystore v1\0" | public key (33) | address text binds the
// clear fields to the ciphertext.
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { concatBytes, utf8ToBytes, bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { gcm } from '@noble/ciphers/aes.js';
import { publicKey, addressOf } from './tx.js';
import { encodeAddress, decodeAddress } from './bech32.js';

const AD_PREFIX = 'thingchain keystore v1\u0000';
const MAX_MEM = 1 << 30;

function ad(pub, addressText) {
  return concatBytes(utf8ToBytes(AD_PREFIX), pub, utf8ToBytes(addressText));
}

function corrupt(msg) {
  return new Error(`keystore file is corrupt: ${msg}; restore it from your backup`);
}

function hexField(name, s, min, max) {
  if (typeof s !== 'string' || !/^[0-9a-f]*$/i.test(s) || s.length % 2) throw corrupt(`${name} is not valid hex`);
  const b = hexToBytes(s.toLowerCase());
  if (b.length < min || b.length > max) throw corrupt(`${name} is ${b.length} bytes, want ${min} to ${max}`);
  return b;
}

// checkKeyFile validates a parsed key file without the password.
export function checkKeyFile(kf) {
  if (!kf || typeof kf !== 'object') throw corrupt('not a keystore JSON object');
  if (kf.version !== 1) throw corrupt(`unsupported keystore version ${kf.version}`);
  const c = kf.crypto || {};
  if (c.cipher !== 'aes-256-gcm') throw corrupt(`unknown cipher ${c.cipher}`);
  if (c.kdf !== 'scrypt') throw corrupt(`unknown kdf ${c.kdf}`);
  const p = c.kdfparams || {};
  const { n, r, p: par, dklen } = p;
  if (!(n >= 2 && n <= (1 << 22) && (n & (n - 1)) === 0)) throw corrupt(`scrypt n=${n} must be a power of two`);
  if (!(r >= 1 && r <= 32) || !(par >= 1 && par <= 16) || dklen !== 32 || 128 * n * r > MAX_MEM) throw corrupt('scrypt parameters out of range');
  const salt = hexField('salt', p.salt, 16, 64);
  const nonce = hexField('nonce', c.nonce, 12, 12);
  const ct = hexField('ciphertext', c.ciphertext, 48, 48);
  const pub = hexField('pubkey', kf.pubkey, 33, 33);
  const pos = String(kf.address || '').lastIndexOf('1');
  const hrp = String(kf.address || '').slice(0, Math.max(pos, 0)).toLowerCase();
  let addr;
  try { addr = decodeAddress(kf.address, hrp); } catch (e) { throw corrupt(`address: ${e.message}`); }
  if (bytesToHex(addr) !== bytesToHex(addressOf(pub))) throw corrupt(`address ${kf.address} does not belong to pubkey ${kf.pubkey}`);
  return { n, r, p: par, salt, nonce, ct, pub, hrp, address: encodeAddress(hrp, addr) };
}

// decryptKeyFile returns the 32-byte private key. onProgress(0..1) reports
// the key derivation, which takes most of a second for standard files.
export async function decryptKeyFile(kf, password, onProgress) {
  const p = checkKeyFile(kf);
  const dk = await scryptAsync(utf8ToBytes(password), p.salt, { N: p.n, r: p.r, p: p.p, dkLen: 32, maxmem: MAX_MEM + 1024, onProgress });
  let secret;
  try {
    secret = gcm(dk, p.nonce, ad(p.pub, p.address)).decrypt(p.ct);
  } catch {
    throw new Error(`wrong password: cannot unlock key "${kf.name}"; check the password and try again`);
  } finally {
    dk.fill(0);
  }
  if (bytesToHex(publicKey(secret)) !== bytesToHex(p.pub)) throw corrupt('decrypted key does not match its pubkey');
  return secret;
}

// encryptKeyFile writes a file the CLI can import (wallet import FILE).
export async function encryptKeyFile(privateKey, name, hrp, password, params = { n: 1 << 18, r: 8, p: 1 }, onProgress) {
  const pub = publicKey(privateKey);
  const address = encodeAddress(hrp, addressOf(pub));
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const dk = await scryptAsync(utf8ToBytes(password), salt, { N: params.n, r: params.r, p: params.p, dkLen: 32, maxmem: MAX_MEM + 1024, onProgress });
  const ct = gcm(dk, nonce, ad(pub, address)).encrypt(privateKey);
  dk.fill(0);
  return {
    version: 1, id: bytesToHex(randomBytes(16)), name, address, pubkey: bytesToHex(pub),
    crypto: {
      cipher: 'aes-256-gcm', ciphertext: bytesToHex(ct), nonce: bytesToHex(nonce), kdf: 'scrypt',
      kdfparams: { n: params.n, r: params.r, p: params.p, dklen: 32, salt: bytesToHex(salt) },
    },
  };
}
