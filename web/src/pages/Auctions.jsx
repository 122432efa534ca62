import { useEffect, useState } from 'react';
import { useApp } from '../App.jsx';
import { stateOf } from '../lib/market.js';
import { loadBids, pending } from '../lib/bidbook.js';
import { formatTHG } from '../lib/encoding.js';
import { ErrorBox, Short, timeLeft } from '../components/ui.jsx';

function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), ms); return () => clearInterval(t); }, [ms]);
  return now;
}

// My auctions: every auction this key bid in, live (the app refreshes at
// each auction-chain head from the newHeads subscription): committed →
// revealed → won at P / lost, refunded → key delivered → expires in ….
export function AuctionsPage() {
  const { wallet, watch, bookVersion } = useApp();
  const now = useNow();
  if (!wallet) return <section><h1>My auctions</h1><p>Unlock a key on the <a href="#/wallet">Wallet</a> page.</p></section>;
  const book = loadBids(wallet.address);
  const byId = new Map(book.map((r) => [r.auction, r]));
  const onChain = new Set(watch.auctions.map((a) => a.id));
  const rows = [
    ...watch.auctions.map((a) => ({ a, r: byId.get(a.id) })),
    ...book.filter((r) => !onChain.has(r.auction) && r.state !== 'missed').map((r) => ({ a: null, r })),
  ].reverse();
  const toReveal = book.filter(pending).length;
  return (
    <section key={bookVersion}>
      <h1>My auctions</h1>
      {toReveal > 0 && <p className="warn" data-testid="to-reveal">{toReveal} bid{toReveal > 1 ? 's' : ''} still sealed: this page reveals them as soon as their reveal phase opens. Closing it before then forfeits their deposits, unless the CLI carries on (<a href="#/wallet">export the bid book</a>, then <code>thingchain wallet watch</code>).</p>}
      <ErrorBox error={watch.lastError} />
      {rows.length === 0 && <p className="muted">No bids yet: choose devices on the <a href="#/devices">Devices</a> page.</p>}
      <table className="auctions">
        <thead><tr><th>device</th><th>auction</th><th>state</th><th>my bid / point</th><th>price / point</th><th>in escrow</th><th>phase / when</th></tr></thead>
        <tbody>
          {rows.map(({ a, r }) => {
            const st = stateOf(a, wallet.address, r);
            const id = a?.id || r.auction;
            return (
              <tr key={id} data-testid="auction-row" data-auction={id} data-state={st.label}>
                <td data-label="device"><Short value={a?.device || r.device} n={6} /></td>
                <td data-label="auction"><Short value={id} n={6} /></td>
                <td data-label="state"><span className={`badge ${st.tone}`} data-testid="auction-state">{st.label}</span></td>
                <td data-label="my bid">{formatTHG(a?.bid?.amountPerPoint || r?.amountPerPoint || 0)}</td>
                <td data-label="price" data-testid="auction-price">{a?.pricePerPoint > 0n ? formatTHG(a.pricePerPoint) : '–'}</td>
                <td data-label="in escrow">{formatTHG(a?.bid?.deposit ?? r?.deposit ?? 0)}</td>
                <td data-label="when">{when(a, now)}{a?.delivery && a.delivery.winner === wallet.address && <> · <a href={`#/data/${id}`} data-testid="open-data">open data</a></>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function when(a, now) {
  if (!a) return 'waiting for a block';
  const h = a.height + 1;
  if (a.phase === 'commit') return `commit · reveal opens at block ${a.commitEnd} (in ${a.commitEnd - h + 1})`;
  if (a.phase === 'reveal') return `reveal · closes after block ${a.closeHeight}`;
  if (a.delivery) return a.delivery.expires > now ? `access expires in ${timeLeft(a.delivery.expires - now)}` : 'access expired';
  if (a.phase === 'awaiting_delivery') return `key due by block ${a.deliveryDeadline}`;
  if (a.phase === 'awaiting_payment') return `payment due by block ${a.payDeadline}`;
  return a.phase.replace('_', ' ');
}
