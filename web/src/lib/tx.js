// tx.js encodes and signs thingchain transactions exactly as chain/wire and
// the auction and ledger packages do (checked against the Go-generated
// testdata/tx_vectors.json by test/vectors.test.js).
//
// Envelope: chain ID u32 LE | type u16 LE | nonce u64 LE | fee u64 LE |
// expiry u64 LE | sender (33-byte compressed key) | payload length
// (unsigned varint) | payload | signature (64 bytes r||s, low S).
// SigHash = SHA-256(SHA-256("thingchain/tx/v1" | everything but the
// signature)); txid = SHA-256(SHA-256(full encoding)).
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes, bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

export const TX = { transfer: 1, openAuction: 10, commitBids: 11, revealBids: 12, pay: 13, deliverKey: 14 };

const enc = {
  u16: (v) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); return b; },
  u32: (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; },
  u64: (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); return b; },
  uvarint: (v) => {
    let n = BigInt(v);
    const out = [];
    while (n >= 0x80n) { out.push(Number(n & 0x7fn) | 0x80); n >>= 7n; }
    out.push(Number(n));
    return Uint8Array.from(out);
  },
};

const dsha = (b) => sha256(sha256(b));

function need(b, len, what) {
  if (!(b instanceof Uint8Array) || b.length !== len) throw new Error(`${what} must be ${len} bytes`);
  return b;
}

// unsignedBytes is the encoding of every field except the signature.
export function unsignedBytes(tx) {
  return concatBytes(
    enc.u32(tx.chainId), enc.u16(tx.type), enc.u64(tx.nonce), enc.u64(tx.fee), enc.u64(tx.expiry ?? 0),
    need(tx.sender, 33, 'sender'), enc.uvarint(tx.payload.length), tx.payload,
  );
}

export function sigHash(tx) {
  return dsha(concatBytes(utf8ToBytes('thingchain/tx/v1'), unsignedBytes(tx)));
}

export function encodeTx(tx) {
  return concatBytes(unsignedBytes(tx), need(tx.sig, 64, 'signature'));
}

export function txId(tx) {
  return dsha(encodeTx(tx));
}

// sign fills tx.sender and tx.sig (RFC 6979 deterministic nonce, low S,
// as chain/keys) and returns tx.
export function sign(tx, privateKey) {
  tx.sender = publicKey(privateKey);
  const sig = secp256k1.sign(sigHash(tx), privateKey, { prehash: false, lowS: true, format: 'compact' });
  tx.sig = Uint8Array.from(sig);
  return tx;
}

export function publicKey(privateKey) {
  return secp256k1.getPublicKey(privateKey, true);
}

// addressOf is the 20-byte address of a compressed public key:
// SHA-256(key)[:20].
export function addressOf(pub) {
  return sha256(need(pub, 33, 'public key')).slice(0, 20);
}

export function randomPrivateKey() {
  return secp256k1.utils.randomSecretKey();
}

export function isValidPrivateKey(k) {
  try { publicKey(k); return true; } catch { return false; }
}

// auctionId = SHA-256("thingchain/auction/id/v1" | device | seq u64 LE).
export function auctionId(device, seq) {
  return sha256(concatBytes(utf8ToBytes('thingchain/auction/id/v1'), need(device, 33, 'device key'), enc.u64(seq)));
}

// bidCommitment = SHA-256("thingchain/auction/bid/v1" | auction | amount
// per point u64 LE | salt | bidder address).
export function bidCommitment(auction, amountPerPoint, salt, bidder) {
  return sha256(concatBytes(utf8ToBytes('thingchain/auction/bid/v1'), need(auction, 32, 'auction ID'),
    enc.u64(amountPerPoint), need(salt, 32, 'salt'), need(bidder, 20, 'bidder address')));
}

// Payloads (chain/wire/payload layout: fixed width LE, u16 counts).
export function transferPayload(to, amount) {
  return concatBytes(need(to, 20, 'recipient address'), enc.u64(amount));
}

// bids: [{device, seq, amountPerPoint, salt, deposit}] for bidder (20-byte address).
export function commitBidsPayload(bids, bidder) {
  const parts = [enc.u16(bids.length)];
  for (const b of bids) {
    const id = auctionId(b.device, b.seq);
    parts.push(b.device, enc.u64(b.seq), bidCommitment(id, b.amountPerPoint, b.salt, bidder), enc.u64(b.deposit));
  }
  return concatBytes(...parts);
}

export function revealBidsPayload(bids) {
  const parts = [enc.u16(bids.length)];
  for (const b of bids) parts.push(auctionId(b.device, b.seq), enc.u64(b.amountPerPoint), need(b.salt, 32, 'salt'));
  return concatBytes(...parts);
}

export function payPayload(auction) {
  return Uint8Array.from(need(auction, 32, 'auction ID'));
}

// buildTx returns a signed transaction of the auction chain.
export function buildTx({ chainId, type, nonce, fee, expiry = 0, payload }, privateKey) {
  return sign({ chainId, type, nonce: BigInt(nonce), fee: BigInt(fee), expiry: BigInt(expiry), payload }, privateKey);
}

export { bytesToHex, hexToBytes };
