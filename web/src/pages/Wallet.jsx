import { useEffect, useState } from 'react';
import { useApp } from '../App.jsx';
import { decryptKeyFile, encryptKeyFile, checkKeyFile } from '../lib/keystore.js';
import { randomPrivateKey } from '../lib/tx.js';
import { wallet as makeWallet, faucet as requestFaucet } from '../lib/market.js';
import { formatTHG, parseTHG } from '../lib/encoding.js';
import { loadBids, exportBidBook, pending } from '../lib/bidbook.js';
import { ErrorBox, download } from '../components/ui.jsx';

const STORE = 'thingchain.keystore.';

// The Wallet page: keys live in this browser only. A key is created here
// or imported from a CLI keystore file; the encrypted file is kept in
// localStorage, the decrypted key only in memory while the page is open.
export function WalletPage() {
  const { net, wallet, setWallet, watch, bumpBook } = useApp();
  const [file, setFile] = useState(null);
  const [password, setPassword] = useState('');
  const [name, setName] = useState('web');
  const [progress, setProgress] = useState(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState('');
  const stored = Object.keys(localStorage).filter((k) => k.startsWith(STORE)).map((k) => JSON.parse(localStorage.getItem(k)));

  async function unlock(kf) {
    setError(null);
    try {
      checkKeyFile(kf);
      if (!kf.address.startsWith(net.hrp + '1')) throw new Error(`this key file is for another network (address ${kf.address}); the node runs ${net.network}`);
      setProgress(0);
      const k = await decryptKeyFile(kf, password, (p) => setProgress(p));
      localStorage.setItem(STORE + kf.address, JSON.stringify(kf));
      setWallet({ ...makeWallet(k, net.hrp), name: kf.name });
      setPassword('');
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  }

  async function onFile(ev) {
    setError(null);
    const f = ev.target.files?.[0];
    if (!f) return;
    try {
      setFile(JSON.parse(await f.text()));
    } catch (e) {
      setError(new Error(`${f.name} is not a keystore file (${e.message})`));
    }
  }

  async function create() {
    setError(null);
    if (password.length < 8) return setError(new Error('choose a password of at least 8 characters: it protects the key file'));
    try {
      const k = randomPrivateKey();
      setProgress(0);
      const kf = await encryptKeyFile(k, name || 'web', net.hrp, password, undefined, (p) => setProgress(p));
      localStorage.setItem(STORE + kf.address, JSON.stringify(kf));
      setWallet({ ...makeWallet(k, net.hrp), name: kf.name });
      download(`${kf.name}.json`, 'application/json', JSON.stringify(kf, null, 2) + '\n');
      setNote('Key created. Its encrypted keystore file was downloaded: keep it as your backup (thingchain wallet import FILE reads it).');
      setPassword('');
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  }

  async function faucet() {
    setError(null);
    try {
      const txid = await requestFaucet(wallet.address, parseTHG('100'));
      setNote(`Faucet sent 100 THG (transaction ${txid}); it arrives with the next block.`);
    } catch (e) {
      setError(e);
    }
  }

  function exportBook() {
    const bids = loadBids(wallet.address);
    download(`${wallet.address}.json`, 'application/json', exportBidBook(wallet.address, bids));
    setNote(`Bid book exported (${bids.length} bids). Put it in the CLI keystore as bids/${wallet.address}.json and run thingchain wallet watch to keep revealing.`);
  }

  return (
    <section>
      <h1>Wallet</h1>
      <p className="muted">Keys never leave this browser: the page signs transactions itself and sends only signed transactions to the node. The encrypted key file is kept in this browser's storage; the unlocked key lives in memory until you close or lock the page.</p>
      <ErrorBox error={error} onClose={() => setError(null)} />
      {note && <div className="note" data-testid="wallet-note">{note}</div>}
      {wallet ? (
        <div className="card" data-testid="wallet-card">
          <div><b>{wallet.name}</b> <span className="mono" data-testid="wallet-address">{wallet.address}</span></div>
          <div>Balance <b data-testid="wallet-balance">{watch.balance != null ? formatTHG(watch.balance) : '…'}</b></div>
          <div className="row">
            {net.network !== 'main' && <button onClick={faucet} data-testid="faucet">Get 100 test THG</button>}
            <button onClick={exportBook} data-testid="export-bids">Export bid book ({loadBids(wallet.address).filter(pending).length} to reveal)</button>
            <button className="secondary" onClick={() => { setWallet(null); bumpBook(); }}>Lock</button>
          </div>
        </div>
      ) : (
        <div className="grid2">
          <div className="card">
            <h2>Import a keystore file</h2>
            <p className="muted">A file from <code>thingchain wallet new</code> (in ~/.thingchain/wallets/{net.network}/), or one this page created.</p>
            <input type="file" accept=".json,application/json" onChange={onFile} data-testid="keystore-file" />
            {stored.length > 0 && (
              <div className="row">
                {stored.map((kf) => <button key={kf.address} className="secondary" onClick={() => setFile(kf)}>{kf.name} {kf.address.slice(0, 12)}…</button>)}
              </div>
            )}
            {file && <div className="muted">key <b>{file.name}</b> {file.address}</div>}
            <input type="password" placeholder="password" value={password} onChange={(e) => setPassword(e.target.value)} data-testid="keystore-password"
              onKeyDown={(e) => e.key === 'Enter' && file && unlock(file)} />
            <button disabled={!file || progress != null} onClick={() => unlock(file)} data-testid="unlock">Unlock</button>
          </div>
          <div className="card">
            <h2>Create a key</h2>
            <input placeholder="name" value={name} onChange={(e) => setName(e.target.value)} data-testid="create-name" />
            <input type="password" placeholder="password (8+ characters)" value={password} onChange={(e) => setPassword(e.target.value)} data-testid="create-password" />
            <button disabled={progress != null} onClick={create} data-testid="create-key">Create and download the key file</button>
          </div>
        </div>
      )}
      {progress != null && (
        <div className="progress" data-testid="kdf-progress">deriving the key from the password (scrypt)… <progress value={progress} max="1" /></div>
      )}
    </section>
  );
}
