// market.js is what the pages do with the node: reading devices and
// auctions into plain objects (through encoding.js) and building, signing
// and submitting bids, reveals and payments (through tx.js). Keys are
// passed in by the caller and never leave the browser: only signed
// transactions are sent.
import { call, callBatch, RPCError } from './rpc.js';
import * as enc from './encoding.js';
import * as txlib from './tx.js';
import { loadBids, updateBids, pending } from './bidbook.js';
import { openDelivery } from './ecies.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';

export const DEFAULT_FEE = 10_000n; // 0.0001 THG per transaction, as the CLI

// loadNetwork: network name, address prefix, auction chain ID and the
// auction parameters.
export async function loadNetwork() {
  const [info, tip, ai] = await Promise.all([
    call('node.info'),
    call('chain.getBlock', { chain: 'auction' }),
    call('auction.info'),
  ]);
  const network = info.network;
  const hrp = enc.HRP[network] || (info.reward || '').split('1')[0];
  const p = ai.params || {};
  const pick = (a, b) => (p[a] ?? p[b]);
  return {
    network, hrp, version: info.version, chainId: Number(tip.chain_id),
    params: {
      commitBlocks: Number(pick('CommitBlocks', 'commit_blocks')),
      revealBlocks: Number(pick('RevealBlocks', 'reveal_blocks')),
      paymentBlocks: Number(pick('PaymentBlocks', 'payment_blocks')),
      deliveryBlocks: Number(pick('DeliveryBlocks', 'delivery_blocks')),
      bondPermille: Number(pick('BondPermille', 'bond_permille')),
      maxBidsPerTx: Number(pick('MaxBidsPerTx', 'max_bids_per_tx')) || 256,
      protocolFeePermille: Number(pick('ProtocolFeePermille', 'protocol_fee_permille')),
      metadataFeePermille: Number(pick('MetadataFeePermille', 'metadata_fee_permille')),
    },
  };
}

// normBlock reads a chain.getBlock result (full or with txids).
export function normBlock(b) {
  return {
    hash: enc.hex(b.hash), height: Number(b.height), time: Number(b.time), miner: enc.hex(b.miner_key),
    txCount: (b.txs || b.txids || []).length,
    txs: (b.txs || []).map((t) => ({ type: Number(t.type), fee: enc.amount(t.fee), payload: enc.bytes(t.payload || '') })),
  };
}

export async function getBlock(chain, height, full) {
  return normBlock(await call('chain.getBlock', { chain, height, full }));
}

// tips reads chain.info: {auction, metadata} heights.
export async function tips() {
  const ci = await call('chain.info');
  return { auction: Number(ci.auction?.height ?? 0), metadata: Number(ci.metadata?.height ?? 0) };
}

// headHeight reads a newHeads notification.
export const headHeight = (h) => Number(h.height);

// properties of a TD: [{name, type, unit, description}] sorted by name.
export function tdProperties(td) {
  const props = td?.properties || {};
  return Object.keys(props).sort().map((name) => ({
    name, type: props[name].type || '', unit: props[name].unit || '', description: props[name].description || '',
  }));
}

// dataURL is the TD's history action form (readings between from and to).
export function dataURL(td) {
  const href = td?.actions?.history?.forms?.[0]?.href;
  // The form's href is a URI template (RFC 6570), e.g. …/data{?from,to};
  // fetchData adds the variables as query parameters itself.
  if (href) return href.replace(/\{[^}]*\}/g, '');
  const base = td?.base;
  return base ? base.replace(/\/$/, '') + '/things/' + (td.id || '').split(':').pop() + '/data' : '';
}

