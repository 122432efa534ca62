// The JavaScript encoder against the Go implementation's vectors
// (testdata/tx_vectors.json, written by wallet/txvectors_test.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import * as txlib from '../src/lib/tx.js';
import { encodeAddress, decodeAddress } from '../src/lib/bech32.js';
import { decryptKeyFile, encryptKeyFile } from '../src/lib/keystore.js';
import { exportBidBook } from '../src/lib/bidbook.js';

const V = JSON.parse(readFileSync(new URL('../../testdata/tx_vectors.json', import.meta.url)));
const priv = hexToBytes(V.key.private);

test('key, public key and address', () => {
  const pub = txlib.publicKey(priv);
  assert.equal(bytesToHex(pub), V.key.public);
  assert.equal(encodeAddress(V.key.hrp, txlib.addressOf(pub)), V.key.address);
  assert.equal(bytesToHex(decodeAddress(V.key.address, V.key.hrp)), bytesToHex(txlib.addressOf(pub)));
  assert.throws(() => decodeAddress(V.key.address.slice(0, -1) + (V.key.address.endsWith('q') ? 'p' : 'q'), V.key.hrp), /checksum/);
  assert.throws(() => decodeAddress(V.key.address, 'tc'), /different network/);
});

function payloadOf(v) {
  switch (v.type) {
    case txlib.TX.transfer: return txlib.transferPayload(decodeAddress(v.to, V.key.hrp), BigInt(v.amount));
    case txlib.TX.commitBids: return txlib.commitBidsPayload(v.bids.map(bidOf), txlib.addressOf(txlib.publicKey(priv)));
    case txlib.TX.revealBids: return txlib.revealBidsPayload(v.bids.map(bidOf));
    case txlib.TX.pay: return txlib.payPayload(hexToBytes(v.auction));
    default: throw new Error(`no builder for type ${v.type}`);
  }
}

function bidOf(b) {
  return { device: hexToBytes(b.device), seq: BigInt(b.seq), amountPerPoint: BigInt(b.amount_per_point), deposit: BigInt(b.deposit), salt: hexToBytes(b.salt) };
}

for (const v of V.txs) {
  test(`transaction ${v.name}: payload, unsigned bytes, sighash, signed bytes, txid`, () => {
    if (v.bids) {
      for (const b of v.bids) {
        const id = txlib.auctionId(hexToBytes(b.device), BigInt(b.seq));
        assert.equal(bytesToHex(id), b.auction);
        const c = txlib.bidCommitment(id, BigInt(b.amount_per_point), hexToBytes(b.salt), txlib.addressOf(txlib.publicKey(priv)));
        assert.equal(bytesToHex(c), b.commitment);
      }
    }
    const payload = payloadOf(v);
    assert.equal(bytesToHex(payload), v.payload);
    const tx = txlib.buildTx({ chainId: v.chain_id, type: v.type, nonce: v.nonce, fee: v.fee, expiry: v.expiry, payload }, priv);
    assert.equal(bytesToHex(tx.sender), v.sender);
    assert.equal(bytesToHex(txlib.unsignedBytes(tx)), v.unsigned);
    assert.equal(bytesToHex(txlib.sigHash(tx)), v.sighash);
    assert.equal(bytesToHex(txlib.encodeTx(tx)), v.signed);
    assert.equal(bytesToHex(txlib.txId(tx)), v.txid);
  });
}

test('CLI keystore file opens in the browser code, and a wrong password is named', async () => {
  const k = await decryptKeyFile(V.keystore.file, V.keystore.password);
  assert.equal(bytesToHex(k), V.keystore.private);
  await assert.rejects(decryptKeyFile(V.keystore.file, 'wrong'), /wrong password/);
  const tampered = structuredClone(V.keystore.file);
  tampered.address = encodeAddress(V.key.hrp, new Uint8Array(20));
  await assert.rejects(decryptKeyFile(tampered, V.keystore.password), /corrupt/);
});

test('a keystore file written in the browser opens again', async () => {
  const kf = await encryptKeyFile(priv, 'web', V.key.hrp, 'pw', { n: 1 << 10, r: 8, p: 1 });
  assert.equal(kf.address, V.key.address);
  assert.equal(bytesToHex(await decryptKeyFile(kf, 'pw')), V.key.private);
});

test('bid book export matches the Go wallet format', () => {
  const goBook = V.bid_book;
  const rec = goBook.bids[0];
  const b = V.txs.find((t) => t.name === 'commit_bids').bids[0];
  const out = exportBidBook(goBook.bidder, [{
    device: b.device, seq: b.seq, auction: b.auction, amountPerPoint: String(b.amount_per_point), salt: b.salt,
    deposit: String(b.deposit), state: rec.state, created: rec.created, commitTx: rec.commit_tx, commitNonce: rec.commit_nonce,
  }]);
  assert.deepEqual(JSON.parse(out), goBook);
});
