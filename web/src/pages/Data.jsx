import { useEffect, useMemo, useState } from 'react';
import { useApp } from '../App.jsx';
import * as market from '../lib/market.js';
import { ErrorBox, Short, download, timeLeft } from '../components/ui.jsx';
import { LineChart } from '../components/Chart.jsx';

// Data: the access keys delivered to this key, opened in the browser
// (ECIES), and a device's readings fetched from its own endpoint with
// that key, one chart per numeric property (units from the TD), as CSV or
// JSON.
export function DataPage() {
  const { net, wallet, watch, route } = useApp();
  const [sel, setSel] = useState(route.arg || '');
  const [device, setDevice] = useState(null);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const keys = useMemo(() => {
    if (!wallet) return [];
    return watch.auctions.filter((a) => a.delivery && a.delivery.winner === wallet.address).map((a) => {
      try { return { ...market.accessKey(wallet, a), ok: true }; } catch (e) { return { auction: a.id, device: a.device, ok: false, error: e, expires: a.delivery.expires }; }
    });
  }, [wallet, watch.auctions]);

  useEffect(() => { if (route.arg) setSel(route.arg); }, [route.arg]);
  useEffect(() => {
    const k = keys.find((x) => x.auction === sel);
    if (!k || !k.ok) return;
    let stop = false;
    setError(null); setData(null); setBusy(true);
    (async () => {
      const d = await market.getDevice(k.device, net.hrp);
      if (!d) throw new Error('the device is not in the registry');
      if (stop) return;
      setDevice(d);
      const to = new Date(Math.min(Date.now(), k.expires));
      const from = new Date(to.getTime() - 24 * 3600 * 1000);
      const body = await market.fetchData(d, k.token, { from: iso(from), to: iso(to) });
      if (!stop) setData(body);
    })().catch((e) => !stop && setError(e)).finally(() => !stop && setBusy(false));
    return () => { stop = true; };
  }, [sel, keys.length]);

  if (!wallet) return <section><h1>Data</h1><p>Unlock a key on the <a href="#/wallet">Wallet</a> page.</p></section>;
  const numeric = device ? device.properties.filter((p) => p.type === 'number' || p.type === 'integer') : [];
  const readings = data?.readings || [];
  return (
    <section>
      <h1>Data</h1>
      {keys.length === 0 && <p className="muted">No access keys yet. Won auctions appear here once the device delivers its key.</p>}
      <ul className="keys">
        {keys.map((k) => (
          <li key={k.auction} data-testid="access-key">
            <button className={sel === k.auction ? 'active' : 'secondary'} onClick={() => { location.hash = `#/data/${k.auction}`; setSel(k.auction); }} disabled={!k.ok}>
              device <Short value={k.device} n={6} />
            </button>{' '}
            {k.ok ? <span className="muted">access {k.expires > Date.now() ? `expires in ${timeLeft(k.expires - Date.now())}` : 'expired'}</span> : <span className="bad">{k.error.message}</span>}
          </li>
        ))}
      </ul>
      <ErrorBox error={error} onClose={() => setError(null)} />
      {busy && <p className="progress">fetching readings from the device…</p>}
      {device && data && (
        <div data-testid="device-data">
          <h2>{device.title}</h2>
          <div className="row">
            <span>{readings.length} readings, every {data.interval}</span>
            <button onClick={() => download(`${device.kind}-${device.device.slice(0, 10)}.csv`, 'text/csv', toCSV(device, readings))} data-testid="download-csv">Download CSV</button>
            <button className="secondary" onClick={() => download(`${device.kind}-${device.device.slice(0, 10)}.json`, 'application/json', JSON.stringify(data, null, 2))} data-testid="download-json">Download JSON</button>
          </div>
          <div className="charts">
            {numeric.map((p) => (
              <LineChart key={p.name} title={p.name} unit={p.unit} testid="chart"
                points={readings.filter((r) => typeof r.values?.[p.name] === 'number').map((r) => ({ t: Date.parse(r.time), v: r.values[p.name] }))} />
            ))}
          </div>
        </div>
      )}
    </section>
  );
}

const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function csvCell(v) {
  const s = v == null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCSV(device, readings) {
  const names = device.properties.map((p) => p.name);
  const head = ['time', ...device.properties.map((p) => (p.unit ? `${p.name} (${p.unit})` : p.name))];
  const lines = [head.map(csvCell).join(',')];
  for (const r of readings) lines.push([r.time, ...names.map((n) => r.values?.[n])].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}
