import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { Subscriptions } from './lib/rpc.js';
import * as market from './lib/market.js';
import { loadBids, pending } from './lib/bidbook.js';
import { formatTHG } from './lib/encoding.js';
import { DevicesPage } from './pages/Devices.jsx';
import { WalletPage } from './pages/Wallet.jsx';
import { AuctionsPage } from './pages/Auctions.jsx';
import { DataPage } from './pages/Data.jsx';
import { MarketPage } from './pages/Market.jsx';
import { ErrorBox } from './components/ui.jsx';

const Ctx = createContext(null);
export const useApp = () => useContext(Ctx);

const PAGES = [
  ['devices', 'Devices'],
  ['auctions', 'My auctions'],
  ['data', 'Data'],
  ['market', 'Market'],
  ['wallet', 'Wallet'],
];

function useHashRoute() {
  const read = () => {
    const [page, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
    return { page: PAGES.some(([p]) => p === page) ? page : 'devices', arg: rest.join('/') };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App() {
  const route = useHashRoute();
  const [net, setNet] = useState(null);
  const [netError, setNetError] = useState(null);
  const [wallet, setWallet] = useState(null); // {privateKey, pub, address, name}
  const [heads, setHeads] = useState({ auction: null, metadata: null });
  const [live, setLive] = useState('connecting');
  const [watch, setWatch] = useState({ auctions: [], lastError: null, revealed: 0, balance: null });
  const [bookVersion, setBookVersion] = useState(0);
  const subs = useRef(null);

  useEffect(() => {
    market.loadNetwork().then(setNet, setNetError);
    // The tips as of now, until the subscriptions report new ones.
    market.tips().then((t) => setHeads((x) => ({ auction: x.auction ?? t.auction, metadata: x.metadata ?? t.metadata })), () => {});
    const s = new Subscriptions({ onStatus: setLive });
    subs.current = s;
    const offA = s.subscribe(['newHeads', 'auction'], (h) => h && setHeads((x) => ({ ...x, auction: market.headHeight(h) })));
    const offM = s.subscribe(['newHeads', 'metadata'], (h) => h && setHeads((x) => ({ ...x, metadata: market.headHeight(h) })));
    return () => { offA(); offM(); s.close(); };
  }, []);

  // The bidder's watcher: at every auction-chain head while the page is
  // open, refresh my auctions, reveal what is due and pay what is owed.
  const busy = useRef(false);
  const step = useCallback(async () => {
    if (!wallet || !net || busy.current) return;
    busy.current = true;
    try {
      const r = await market.revealDue(wallet, net);
      const auctions = await market.auctionsOf(wallet.address, net.hrp);
      await market.payDue(wallet, net, auctions);
      const acct = await market.account(wallet.address);
      setWatch((w) => ({ auctions, lastError: null, revealed: w.revealed + r.revealed, balance: acct.balance, height: auctions[0]?.height }));
      if (r.revealed || r.missed) setBookVersion((v) => v + 1);
    } catch (e) {
      setWatch((w) => ({ ...w, lastError: e }));
    } finally {
      busy.current = false;
    }
  }, [wallet, net]);
  useEffect(() => { step(); }, [step, heads.auction, bookVersion]);

  // Warn before closing while bids wait to be revealed.
  useEffect(() => {
    const on = (e) => {
      if (wallet && loadBids(wallet.address).some(pending)) {
        e.preventDefault();
        e.returnValue = 'Sealed bids still need to be revealed by this page; closing it forfeits their deposits unless you export the bid book and run `thingchain wallet watch`.';
        return e.returnValue;
      }
    };
    addEventListener('beforeunload', on);
    return () => removeEventListener('beforeunload', on);
  }, [wallet, bookVersion]);

  const value = { net, wallet, setWallet, heads, live, watch, refresh: step, bookVersion, bumpBook: () => setBookVersion((v) => v + 1), route };
  const pendingCount = wallet ? loadBids(wallet.address).filter(pending).length : 0;
  return (
    <Ctx.Provider value={value}>
      <header className="top">
        <a className="brand" href="#/devices">thingchain</a>
        <nav>
          {PAGES.map(([p, label]) => (
            <a key={p} href={`#/${p}`} className={route.page === p ? 'active' : ''} data-testid={`nav-${p}`}>{label}</a>
          ))}
        </nav>
        <div className="status" data-testid="status">
          <span className={`dot ${live}`} title={`subscriptions: ${live}`} />
          {net ? <span>{net.network}</span> : <span className="muted">…</span>}
          {heads.auction != null && <span className="muted"> · block {heads.auction}</span>}
          {wallet ? (
            <a href="#/wallet" className="who" data-testid="who">{wallet.name || 'key'} · {watch.balance != null ? formatTHG(watch.balance) : '…'}</a>
          ) : (
            <a href="#/wallet" className="who">no key</a>
          )}
        </div>
      </header>
      {pendingCount > 0 && (
        <div className="banner" data-testid="reveal-banner">
          {pendingCount} sealed bid{pendingCount > 1 ? 's' : ''} to reveal: keep this page open until they are revealed (it reveals automatically), or export the bid book from the Wallet page and run <code>thingchain wallet watch</code>.
        </div>
      )}
      <main>
        <ErrorBox error={netError} />
        {!net && !netError && <p className="muted">connecting to the node…</p>}
        {net && route.page === 'devices' && <DevicesPage />}
        {net && route.page === 'wallet' && <WalletPage />}
        {net && route.page === 'auctions' && <AuctionsPage />}
        {net && route.page === 'data' && <DataPage />}
        {net && route.page === 'market' && <MarketPage />}
      </main>
    </Ctx.Provider>
  );
}
