// bech32m (BIP-350) for thingchain addresses: 20 bytes under the network's
// prefix (tc, tct, tcr). Mirrors chain/keys/bech32.go.
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32M = 0x2bc830a3;

function polymod(values) {
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
  }
  return chk >>> 0;
}

function hrpExpand(hrp) {
  const out = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

function convertBits(data, from, to, pad) {
  let acc = 0, bits = 0;
  const out = [];
  const maxv = (1 << to) - 1;
  for (const v of data) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv)) {
    throw new Error('malformed address: bad padding');
  }
  return out;
}

export function encodeAddress(hrp, bytes) {
  const data = convertBits(bytes, 8, 5, true);
  const values = hrpExpand(hrp).concat(data, [0, 0, 0, 0, 0, 0]);
  const mod = polymod(values) ^ BECH32M;
  const checksum = [];
  for (let i = 0; i < 6; i++) checksum.push((mod >>> (5 * (5 - i))) & 31);
  return hrp + '1' + data.concat(checksum).map((d) => CHARSET[d]).join('');
}

// decodeAddress returns the 20 address bytes; it throws an Error naming
// what is wrong (checksum, prefix, format), like keys.DecodeAddress.
export function decodeAddress(s, wantHRP) {
  if (typeof s !== 'string' || s.length < 8 || s.length > 90) throw new Error('malformed address: wrong length');
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) throw new Error('malformed address: mixed case');
  s = s.toLowerCase();
  const pos = s.lastIndexOf('1');
  if (pos < 1 || pos + 7 > s.length) throw new Error('malformed address: no separator');
  const hrp = s.slice(0, pos);
  if (wantHRP && hrp !== wantHRP) throw new Error(`address is for a different network (prefix ${hrp}, want ${wantHRP})`);
  const data = [];
  for (const c of s.slice(pos + 1)) {
    const d = CHARSET.indexOf(c);
    if (d < 0) throw new Error(`malformed address: character ${c}`);
    data.push(d);
  }
  if (polymod(hrpExpand(hrp).concat(data)) !== BECH32M) throw new Error('address checksum mismatch: the address was mistyped or damaged');
  const bytes = convertBits(data.slice(0, -6), 5, 8, false);
  if (bytes.length !== 20) throw new Error('malformed address: not 20 bytes');
  return Uint8Array.from(bytes);
}
