// Opening delivered access keys: the eciesjs format, encrypted here with
// eciesjs itself and by the Go node (a vector from
// wallet/txvectors_test.go), both through openDelivery, the function the
// Data page uses; and the API byte spellings encoding.js accepts (hex
// since issue 11, base64 before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encrypt, decrypt } from 'eciesjs';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { openDelivery } from '../src/lib/ecies.js';
import { byteCandidates } from '../src/lib/encoding.js';
import { publicKey } from '../src/lib/tx.js';

const V = JSON.parse(readFileSync(new URL('../../testdata/tx_vectors.json', import.meta.url)));
const priv = hexToBytes(V.key.private);

test('a key delivered in the Go node format opens, from hex or base64', () => {
  const e = V.ecies;
  const ct = hexToBytes(e.ciphertext);
  for (const spelled of [e.ciphertext, Buffer.from(ct).toString('base64')]) {
    assert.equal(bytesToHex(openDelivery(priv, byteCandidates(spelled), e.key_hash)), e.plaintext);
  }
});

test('a key delivered in the eciesjs format opens', () => {
  const key = sha256(new TextEncoder().encode('another access key'));
  const ct = encrypt(publicKey(priv), key);
  assert.equal(bytesToHex(openDelivery(priv, byteCandidates(bytesToHex(ct)), bytesToHex(sha256(key)))), bytesToHex(key));
});

test('a key that does not match its hash, or is for someone else, is refused', () => {
  const e = V.ecies;
  assert.throws(() => openDelivery(priv, byteCandidates(e.ciphertext), '00'.repeat(32)), /cannot be opened/);
  const other = sha256(new TextEncoder().encode('other key'));
  assert.throws(() => openDelivery(other, byteCandidates(e.ciphertext), e.key_hash), /cannot be opened/);
});

// The shared vectors every implementation passes (testdata/ecies.json):
// each valid ciphertext opens to its plaintext through openDelivery, and
// eciesjs, which openDelivery relies on, refuses each invalid one.
test('testdata/ecies.json vectors', () => {
  const E = JSON.parse(readFileSync(new URL('../../testdata/ecies.json', import.meta.url)));
  for (const v of E.valid) {
    const pt = openDelivery(hexToBytes(v.recipient_secret), [hexToBytes(v.ciphertext)], bytesToHex(sha256(hexToBytes(v.plaintext))));
    assert.equal(bytesToHex(pt), v.plaintext, v.name);
  }
  for (const v of E.invalid) {
    assert.throws(() => decrypt(hexToBytes(v.recipient_secret), hexToBytes(v.ciphertext)), undefined, v.name);
  }
});
