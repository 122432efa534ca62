// encoding.js is the one place that knows how the node's JSON-RPC API
// spells bytes, keys, addresses and amounts, in both directions. The rest
// of the app calls these helpers and never looks at a raw API value, so a
// change of the API encoding is adapted here alone.
//
// Accepted today: hashes as hex strings; public keys and addresses either
// as hex / bech32m strings or as JSON arrays of byte values (what the API
// returned before issue 11); amounts as JSON numbers or decimal strings.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { encodeAddress, decodeAddress } from './bech32.js';

export const HRP = { main: 'tc', test: 'tct', regtest: 'tcr' };
export const UNITS_PER_THG = 100_000_000n;

const ZERO20 = '0'.repeat(40);

// hex returns lowercase hex of an API byte value (hex string or byte array).
export function hex(v) {
  if (v == null) return '';
  if (typeof v === 'string') {
    if (/^(0x)?[0-9a-fA-F]*$/.test(v)) return v.replace(/^0x/, '').toLowerCase();
    return v; // not hex: leave as is (callers compare strings)
  }
  if (Array.isArray(v) || v instanceof Uint8Array) return bytesToHex(Uint8Array.from(v));
  throw new Error(`unexpected byte value in API result: ${JSON.stringify(v)}`);
}

// bytes decodes an API byte value.
export function bytes(v) {
  if (Array.isArray(v) || v instanceof Uint8Array) return Uint8Array.from(v);
  if (typeof v === 'string') {
    // base64 (Go's []byte) or hex
    if (/^[0-9a-fA-F]*$/.test(v) && v.length % 2 === 0) return hexToBytes(v.toLowerCase());
    const bin = atob(v);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  throw new Error(`unexpected byte value in API result: ${JSON.stringify(v)}`);
}

// address returns the bech32m text of an API address (already text, or a
// 20-byte array); '' for the all-zero "no address".
export function address(v, hrp) {
  if (v == null || v === '') return '';
  if (typeof v === 'string') return v.toLowerCase();
  const h = hex(v);
  if (h === ZERO20) return '';
  return encodeAddress(hrp, hexToBytes(h));
}

// amount reads an API amount (base units) as a BigInt.
export function amount(v) {
  if (v == null || v === '') return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  throw new Error(`unexpected amount in API result: ${JSON.stringify(v)}`);
}

// param encodings: what requests carry.
export const param = {
  key: (pubHex) => pubHex.toLowerCase(),
  hash: (h) => h.toLowerCase(),
  address: (a) => a,
  amount: (units) => Number(units), // base units; the API reads a JSON number today
  raw: (txBytes) => bytesToHex(txBytes),
};

export function formatTHG(units) {
  const u = amount(units);
  const whole = u / UNITS_PER_THG;
  let frac = (u % UNITS_PER_THG).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac} THG` : `${whole} THG`;
}

// parseTHG reads "0.0005" (THG) into base units, refusing more than 8
// decimals or anything that is not a plain decimal.
export function parseTHG(text) {
  const s = String(text).trim();
  if (!/^\d+(\.\d{1,8})?$/.test(s)) throw new Error(`"${text}" is not an amount in THG (up to 8 decimals, e.g. 0.0005)`);
  const [w, f = ''] = s.split('.');
  return BigInt(w) * UNITS_PER_THG + BigInt(f.padEnd(8, '0'));
}

export { decodeAddress, encodeAddress };

// goJSON spells values as Go's encoding/json writes the wallet's own types
// (the CLI bid book, wallet/bids.go): keys.PubKey and salts ([N]byte
// without a text form) are arrays of byte values, wire.Hash is hex.
// test/vectors.test.js holds this to a book the Go wallet wrote.
export const goJSON = {
  pubkey: (h) => Array.from(hexToBytes(h)),
  byteArray: (h) => Array.from(hexToBytes(h)),
  hash: (h) => h,
  fromPubkey: (v) => hex(v),
  fromByteArray: (v) => hex(v),
  uint: (v) => {
    const n = BigInt(v);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`amount ${n} is too large to export`);
    return Number(n);
  },
};

// byteCandidates lists the possible decodings of an API byte string whose
// spelling may be base64 (Go's []byte today) or hex (issue 11): callers
// try each (an ECIES ciphertext opens under one only).
export function byteCandidates(v) {
  if (Array.isArray(v)) return [Uint8Array.from(v)];
  const out = [];
  if (typeof v === 'string') {
    if (/^[0-9a-fA-F]+$/.test(v) && v.length % 2 === 0) out.push(hexToBytes(v.toLowerCase()));
    try {
      const bin = atob(v);
      out.push(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    } catch { /* not base64 */ }
  }
  return out;
}