export function normDevice(d, hrp) {
  const terms = d.terms || {};
  return {
    device: enc.hex(d.device), oem: enc.hex(d.oem), model: d.model, kind: d.kind, region: d.region,
    owner: enc.address(d.owner, hrp), enabled: !!d.enabled, strikes: Number(d.strikes || 0),
    reserve: enc.amount(terms.reserve_per_point), points: enc.amount(terms.points_per_period),
    periodSeconds: Number(terms.access_period_seconds || 0),
    td: d.td, metadata: d.metadata, properties: tdProperties(d.td), title: d.td?.title || d.model,
  };
}

export async function listDevices(filter, offset, limit, hrp) {
  const res = await call('registry.devices', { ...filter, offset, limit });
  return { total: Number(res.total), devices: (res.devices || []).map((d) => normDevice(d, hrp)) };
}

export async function getDevice(device, hrp) {
  const d = await call('registry.device', { device: enc.param.key(device) });
  return d ? normDevice(d, hrp) : null;
}

export function normNext(n) {
  return {
    device: enc.hex(n.device), biddable: !!n.biddable, reason: n.reason || '', seq: enc.amount(n.seq),
    auction: enc.hex(n.id), opens: !!n.opens, strikes: Number(n.strikes || 0),
    reserve: enc.amount(n.terms?.reserve_per_point), points: enc.amount(n.terms?.points_per_period),
    periodSeconds: Number(n.terms?.access_period_seconds || 0),
  };
}

// nextAuctions asks where a bid on each device would go, in JSON-RPC
// batches (one request per 100 devices).
export async function nextAuctions(devices) {
  const replies = await callBatch(devices.map((d) => ['auction.next', { device: enc.param.key(d) }]));
  return replies.map((r) => {
    if (r.error) throw r.error;
    return normNext(r.result);
  });
}

// auctionPhases maps each device to the phase its latest auction is in
// ('none' before its first, '?' when the node could not say), for the
// device list: one batched request for the page, not a call per row.
export async function auctionPhases(devices) {
  const replies = await callBatch(devices.map((d) => ['auction.ofDevice', { device: enc.param.key(d) }]));
  return Object.fromEntries(devices.map((d, i) => {
    const list = replies[i].result;
    if (replies[i].error) return [d, '?'];
    const last = list?.[list.length - 1];
    return [d, last ? String(last.phase) : 'none'];
  }));
}

// faucet asks a test network's faucet for coins; returns the txid.
export async function faucet(address, units) {
  const r = await call('faucet.request', { address: enc.param.address(address), amount: enc.param.amount(units) });
  return enc.hex(r.txid);
}

export async function account(address) {
  const a = await call('account.get', { address });
  return { balance: enc.amount(a.balance), nonce: enc.amount(a.nonce) };
}

async function nextNonce(pubHex) {
  return enc.amount(await call('account.nextNonce', { pubkey: enc.param.key(pubHex), chain: 'auction' }));
}

async function txPending(txid) {
  try {
    const t = await call('chain.getTransaction', { chain: 'auction', txid: enc.param.hash(txid) });
    return t?.status === 'pending';
  } catch {
    return false;
  }
}

async function submit(tx) {
  const res = await call('tx.submit', { raw: enc.param.raw(txlib.encodeTx(tx)) });
  return enc.hex(res.txid);
}

export function wallet(privateKey, hrp) {
  const pub = txlib.publicKey(privateKey);
  const addrBytes = txlib.addressOf(pub);
  return { privateKey, pub: bytesToHex(pub), addrBytes, address: enc.encodeAddress(hrp, addrBytes) };
}

// planBids works out, for a list of device keys and one maximum price per
// data point, which devices take a bid now and what it costs: full
// deposits (the bid's whole price is escrowed, so a won auction needs no
// payment step), the number of transactions (MaxBidsPerTx each), fees,
// total escrow and the worst case (every auction won at the maximum).
export async function planBids(w, devices, maxPerPoint, net, fee = DEFAULT_FEE) {
  const nexts = await nextAuctions(devices);
  const have = new Set(loadBids(w.address).filter((r) => r.state !== 'rejected').map((r) => r.auction));
  return makePlan(nexts, have, maxPerPoint, net.params.maxBidsPerTx, fee);
}

