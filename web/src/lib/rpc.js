// rpc.js talks JSON-RPC 2.0 to the node that served the page: POST / for
// calls, a WebSocket on / for subscriptions (docs/api.md). Same origin
// only: the page never calls another node.

export class RPCError extends Error {
  constructor(method, err) {
    super(err.message || String(err));
    this.method = method;
    this.code = err.code;
    this.data = err.data;
    // The rule kind: error.data.kind when the node sends it, else the
    // "ErrX:" prefix of the message.
    this.kind = err.data?.kind || (/^(Err[A-Za-z0-9]+)\b/.exec(this.message) || [])[1] || '';
  }
}

let nextId = 1;

export async function call(method, params, { signal } = {}) {
  let res;
  try {
    res = await fetch('/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new RPCError(method, { code: -1, message: `cannot reach the node (${e.message}); is it still running?` });
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new RPCError(method, { code: res.status, message: `the node answered HTTP ${res.status} without JSON` });
  }
  if (body.error) throw new RPCError(method, body.error);
  return body.result;
}

// callBatch sends calls ([method, params] pairs) as JSON-RPC 2.0 batches
// of up to 100 (the node's batch limit), one POST each, and returns one
// entry per call in order: {result} or {error: RPCError}. A list of rows
// costs one request rather than one per row.
export async function callBatch(calls, { signal } = {}) {
  const out = [];
  for (let i = 0; i < calls.length; i += 100) {
    const part = calls.slice(i, i + 100);
    const first = nextId;
    nextId += part.length;
    const body = part.map(([method, params], j) => ({ jsonrpc: '2.0', id: first + j, method, params }));
    let res;
    try {
      res = await fetch('/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new RPCError(part[0][0], { code: -1, message: `cannot reach the node (${e.message}); is it still running?` });
    }
    let replies;
    try {
      replies = await res.json();
    } catch {
      throw new RPCError(part[0][0], { code: res.status, message: `the node answered HTTP ${res.status} without JSON` });
    }
    // A batch the node refuses as a whole comes back as one error.
    if (!Array.isArray(replies)) throw new RPCError(part[0][0], replies.error || { code: res.status, message: 'the node refused the batch' });
    const byId = new Map(replies.map((r) => [r.id, r]));
    part.forEach(([method], j) => {
      const r = byId.get(first + j);
      if (!r) out.push({ error: new RPCError(method, { code: -1, message: 'no answer in the batch' }) });
      else if (r.error) out.push({ error: new RPCError(method, r.error) });
      else out.push({ result: r.result });
    });
  }
  return out;
}

// Subscriptions over one WebSocket, reconnecting with back-off; each
// subscription is re-made after a reconnect and onEvent(null) tells the
// caller to refresh (events may have been missed meanwhile).
export class Subscriptions {
  constructor({ onStatus } = {}) {
    this.subs = new Map(); // key -> {params, onEvent, id}
    this.pending = new Map();
    this.onStatus = onStatus || (() => {});
    this.delay = 500;
    this.closed = false;
    this.connect();
  }

  connect() {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.onStatus('live');
      for (const [key, s] of this.subs) this.send(key, s);
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg.id != null && this.pending.has(msg.id)) {
        const key = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        const s = this.subs.get(key);
        if (s && msg.result) { s.id = msg.result; s.onEvent(null); }
        return;
      }
      if (msg.method === 'subscription') {
        for (const s of this.subs.values()) if (s.id === msg.params.subscription) s.onEvent(msg.params.result);
      }
    };
    ws.onclose = () => {
      if (this.closed) return;
      this.onStatus('reconnecting');
      for (const s of this.subs.values()) s.id = null;
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10_000);
    };
  }

  send(key, s) {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const id = nextId++;
    this.pending.set(id, key);
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'subscribe', params: s.params }));
  }

  // subscribe(['newHeads', 'auction'], fn) returns an unsubscribe function.
  subscribe(params, onEvent) {
    const key = Symbol(params.join(' '));
    const s = { params, onEvent, id: null };
    this.subs.set(key, s);
    this.send(key, s);
    return () => {
      this.subs.delete(key);
      if (s.id && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'unsubscribe', params: [s.id] }));
      }
    };
  }

  close() {
    this.closed = true;
    this.ws.close();
  }
}

// advice turns a node error into what the user should do.
export function advice(err) {
  const kind = err?.kind || '';
  const table = {
    ErrInsufficientFunds: 'Your balance does not cover the deposits and fees: lower the price, bid on fewer devices, or get coins (faucet on test networks).',
    ErrBadNonce: 'Another transaction from this key got there first. Try again: the page asks the node for the next nonce.',
    ErrTxBadSig: 'The node rejected the signature. Reload the page and unlock the key again.',
    ErrReplacementUnderpriced: 'A transaction with the same nonce is pending; wait for it to be mined.',
  };
  if (table[kind]) return table[kind];
  if (err?.code === -32005) return 'The node is rate-limiting this browser; wait a moment.';
  if (err?.code === -1) return 'Check that the node is running, then reload.';
  if (kind) return 'The node refused this under rule ' + kind + '; see docs/consensus.md for the rule.';
  return '';
}
