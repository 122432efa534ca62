// bidbook.js keeps the sealed bids of a bidding key in the browser
// (localStorage, one entry per address) until they are revealed: a lost
// salt means a bid cannot be revealed and its deposit is forfeited, so a
// bid is saved before its commit transaction is sent. The book exports to
// the CLI's format (wallet/bids.go) for `thingchain wallet` to resume.
import { goJSON } from './encoding.js';

const PREFIX = 'thingchain.bids.';

// A record: {device, seq, auction, amountPerPoint, salt, deposit (strings
// for amounts, hex for bytes), state, created, commitTx, commitNonce,
// commitHeight?, revealTx?, payTx?, error?}. States follow the CLI:
// committing, rejected, revealing, revealed, missed.
export function loadBids(address, storage = globalThis.localStorage) {
  const raw = storage.getItem(PREFIX + address);
  if (!raw) return [];
  const v = JSON.parse(raw);
  if (v.version !== 1 || !Array.isArray(v.bids)) throw new Error('the bid book in this browser is corrupt; import a backup');
  return v.bids;
}

export function saveBids(address, bids, storage = globalThis.localStorage) {
  storage.setItem(PREFIX + address, JSON.stringify({ version: 1, bids }));
}

export function updateBids(address, fn, storage = globalThis.localStorage) {
  const next = fn(loadBids(address, storage));
  saveBids(address, next, storage);
  return next;
}

export const pending = (r) => r.state === 'committing' || r.state === 'revealing';

// exportBidBook returns the CLI bid book JSON (bids/<address>.json).
export function exportBidBook(bidder, bids) {
  const out = {
    version: 1,
    bidder,
    bids: bids.map((r) => {
      const rec = {
        device: goJSON.pubkey(r.device),
        seq: goJSON.uint(r.seq),
        auction: goJSON.hash(r.auction),
        amount_per_point: goJSON.uint(r.amountPerPoint),
        salt: goJSON.byteArray(r.salt),
        deposit: goJSON.uint(r.deposit),
        bidder,
        state: r.state,
        created: r.created,
        commit_tx: r.commitTx || '0'.repeat(64),
        commit_nonce: goJSON.uint(r.commitNonce ?? 0),
      };
      if (r.commitHeight) rec.commit_height = goJSON.uint(r.commitHeight);
      if (r.revealTx) rec.reveal_tx = r.revealTx;
      if (r.payTx) rec.pay_tx = r.payTx;
      if (r.error) rec.error = r.error;
      return rec;
    }),
  };
  return JSON.stringify(out, null, 2) + '\n';
}