// makePlan is planBids' arithmetic, given each device's auction.next.
export function makePlan(nexts, have, maxPerPoint, maxBidsPerTx, fee) {
  const bids = [];
  const skipped = [];
  for (const n of nexts) {
    if (!n.biddable) skipped.push({ device: n.device, reason: n.reason });
    else if (have.has(n.auction)) skipped.push({ device: n.device, reason: 'this wallet already bid in its auction' });
    else if (n.reserve > maxPerPoint) skipped.push({ device: n.device, reason: `reserve ${enc.formatTHG(n.reserve)} per point is above your maximum` });
    else bids.push({ device: n.device, seq: n.seq, auction: n.auction, opens: n.opens, points: n.points, amountPerPoint: maxPerPoint, deposit: maxPerPoint * n.points });
  }
  const txs = Math.ceil(bids.length / maxBidsPerTx);
  const escrow = bids.reduce((s, b) => s + b.deposit, 0n);
  const fees = fee * BigInt(txs);
  return { bids, skipped, txs, escrow, fees, worstCase: escrow + fees, fee, maxBidsPerTx };
}

// commitTxs seals a plan's bids (fresh salts) and signs one commit
// transaction per maxBidsPerTx of them, nonces from nonce on. It returns
// [{tx, id, nonce, group}] in order.
export function commitTxs(w, plan, chainId, nonce, salt = () => randomBytes(32)) {
  const out = [];
  for (let i = 0; i < plan.bids.length; i += plan.maxBidsPerTx) {
    const group = plan.bids.slice(i, i + plan.maxBidsPerTx).map((b) => ({ ...b, salt: salt() }));
    const payload = txlib.commitBidsPayload(group.map((b) => ({ ...b, device: hexToBytes(b.device) })), w.addrBytes);
    const tx = txlib.buildTx({ chainId, type: txlib.TX.commitBids, nonce, fee: plan.fee, payload }, w.privateKey);
    out.push({ tx, id: bytesToHex(txlib.txId(tx)), nonce, group });
    nonce += 1n;
  }
  return out;
}

// sendBids seals, saves and commits a plan: one commit transaction per
// MaxBidsPerTx bids, each saved to the bid book before it is submitted.
export async function sendBids(w, plan, net, onProgress = () => {}) {
  const { balance } = await account(w.address);
  if (balance < plan.worstCase) {
    throw new RPCError('tx.submit', { message: `ErrInsufficientFunds: ${w.address} has ${enc.formatTHG(balance)}, the deposits and fees need ${enc.formatTHG(plan.worstCase)}` });
  }
  const txs = commitTxs(w, plan, net.chainId, await nextNonce(w.pub));
  const sent = [];
  for (const { tx, id, nonce, group } of txs) {
    const created = new Date().toISOString();
    updateBids(w.address, (bids) => bids.concat(group.map((b) => ({
      device: b.device, seq: String(b.seq), auction: b.auction, amountPerPoint: String(b.amountPerPoint), salt: bytesToHex(b.salt),
      deposit: String(b.deposit), state: 'committing', created, commitTx: id, commitNonce: String(nonce),
    }))));
    try {
      await submit(tx);
    } catch (e) {
      if (e instanceof RPCError && e.code !== -1) {
        updateBids(w.address, (bids) => bids.map((r) => (r.commitTx === id ? { ...r, state: 'rejected', error: e.message } : r)));
      }
      throw e;
    }
    sent.push(id);
    onProgress({ sent: sent.length, of: txs.length });
  }
  return sent;
}

