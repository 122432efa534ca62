// LineChart draws one numeric series as SVG: no library, scales to its
// container (viewBox), axes with min/max and first/last time.
export function LineChart({ title, unit, points, testid }) {
  const W = 600, H = 200, L = 56, R = 10, T = 12, B = 28;
  if (!points.length) return <div className="chart empty">no readings</div>;
  const xs = points.map((p) => p.t);
  const ys = points.map((p) => p.v);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const sx = (x) => L + ((x - x0) / Math.max(1, x1 - x0)) * (W - L - R);
  const sy = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.t).toFixed(1)},${sy(p.v).toFixed(1)}`).join('');
  const fmt = (v) => (Math.abs(v) >= 1000 ? v.toFixed(0) : +v.toPrecision(4));
  const time = (t) => new Date(t).toISOString().slice(11, 16);
  return (
    <figure className="chart" data-testid={testid || 'chart'}>
      <figcaption>{title}{unit ? ` (${unit})` : ''}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} over time`}>
        <line x1={L} y1={H - B} x2={W - R} y2={H - B} className="axis" />
        <line x1={L} y1={T} x2={L} y2={H - B} className="axis" />
        <text x={L - 6} y={T + 4} textAnchor="end">{fmt(y1)}</text>
        <text x={L - 6} y={H - B} textAnchor="end">{fmt(y0)}</text>
        <text x={L} y={H - 8}>{time(x0)}</text>
        <text x={W - R} y={H - 8} textAnchor="end">{time(x1)} UTC</text>
        <path d={d} className="series" />
      </svg>
    </figure>
  );
}

// BarChart: labelled bars (clearing prices per kind, fee flow).
export function BarChart({ title, bars, format = (v) => String(v), testid }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <figure className="chart" data-testid={testid || 'bar-chart'}>
      <figcaption>{title}</figcaption>
      {bars.length === 0 && <div className="muted">nothing yet</div>}
      <div className="bars">
        {bars.map((b) => (
          <div className="bar-row" key={b.label}>
            <span className="bar-label">{b.label}</span>
            <svg viewBox="0 0 100 10" preserveAspectRatio="none" className="bar"><rect x="0" y="0" height="10" width={(100 * b.value) / max} /></svg>
            <span className="bar-value">{format(b.value)}</span>
          </div>
        ))}
      </div>
    </figure>
  );
}

// MultiLine: several series on one time axis (clearing price per kind).
export function MultiLine({ title, series, format = (v) => String(v), testid }) {
  const W = 600, H = 220, L = 84, R = 10, T = 12, B = 28;
  const all = series.flatMap((s) => s.points);
  if (!all.length) return <figure className="chart" data-testid={testid}><figcaption>{title}</figcaption><div className="muted">no settled auctions yet</div></figure>;
  const x0 = Math.min(...all.map((p) => p.t)), x1 = Math.max(...all.map((p) => p.t));
  const y1 = Math.max(...all.map((p) => p.v)) * 1.1 || 1;
  const sx = (x) => L + ((x - x0) / Math.max(1, x1 - x0)) * (W - L - R);
  const sy = (y) => T + (1 - y / y1) * (H - T - B);
  return (
    <figure className="chart" data-testid={testid}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        <line x1={L} y1={H - B} x2={W - R} y2={H - B} className="axis" />
        <line x1={L} y1={T} x2={L} y2={H - B} className="axis" />
        <text x={L - 6} y={T + 4} textAnchor="end">{format(y1)}</text>
        <text x={L - 6} y={H - B} textAnchor="end">0</text>
        <text x={L} y={H - 8}>block {x0}</text>
        <text x={W - R} y={H - 8} textAnchor="end">block {x1}</text>
        {series.map((s, i) => (
          <g key={s.name} className={`c${i % 6}`}>
            <path className="series" d={s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p.t).toFixed(1)},${sy(p.v).toFixed(1)}`).join('')} />
            {s.points.map((p, j) => <circle key={j} cx={sx(p.t)} cy={sy(p.v)} r="3" />)}
          </g>
        ))}
      </svg>
      <div className="legend">{series.map((s, i) => <span key={s.name} className={`c${i % 6}`}>■ {s.name}</span>)}</div>
    </figure>
  );
}
