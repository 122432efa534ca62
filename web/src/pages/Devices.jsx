import { useEffect, useState } from 'react';
import { useApp } from '../App.jsx';
import { parseFilter } from '../lib/filter.js';
import * as market from '../lib/market.js';
import { formatTHG, parseTHG } from '../lib/encoding.js';
import { ErrorBox, Short } from '../components/ui.jsx';

const PAGE = 25;
const EXAMPLES = ['enabled=true', 'kind=thermostat region=EU', 'prop:temperature_c=number', 'max-reserve=30000 enabled=true'];

// The Devices page: the node filters (registry.devices, the same filter
// language as `thingchain devices list --filter`) and pages; the page
// shows each device's Thing Description properties, terms, the phase of
// its latest auction and its strikes, and bids on a batch of them.
export function DevicesPage() {
  const { net, heads } = useApp();
  const [text, setText] = useState(() => sessionStorage.getItem('thingchain.filter') ?? 'enabled=true');
  const [filter, setFilter] = useState(null);
  const [offset, setOffset] = useState(0);
  const [res, setRes] = useState(null);
  const [phases, setPhases] = useState({});
  const [error, setError] = useState(null);
  const [ticked, setTicked] = useState(() => new Set());
  const [open, setOpen] = useState(null);

  function apply(t = text) {
    setError(null);
    try {
      const f = parseFilter(t);
      sessionStorage.setItem('thingchain.filter', t);
      setFilter(f);
      setOffset(0);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => apply(), []);

  useEffect(() => {
    if (!filter) return;
    let stop = false;
    market.listDevices(filter, offset, PAGE, net.hrp).then((r) => {
      if (stop) return;
      setRes(r);
      market.auctionPhases(r.devices.map((d) => d.device))
        .then((p) => !stop && setPhases(p), () => !stop && setPhases(Object.fromEntries(r.devices.map((d) => [d.device, '?']))));
    }, (e) => !stop && setError(e));
    return () => { stop = true; };
  }, [filter, offset, heads.metadata, Math.floor((heads.auction || 0) / 2)]);

  const toggle = (d) => setTicked((s) => { const n = new Set(s); n.has(d) ? n.delete(d) : n.add(d); return n; });

  return (
    <section>
      <h1>Devices</h1>
      <form className="filter" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <input value={text} onChange={(e) => setText(e.target.value)} aria-label="filter" data-testid="filter-input"
          placeholder="kind=thermostat region=EU enabled=true max-reserve=30000 prop:NAME=number meta:FIELD=value" />
        <button type="submit" data-testid="filter-apply">Filter</button>
      </form>
      <div className="examples muted">Same filters as <code>thingchain devices list --filter</code>: kind, model, oem, region (prefix), enabled, max-reserve (base units), prop:NAME[=type], meta:FIELD=value. Try {EXAMPLES.map((x) => <button key={x} className="chip" onClick={() => { setText(x); apply(x); }}>{x}</button>)}</div>
      <ErrorBox error={error} onClose={() => setError(null)} />
      {res && (
        <>
          <div className="row between">
            <span data-testid="device-total">{res.total} device{res.total === 1 ? '' : 's'} match</span>
            <span className="pager">
              <button className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>‹ prev</button>
              <span>{res.total ? `${offset + 1}–${Math.min(offset + PAGE, res.total)}` : '0'}</span>
              <button className="secondary" disabled={offset + PAGE >= res.total} onClick={() => setOffset(offset + PAGE)} data-testid="next-page">next ›</button>
            </span>
          </div>
          <table className="devices">
            <thead>
              <tr><th /><th>device</th><th>region</th><th>properties</th><th>reserve / point</th><th>auction</th><th title="strikes: key deliveries this device missed">missed deliveries</th></tr>
            </thead>
            <tbody>
              {res.devices.map((d) => (
                <tr key={d.device} data-testid="device-row" data-device={d.device}>
                  <td><input type="checkbox" checked={ticked.has(d.device)} onChange={() => toggle(d.device)} aria-label={`select ${d.title}`} data-testid="device-tick" /></td>
                  <td data-label="device">
                    <button className="link" onClick={() => setOpen(open === d.device ? null : d.device)}>{d.title}</button>
                    <div className="muted">{d.kind} · {d.model} · <Short value={d.device} n={6} /></div>
                  </td>
                  <td data-label="region">{d.region}</td>
                  <td data-label="properties" className="props">
                    {d.properties.map((p) => <span key={p.name} className="prop" title={p.description}>{p.name}{p.unit ? ` (${p.unit})` : ''}</span>)}
                  </td>
                  <td data-label="reserve">{formatTHG(d.reserve)}<div className="muted">{String(d.points)} points / {Math.round(d.periodSeconds / 60)} min</div></td>
                  <td data-label="auction" data-testid="device-phase">{phaseLabel(phases[d.device])}</td>
                  <td data-label="missed deliveries" title="strikes: key deliveries this device missed">{d.strikes}</td>
                </tr>
              ))}
              {res.devices.map((d) => open === d.device && (
                <tr key={d.device + '-td'} className="detail"><td colSpan="7"><DeviceDetail d={d} /></td></tr>
              ))}
            </tbody>
          </table>
          <BatchBid filter={filter} total={res.total} ticked={ticked} clearTicked={() => setTicked(new Set())} />
        </>
      )}
    </section>
  );
}

function phaseLabel(p) {
  if (p == null) return '…';
  if (p === 'none') return 'no auction yet';
  return p.replace(/_/g, ' ');
}

function DeviceDetail({ d }) {
  return (
    <div className="detail-box">
      <div>Owner <span className="mono">{d.owner || '–'}</span> · OEM <Short value={d.oem} /> · {d.enabled ? 'enabled' : 'not enabled'}</div>
      <table className="mini">
        <thead><tr><th>property</th><th>type</th><th>unit</th><th>description</th></tr></thead>
        <tbody>{d.properties.map((p) => <tr key={p.name}><td>{p.name}</td><td>{p.type}</td><td>{p.unit}</td><td>{p.description}</td></tr>)}</tbody>
      </table>
      {d.metadata && <pre className="meta">{JSON.stringify(d.metadata, null, 1)}</pre>}
    </div>
  );
}

async function allMatching(filter, hrp) {
  const out = [];
  for (let off = 0; ; off += 1000) {
    const r = await market.listDevices(filter, off, 1000, hrp);
    out.push(...r.devices.map((d) => d.device));
    if (off + 1000 >= r.total) return out;
  }
}

// BatchBid: one maximum price per data point for the filter result or the
// ticked devices; the plan shows count, escrow and worst case before
// anything is signed; one click sends every commit transaction.
function BatchBid({ filter, total, ticked, clearTicked }) {
  const { net, wallet, bumpBook, refresh } = useApp();
  const [which, setWhich] = useState('filter');
  const [price, setPrice] = useState('0.0005');
  const [plan, setPlan] = useState(null);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(null);
  const [sent, setSent] = useState(null);
  const useTicked = which === 'ticked' && ticked.size > 0;

  async function review() {
    setError(null); setSent(null); setPlan(null);
    try {
      const max = parseTHG(price);
      if (max <= 0n) throw new Error('the maximum price per point must be positive');
      setBusy('checking each device’s auction…');
      const devices = useTicked ? [...ticked] : await allMatching(filter, net.hrp);
      setPlan(await market.planBids(wallet, devices, max, net));
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  }

  async function send() {
    setError(null);
    try {
      setBusy('signing and sending…');
      const ids = await market.sendBids(wallet, plan, net, (p) => setBusy(`sent ${p.sent} of ${p.of} transactions…`));
      setSent({ ids, count: plan.bids.length });
      setPlan(null);
      clearTicked();
      bumpBook();
      refresh();
    } catch (e) {
      setError(e);
      bumpBook();
    } finally {
      setBusy('');
    }
  }

  return (
    <div className="card batch" data-testid="batch-bid">
      <h2>Batch bid</h2>
      {!wallet ? <p>Unlock or create a key on the <a href="#/wallet">Wallet</a> page to bid.</p> : (
        <>
          <div className="row">
            <label><input type="radio" checked={which === 'filter'} onChange={() => setWhich('filter')} /> all {total} matching the filter</label>
            <label><input type="radio" checked={which === 'ticked'} onChange={() => setWhich('ticked')} disabled={ticked.size === 0} /> the {ticked.size} ticked</label>
          </div>
          <div className="row">
            <label>maximum price per data point (THG) <input value={price} onChange={(e) => { setPrice(e.target.value); setPlan(null); }} data-testid="bid-price" inputMode="decimal" /></label>
            <button onClick={review} disabled={!!busy} data-testid="bid-review">Review</button>
          </div>
          <p className="muted">Sealed second-price auctions: bid what a data point is worth to you; the winner pays the second-highest bid. Each bid escrows its whole maximum price (a full deposit), so a won auction needs no payment step and a lost one is refunded.</p>
        </>
      )}
      {busy && <div className="progress">{busy}</div>}
      <ErrorBox error={error} onClose={() => setError(null)} />
      {plan && (
        <div className="plan" data-testid="bid-plan">
          <div className="figures">
            <div><span>devices</span><b data-testid="plan-count">{plan.bids.length}</b></div>
            <div><span>transactions</span><b>{plan.txs}</b></div>
            <div><span>total escrow</span><b data-testid="plan-escrow">{formatTHG(plan.escrow)}</b></div>
            <div><span>fees</span><b>{formatTHG(plan.fees)}</b></div>
            <div><span>worst case (all won at your maximum)</span><b data-testid="plan-worst">{formatTHG(plan.worstCase)}</b></div>
          </div>
          {plan.skipped.length > 0 && (
            <details><summary>{plan.skipped.length} skipped</summary>
              <ul>{plan.skipped.map((s) => <li key={s.device}><Short value={s.device} />: {s.reason}</li>)}</ul>
            </details>
          )}
          <button disabled={plan.bids.length === 0 || !!busy} onClick={send} data-testid="bid-send">Sign and send {plan.bids.length} sealed bids</button>
        </div>
      )}
      {sent && <div className="note" data-testid="bid-sent">Sent {sent.count} sealed bids in {sent.ids.length} transaction{sent.ids.length > 1 ? 's' : ''}. Follow them on <a href="#/auctions">My auctions</a>; this page reveals them when their reveal phase opens.</div>}
    </div>
  );
}