// normAuction reads an auction.get / ofBidder entry.
export function normAuction(a, hrp) {
  const bid = a.bid ? normBid(a.bid, hrp) : null;
  return {
    id: enc.hex(a.id), device: enc.hex(a.device), seq: enc.amount(a.seq), status: a.status, phase: a.phase,
    height: Number(a.height), openHeight: Number(a.open_height), commitEnd: Number(a.commit_end), closeHeight: Number(a.close_height),
    bids: Number(a.bids || 0), winner: enc.address(a.winner, hrp), pricePerPoint: enc.amount(a.price_per_point), price: enc.amount(a.price),
    payDeadline: Number(a.pay_deadline || 0), deliveryDeadline: Number(a.delivery_deadline || 0),
    points: enc.amount(a.terms?.points_per_period), reserve: enc.amount(a.terms?.reserve_per_point),
    bidList: (a.bid_list || []).map((b) => normBid(b, hrp)), bid,
    delivery: a.delivery ? {
      keyHash: enc.hex(a.delivery.key_hash), time: Number(a.delivery.time), expires: Number(a.delivery.expires),
      winner: enc.address(a.delivery.winner, hrp), encryptedKey: a.delivery.encrypted_key, height: Number(a.delivery.height),
    } : null,
  };
}

function normBid(b, hrp) {
  return { bidder: enc.address(b.bidder, hrp), status: b.status, deposit: enc.amount(b.deposit), amountPerPoint: enc.amount(b.amount_per_point), height: Number(b.height) };
}

export async function getAuction(id, hrp) {
  const a = await call('auction.get', { id: enc.param.hash(id) });
  return a ? normAuction(a, hrp) : null;
}

export async function auctionsOf(address, hrp) {
  return ((await call('auction.ofBidder', { address })) || []).map((a) => normAuction(a, hrp));
}

// stateOf says where my bid stands: committing, committed, revealed, won
// at P, lost, refunded, key delivered, missed.
export function stateOf(a, me, book) {
  if (!a) return book?.state === 'rejected' ? { label: 'rejected', tone: 'bad' } : { label: 'committing', tone: 'wait' };
  const bidStatus = a.bid?.status;
  const won = a.winner === me && a.status !== 'open';
  if (a.delivery && a.delivery.winner === me) return { label: 'key delivered', tone: 'good' };
  if (won && (a.status === 'awaiting_payment')) return { label: `won at ${enc.formatTHG(a.pricePerPoint)}/point, payment due`, tone: 'wait' };
  if (won) return { label: `won at ${enc.formatTHG(a.pricePerPoint)}/point`, tone: 'good' };
  if (bidStatus === 'forfeited') return { label: 'missed (deposit forfeited)', tone: 'bad' };
  if (bidStatus === 'refunded' || (a.status !== 'open' && bidStatus !== 'sealed')) {
    return a.status === 'undelivered' ? { label: 'refunded (not delivered)', tone: 'wait' } : { label: 'lost, refunded', tone: 'neutral' };
  }
  if (bidStatus === 'revealed') return { label: 'revealed', tone: 'wait' };
  if (bidStatus === 'sealed') return { label: 'committed', tone: 'wait' };
  return { label: a.phase, tone: 'neutral' };
}

