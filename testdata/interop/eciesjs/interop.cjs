// Checks thingchain's ECIES against the npm eciesjs package (default
// configuration: secp256k1, uncompressed ephemeral key, HKDF over the
// uncompressed points, AES-256-GCM with a 16-byte nonce).
//
// Usage: node interop.cjs < request.json > reply.json
//
// The request (written by chain/keys TestECIESInteropEciesjs) is
//   {"vectors": "<path of testdata/ecies.json>",
//    "from_go": [{"recipient_secret": hex, "plaintext": hex, "ciphertext": hex}],
//    "to_go":   [{"recipient_public": hex, "plaintext": hex}]}
// The script
//   1. checks every vector in the file: eciesjs derives the same AES key from
//      the ephemeral secret, Node's own AES-256-GCM reproduces the ciphertext
//      byte for byte, eciesjs decrypts it, and eciesjs rejects every invalid
//      vector;
//   2. decrypts each from_go ciphertext (fresh, random ones encrypted by Go)
//      with eciesjs and compares the plaintext;
//   3. encrypts each to_go plaintext with eciesjs for Go to decrypt.
// It prints {"vectors": n, "invalid": n, "from_go": n, "to_go": [hex, ...]}
// and exits 1 with a message naming the failed check.
"use strict";

const fs = require("node:fs");
const crypto = require("node:crypto");
const { encrypt, decrypt, PrivateKey, PublicKey, ECIES_CONFIG } = require("eciesjs");

function fail(msg) {
  process.stderr.write(`eciesjs interop: ${msg}\n`);
  process.exit(1);
}

const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (s) => Uint8Array.from(Buffer.from(s, "hex"));

// The format thingchain specifies is eciesjs's default; refuse to run if the
// installed package defaults to anything else.
const want = {
  ellipticCurve: "secp256k1",
  isEphemeralKeyCompressed: false,
  isHkdfKeyCompressed: false,
  symmetricAlgorithm: "aes-256-gcm",
  symmetricNonceLength: 16,
};
for (const [k, v] of Object.entries(want)) {
  if (ECIES_CONFIG[k] !== v) fail(`eciesjs default ${k} is ${ECIES_CONFIG[k]}, thingchain's format needs ${v}`);
}

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const file = JSON.parse(fs.readFileSync(request.vectors, "utf8"));

let vectors = 0;
for (const v of file.valid) {
  const recipient = new PrivateKey(unhex(v.recipient_secret));
  if (recipient.publicKey.toHex(true) !== v.recipient_public) fail(`${v.name}: recipient_public differs`);
  const eph = new PrivateKey(unhex(v.ephemeral_secret));
  if (eph.publicKey.toHex(false) !== v.ephemeral_public) fail(`${v.name}: ephemeral_public differs`);
  const key = eph.encapsulate(recipient.publicKey);
  if (hex(key) !== v.aes_key) fail(`${v.name}: eciesjs derives aes_key ${hex(key)}, vector says ${v.aes_key}`);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, unhex(v.nonce));
  const body = Buffer.concat([cipher.update(unhex(v.plaintext)), cipher.final()]);
  const ct = hex(Buffer.concat([unhex(v.ephemeral_public), unhex(v.nonce), cipher.getAuthTag(), body]));
  if (ct !== v.ciphertext) fail(`${v.name}: ciphertext differs\n got ${ct}\nwant ${v.ciphertext}`);
  const pt = hex(decrypt(unhex(v.recipient_secret), unhex(v.ciphertext)));
  if (pt !== v.plaintext) fail(`${v.name}: eciesjs decrypts to ${pt}, want ${v.plaintext}`);
  vectors++;
}

let invalid = 0;
for (const v of file.invalid) {
  let pt = null;
  try {
    pt = decrypt(unhex(v.recipient_secret), unhex(v.ciphertext));
  } catch (e) {
    invalid++;
    continue;
  }
  fail(`invalid vector "${v.name}" decrypted to ${hex(pt)}`);
}

let fromGo = 0;
for (const [i, c] of (request.from_go || []).entries()) {
  let pt;
  try {
    pt = hex(decrypt(unhex(c.recipient_secret), unhex(c.ciphertext)));
  } catch (e) {
    fail(`from_go[${i}]: eciesjs cannot decrypt the Go ciphertext: ${e.message}`);
  }
  if (pt !== c.plaintext) fail(`from_go[${i}]: eciesjs decrypts to ${pt}, want ${c.plaintext}`);
  fromGo++;
}

const toGo = (request.to_go || []).map((c) => hex(encrypt(PublicKey.fromHex(c.recipient_public).toBytes(true), unhex(c.plaintext))));

process.stdout.write(`${JSON.stringify({ vectors, invalid, from_go: fromGo, to_go: toGo })}\n`);
