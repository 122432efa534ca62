import { advice } from '../lib/rpc.js';

// ErrorBox shows a node or page error: the rule kind when the node named
// one, the message, and what to do.
export function ErrorBox({ error, onClose }) {
  if (!error) return null;
  const hint = advice(error);
  return (
    <div className="error" role="alert" data-testid="error">
      {error.kind && <span className="kind" data-testid="error-kind">{error.kind}</span>}
      <span>{error.message}</span>
      {hint && <div className="hint">{hint}</div>}
      {onClose && <button className="link" onClick={onClose}>dismiss</button>}
    </div>
  );
}

export function Short({ value, n = 8 }) {
  if (!value) return <span className="muted">–</span>;
  return <span className="mono" title={value}>{value.length > 2 * n + 1 ? `${value.slice(0, n)}…${value.slice(-6)}` : value}</span>;
}

export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function timeLeft(ms) {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} days`;
}