// revealDue sends one reveal transaction (per MaxBidsPerTx) for every
// saved bid whose auction is in its reveal phase and still sealed on
// chain; it marks bids revealed or missed as the chain says. Returns
// {revealed, waiting, missed, txids}.
export async function revealDue(w, net, fee = DEFAULT_FEE) {
  const book = loadBids(w.address).filter(pending);
  if (book.length === 0) return { revealed: 0, waiting: 0, missed: 0, txids: [] };
  const mine = new Map((await auctionsOf(w.address, net.hrp)).map((a) => [a.id, a]));
  const due = [];
  const marks = new Map();
  let waiting = 0;
  const inPool = new Map(); // one lookup per reveal transaction, not per bid
  const revealPending = async (txid) => {
    if (!inPool.has(txid)) inPool.set(txid, await txPending(txid));
    return inPool.get(txid);
  };
  for (const r of book) {
    const a = mine.get(r.auction);
    const bid = a?.bid;
    if (!a) { waiting++; continue; }
    if (bid && bid.status === 'forfeited' && r.state === 'committing') marks.set(r.auction, 'missed');
    else if (bid && bid.status !== 'sealed') marks.set(r.auction, 'revealed');
    else if (a.status !== 'open') marks.set(r.auction, 'missed');
    else if (a.phase === 'commit') waiting++;
    else if (r.state === 'revealing' && r.revealTx && (await revealPending(r.revealTx))) waiting++; // on its way
    else due.push({ r, a });
  }
  const txids = [];
  if (due.length > 0) {
    let nonce = await nextNonce(w.pub);
    for (let i = 0; i < due.length; i += net.params.maxBidsPerTx) {
      const g = due.slice(i, i + net.params.maxBidsPerTx);
      const payload = txlib.revealBidsPayload(g.map(({ r }) => ({ device: hexToBytes(r.device), seq: BigInt(r.seq), amountPerPoint: BigInt(r.amountPerPoint), salt: hexToBytes(r.salt) })));
      const tx = txlib.buildTx({ chainId: net.chainId, type: txlib.TX.revealBids, nonce, fee, payload }, w.privateKey);
      const id = await submit(tx);
      txids.push(id);
      for (const { r, a } of g) marks.set(r.auction, { state: 'revealing', revealTx: id, revealHeight: a.height });
      nonce += 1n;
    }
  }
  if (marks.size > 0) {
    updateBids(w.address, (bids) => bids.map((r) => {
      const m = marks.get(r.auction);
      if (!m || !pending(r)) return r;
      return typeof m === 'string' ? { ...r, state: m } : { ...r, ...m };
    }));
  }
  return { revealed: due.length, waiting, missed: [...marks.values()].filter((m) => m === 'missed').length, txids };
}

// payDue pays every auction won whose deposit did not cover the price
// (bids placed elsewhere with a bond-only deposit).
export async function payDue(w, net, auctions, fee = DEFAULT_FEE) {
  const due = auctions.filter((a) => a.status === 'awaiting_payment' && a.winner === w.address);
  const book = loadBids(w.address);
  const txids = [];
  if (due.length === 0) return txids;
  let nonce = await nextNonce(w.pub);
  for (const a of due) {
    const r = book.find((b) => b.auction === a.id);
    if (r?.payTx && (await txPending(r.payTx))) continue;
    const tx = txlib.buildTx({ chainId: net.chainId, type: txlib.TX.pay, nonce, fee, payload: txlib.payPayload(hexToBytes(a.id)) }, w.privateKey);
    const id = await submit(tx);
    txids.push(id);
    updateBids(w.address, (bids) => bids.map((b) => (b.auction === a.id ? { ...b, payTx: id, payHeight: a.height } : b)));
    nonce += 1n;
  }
  return txids;
}

// accessKey opens a delivery addressed to this wallet.
export function accessKey(w, a) {
  const k = openDelivery(w.privateKey, enc.byteCandidates(a.delivery.encryptedKey), a.delivery.keyHash);
  return { auction: a.id, device: a.device, key: bytesToHex(k), token: `${a.id}.${bytesToHex(k)}`, from: a.delivery.time, expires: a.delivery.expires };
}

// fetchData downloads readings from the device's own endpoint (its TD's
// history action) with the access key as a bearer token.
export async function fetchData(device, token, { from, to } = {}) {
  const url = new URL(dataURL(device.td));
  if (from) url.searchParams.set('from', from);
  if (to) url.searchParams.set('to', to);
  let res;
  try {
    res = await fetch(url, { headers: { Authorization: 'Bearer ' + token } });
  } catch (e) {
    throw new Error(`cannot reach the device at ${url.origin} (${e.message}); it may be offline`);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`the device refused (${res.status} ${body.code || ''}): ${body.error || res.statusText}`);
  return body;
}
