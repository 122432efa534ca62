import { useEffect, useState } from 'react';
import { useApp } from '../App.jsx';
import * as enc from '../lib/encoding.js';
import * as market from '../lib/market.js';
import { auctionId, TX } from '../lib/tx.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ErrorBox, Short } from '../components/ui.jsx';
import { BarChart, MultiLine } from '../components/Chart.jsx';

const BLOCKS = 8;
const SCAN = 120; // auction-chain blocks scanned for auctions and fees

// auctionsIn lists the auction IDs a block's open and commit transactions
// name (device key and seq in their payloads).
function auctionsIn(block) {
  const ids = [];
  for (const tx of block.txs) {
    const p = tx.payload;
    if (tx.type === TX.openAuction && p.length === 41) ids.push(bytesToHex(auctionId(p.slice(0, 33), new DataView(p.buffer, p.byteOffset + 33, 8).getBigUint64(0, true))));
    if (tx.type === TX.commitBids && p.length >= 2) {
      const n = p[0] | (p[1] << 8);
      for (let i = 0; i < n && 2 + (i + 1) * 81 <= p.length; i++) {
        const o = 2 + i * 81;
        ids.push(bytesToHex(auctionId(p.slice(o, o + 33), new DataView(p.buffer, p.byteOffset + o + 33, 8).getBigUint64(0, true))));
      }
    }
  }
  return ids;
}

// Blocks deeper than REFETCH below the tip are kept between refreshes
// (a reorganisation that deep would show stale blocks until reload).
const REFETCH = 12;
const blockCache = new Map();

async function blocksOf(chain, tip, n, full) {
  const hs = [];
  for (let h = tip; h >= 0 && h > tip - n; h--) hs.push(h);
  const key = (h) => `${chain}:${full}:${h}`;
  if (blockCache.size > 2000) blockCache.clear();
  const missing = hs.filter((h) => h > tip - REFETCH || !blockCache.has(key(h)));
  for (let i = 0; i < missing.length; i += 20) {
    const got = await Promise.all(missing.slice(i, i + 20).map((height) => market.getBlock(chain, height, full)));
    got.forEach((b, j) => blockCache.set(key(missing[i + j]), b));
  }
  return hs.map((h) => blockCache.get(key(h))).filter(Boolean);
}

// The Market page: both chains' recent blocks, open auctions, clearing
// prices per device kind over time, and where the fees went. Read from
// the last SCAN auction-chain blocks through the public API.
export function MarketPage() {
  const { net, heads } = useApp();
  const [m, setM] = useState(null);
  const [error, setError] = useState(null);
  const tick = Math.floor((heads.auction || 0) / 3);

  useEffect(() => {
    let stop = false;
    (async () => {
      const tip = await market.tips();
      const aTip = tip.auction, mTip = tip.metadata;
      const [aBlocks, mBlocks] = await Promise.all([blocksOf('auction', aTip, SCAN, true), blocksOf('metadata', mTip, BLOCKS, false)]);
      const ids = [...new Set(aBlocks.flatMap(auctionsIn))].slice(0, 200);
      const auctions = (await Promise.all(ids.map((id) => market.getAuction(id, net.hrp)))).filter(Boolean);
      const kinds = {};
      await Promise.all([...new Set(auctions.map((a) => a.device))].map(async (d) => {
        const rec = await market.getDevice(d, net.hrp).catch(() => null);
        kinds[d] = rec?.kind || '?';
      }));
      let fees = 0n;
      for (const b of aBlocks) for (const tx of b.txs) fees += tx.fee;
      const mdShare = (fees * BigInt(net.params.metadataFeePermille)) / 1000n;
      let toOwners = 0n, protocol = 0n;
      const prices = {};
      for (const a of auctions) {
        if (a.price > 0n && (a.status === 'delivered' || a.status === 'awaiting_delivery')) {
          const p = (a.price * BigInt(net.params.protocolFeePermille)) / 1000n;
          protocol += p;
          toOwners += a.price - p;
          (prices[kinds[a.device]] ??= []).push({ t: a.closeHeight, v: Number(a.pricePerPoint) });
        }
      }
      if (stop) return;
      setM({
        aBlocks: aBlocks.slice(0, BLOCKS), mBlocks,
        open: auctions.filter((a) => a.status === 'open').map((a) => ({ ...a, kind: kinds[a.device] })),
        prices: Object.entries(prices).map(([name, pts]) => ({ name, points: pts.sort((x, y) => x.t - y.t) })),
        flow: [
          { label: 'auction miners: fees', value: Number(fees - mdShare) },
          { label: 'metadata miners: fee share', value: Number(mdShare) },
          { label: 'auction miners: protocol fee', value: Number(protocol) },
          { label: 'device owners: prices', value: Number(toOwners) },
        ],
        scanned: aBlocks.length,
      });
    })().catch((e) => !stop && setError(e));
    return () => { stop = true; };
  }, [tick]);

  const fmt = (v) => enc.formatTHG(BigInt(Math.round(v)));
  const fmtAxis = (v) => enc.formatTHG(BigInt(Math.round(v))).replace(' THG', '');
  return (
    <section>
      <h1>Market</h1>
      <ErrorBox error={error} onClose={() => setError(null)} />
      {!m && !error && <p className="muted">reading the chains…</p>}
      {m && (
        <>
          <div className="grid2">
            <MultiLine title="Clearing price per data point, by device kind (THG)" series={m.prices} format={fmtAxis} testid="price-chart" />
            <BarChart title={`Fee flow over the last ${m.scanned} auction blocks`} bars={m.flow} format={fmt} testid="fee-chart" />
          </div>
          <h2>Open auctions ({m.open.length})</h2>
          <table data-testid="open-auctions">
            <thead><tr><th>device</th><th>kind</th><th>phase</th><th>bids</th><th>reserve / point</th><th>closes at block</th></tr></thead>
            <tbody>{m.open.map((a) => (
              <tr key={a.id}><td><Short value={a.device} n={6} /></td><td>{a.kind}</td><td>{a.phase}</td><td>{a.bids}</td><td>{enc.formatTHG(a.reserve)}</td><td>{a.closeHeight}</td></tr>
            ))}</tbody>
          </table>
          <div className="grid2">
            <Blocks title="Auction chain" blocks={m.aBlocks} testid="auction-blocks" />
            <Blocks title="Metadata chain" blocks={m.mBlocks} testid="metadata-blocks" />
          </div>
        </>
      )}
    </section>
  );
}

function Blocks({ title, blocks, testid }) {
  return (
    <div>
      <h2>{title}</h2>
      <table data-testid={testid}>
        <thead><tr><th>height</th><th>hash</th><th>txs</th><th>time</th><th>miner</th></tr></thead>
        <tbody>{blocks.map((b) => (
          <tr key={b.hash}>
            <td>{b.height}</td><td><Short value={b.hash} n={6} /></td>
            <td>{b.txCount}</td>
            <td>{new Date(b.time).toISOString().slice(11, 19)}</td>
            <td><Short value={b.miner} n={6} /></td>
          </tr>
        ))}</tbody>
      </table>
    </div>
  );
}
