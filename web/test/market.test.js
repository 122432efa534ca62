// The batch bid's plan and its split into transactions at the chain's
// limit, and how My auctions names each state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { makePlan, commitTxs, wallet, stateOf, dataURL } from '../src/lib/market.js';
import * as txlib from '../src/lib/tx.js';

const w = wallet(hexToBytes('11'.repeat(32)), 'tcr');
const dev = (i) => bytesToHex(txlib.publicKey(hexToBytes(i.toString(16).padStart(64, '0'))));

function nexts(n) {
  return Array.from({ length: n }, (_, i) => ({
    device: dev(i + 1), biddable: true, seq: 0n, auction: bytesToHex(txlib.auctionId(hexToBytes(dev(i + 1)), 0n)), opens: true,
    reserve: 100n, points: 24n,
  }));
}

test('plan: full deposits, escrow, fees, worst case and skipped devices', () => {
  const ns = nexts(5);
  ns[1] = { ...ns[1], biddable: false, reason: 'an auction of this device is in its reveal phase' };
  ns[2] = { ...ns[2], reserve: 1000n };
  const have = new Set([ns[3].auction]);
  const p = makePlan(ns, have, 500n, 256, 10_000n);
  assert.equal(p.bids.length, 2);
  assert.deepEqual(p.skipped.map((s) => s.reason.split(' ')[0]), ['an', 'reserve', 'this']);
  assert.equal(p.escrow, 2n * 500n * 24n);
  assert.equal(p.txs, 1);
  assert.equal(p.worstCase, p.escrow + 10_000n);
});

test('a batch is split into transactions of at most MaxBidsPerTx bids with consecutive nonces', () => {
  const p = makePlan(nexts(5), new Set(), 500n, 2, 10_000n);
  assert.equal(p.txs, 3);
  assert.equal(p.fees, 30_000n);
  const txs = commitTxs(w, p, 1234, 7n);
  assert.deepEqual(txs.map((t) => t.group.length), [2, 2, 1]);
  assert.deepEqual(txs.map((t) => t.nonce), [7n, 8n, 9n]);
  for (const t of txs) {
    assert.equal(t.tx.type, txlib.TX.commitBids);
    assert.equal(t.tx.payload[0] | (t.tx.payload[1] << 8), t.group.length);
    assert.equal(t.id, bytesToHex(txlib.txId(t.tx)));
  }
  const salts = new Set(txs.flatMap((t) => t.group.map((b) => bytesToHex(b.salt))));
  assert.equal(salts.size, 5, 'every bid gets its own salt');
});

test('auction states as My auctions names them', () => {
  const me = w.address;
  const base = { status: 'open', phase: 'commit', winner: '', pricePerPoint: 0n, delivery: null, bid: { status: 'sealed' } };
  assert.equal(stateOf(null, me, { state: 'committing' }).label, 'committing');
  assert.equal(stateOf(base, me).label, 'committed');
  assert.equal(stateOf({ ...base, phase: 'reveal', bid: { status: 'revealed' } }, me).label, 'revealed');
  assert.equal(stateOf({ ...base, status: 'awaiting_delivery', winner: me, pricePerPoint: 20000n, bid: { status: 'won' } }, me).label, 'won at 0.0002 THG/point');
  assert.equal(stateOf({ ...base, status: 'awaiting_delivery', winner: 'tcr1other', bid: { status: 'refunded' } }, me).label, 'lost, refunded');
  assert.equal(stateOf({ ...base, status: 'delivered', winner: me, delivery: { winner: me } }, me).label, 'key delivered');
  assert.equal(stateOf({ ...base, status: 'no_sale', bid: { status: 'forfeited' } }, me).label, 'missed (deposit forfeited)');
});

test('dataURL: the history form is a URI template; its variables are dropped', () => {
  const td = { actions: { history: { forms: [{ href: 'http://127.0.0.1:9/things/ab/data{?from,to}' }] } } };
  assert.equal(dataURL(td), 'http://127.0.0.1:9/things/ab/data');
  const u = new URL(dataURL(td));
  u.searchParams.set('from', '2026-01-01T00:00:00Z');
  assert.equal(u.pathname, '/things/ab/data');
  assert.equal(dataURL({ base: 'http://h:1/', id: 'urn:thingchain:device:cd' }), 'http://h:1/things/cd/data');
});
