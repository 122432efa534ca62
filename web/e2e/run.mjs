// End-to-end acceptance test of the web marketplace: a real regtest node
// (thingchain node --mine) with simulated devices (thingchain devicesim),
// driven in Debian's headless Chromium through playwright-core. It imports
// a CLI keystore file, filters to the devices, bids on them in one batch,
// watches the auctions settle and the keys arrive, opens a device's data
// chart and downloads its CSV, and visits the market page, asserting on
// what the page shows and that the browser console stays free of errors.
// Screenshots of each page go to a temporary folder whose path is printed.
//
//   node e2e/run.mjs            (builds ../cmd/thingchain unless THINGCHAIN_BIN is set)
//   CHROMIUM=/usr/bin/chromium  (default)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TMP = mkdtempSync(join(tmpdir(), 'thingchain-web-e2e-'));
const SHOTS = join(TMP, 'screenshots');
const DEVICES = 6;
const MIN_DEVICES = 5;
const procs = [];
let failed = false;

function log(...a) { console.log('[e2e]', ...a); }

function fail(msg) {
  failed = true;
  throw new Error(msg);
}

// waitFor polls cond (a function returning a truthy value) until it holds
// or the deadline passes: a wait on a condition, not a fixed sleep.
async function waitFor(what, cond, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function start(name, bin, args, env = {}) {
  const p = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  p.out = '';
  p.stdout.on('data', (d) => { p.out += d; });
  p.stderr.on('data', (d) => { p.out += d; });
  p.on('exit', (code) => { p.exited = code ?? 'signal'; });
  p.label = name;
  procs.push(p);
  return p;
}

async function main() {
  let bin = process.env.THINGCHAIN_BIN;
  if (!bin) {
    bin = join(TMP, 'thingchain');
    log('building the node');
    execFileSync('go', ['build', '-o', bin, './cmd/thingchain'], { cwd: ROOT, stdio: 'inherit' });
  }
  const data = join(TMP, 'node');
  const home = join(TMP, 'home');
  const env = { HOME: home, THINGCHAIN_PASSWORD: 'e2e password' };

  log('starting a regtest node');
  const node = start('node', bin, ['node', '--network', 'regtest', '--mine', '--datadir', data, '--rpc', '127.0.0.1:0', '--listen', 'off'], env);
  const info = await waitFor('the node to write node.json', () => {
    if (node.exited !== undefined) fail(`the node exited: ${node.out}`);
    return existsSync(join(data, 'node.json')) && JSON.parse(readFileSync(join(data, 'node.json')));
  }, 60_000);
  const url = info.rpc + '/';
  log('node API and web app at', url);

  log(`starting ${DEVICES} simulated devices`);
  const sim = start('devicesim', bin, ['devicesim', '--devices', String(DEVICES), '--datadir', data, '--network', 'regtest', '--dir', join(TMP, 'sim'), '--auction-poll', '500ms'], env);

  // A CLI keystore file, imported into the page below.
  execFileSync(bin, ['wallet', 'new', 'e2e', '--network', 'regtest'], { env: { ...process.env, ...env } });
  const keyDir = join(home, '.thingchain', 'wallets', 'regtest');
  const keyFile = join(keyDir, readdirSync(keyDir).find((f) => f.endsWith('.json')));

  await waitFor('the devices to check in', () => {
    if (sim.exited !== undefined) fail(`devicesim exited: ${sim.out}`);
    return sim.out.includes('serving device data');
  }, 120_000);

  const profile = join(TMP, 'profile');
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const consoleErrors = [];
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('dialog', (d) => d.accept());
  // Count the node API requests that ask auction.ofDevice: the device page
  // must ask for a whole page of rows in one batch, not one call per row.
  const ofDevice = { requests: 0, calls: 0, last: 0 };
  page.on('request', (r) => {
    if (r.method() !== 'POST' || !r.url().startsWith(url)) return;
    let body;
    try { body = JSON.parse(r.postData() || 'null'); } catch { return; }
    const calls = (Array.isArray(body) ? body : [body]).filter((c) => c && c.method === 'auction.ofDevice');
    if (calls.length) { ofDevice.requests++; ofDevice.calls += calls.length; ofDevice.last = calls.length; }
  });
  const shot = async (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  try {
    // Wallet: import the CLI keystore file and unlock it in the page.
    await page.goto(url + '#/wallet');
    await page.getByTestId('keystore-file').setInputFiles(keyFile);
    await page.getByTestId('keystore-password').fill(env.THINGCHAIN_PASSWORD);
    await page.getByTestId('unlock').click();
    const address = (await page.getByTestId('wallet-address').textContent({ timeout: 60_000 })).trim();
    const want = JSON.parse(readFileSync(keyFile)).address;
    if (address !== want) fail(`the page unlocked ${address}, the keystore file is ${want}`);
    log('keystore imported:', address);
    await shot('1-wallet');

    // Devices: the node filters; N ≥ 5 rows.
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('filter-input').fill('enabled=true region=');
    await page.getByTestId('filter-apply').click();
    await page.getByTestId('filter-input').fill('enabled=true');
    await page.getByTestId('filter-apply').click();
    const rows = page.getByTestId('device-row');
    await waitFor(`≥ ${MIN_DEVICES} device rows`, async () => (await rows.count()) >= MIN_DEVICES, 30_000);
    const n = await rows.count();
    const total = await page.getByTestId('device-total').textContent();
    if (!total.startsWith(`${n} device`)) fail(`the page shows ${n} rows but says "${total}"`);
    const firstRow = await rows.first().textContent();
    if (!/\(°C\)|\(%\)|\(W\)|\(kWh\)|\(km\/h\)/.test(await page.locator('.props').allTextContents().then((a) => a.join(' ')))) fail('no property with a unit on the device rows');
    log(`${n} devices listed; first: ${firstRow.slice(0, 60)}`);
    const phases = page.getByTestId('device-phase');
    await waitFor('every row\'s auction phase', async () => (await phases.allTextContents()).every((p) => p !== '…'), 30_000);
    const shown = await phases.allTextContents();
    if (shown.some((p) => p === '?')) fail(`the node could not say some rows' auction phase: ${shown.join(', ')}`);
    if (ofDevice.last !== n) fail(`auction.ofDevice: the last request asked for ${ofDevice.last} devices (${ofDevice.calls} calls in ${ofDevice.requests} requests) for ${n} rows; want one batch per page`);
    log(`auction phases of ${n} rows, one batch per page refresh (${ofDevice.calls} calls in ${ofDevice.requests} requests): ${[...new Set(shown)].join(', ')}`);
    await shot('2-devices');

    // Batch bid on the filter result: the plan before signing, then send.
    await page.getByTestId('bid-price').fill('0.01');
    await page.getByTestId('bid-review').click();
    await page.getByTestId('bid-plan').waitFor({ timeout: 30_000 });
    const planned = Number(await page.getByTestId('plan-count').textContent());
    if (planned < MIN_DEVICES) fail(`the plan bids on ${planned} devices, want ≥ ${MIN_DEVICES}`);
    const escrow = await page.getByTestId('plan-escrow').textContent();
    const worst = await page.getByTestId('plan-worst').textContent();
    log(`plan: ${planned} bids, escrow ${escrow}, worst case ${worst}`);
    await shot('3-batch-bid-plan');

    // Without coins the batch is refused before anything is signed, and
    // the page names the rule and what to do.
    await page.getByTestId('bid-send').click();
    const kind = await page.getByTestId('error-kind').textContent({ timeout: 30_000 });
    if (kind !== 'ErrInsufficientFunds') fail(`an unfunded batch bid shows error kind "${kind}", want ErrInsufficientFunds`);
    if (!/faucet/.test(await page.getByTestId('error').textContent())) fail('the insufficient-funds error does not say what to do');
    await shot('3b-error-insufficient-funds');

    await page.getByTestId('nav-wallet').click();
    await page.getByTestId('faucet').click();
    await waitFor('the faucet coins', async () => /^[1-9]/.test((await page.getByTestId('wallet-balance').textContent()) || ''), 60_000);

    await page.getByTestId('nav-devices').click();
    await waitFor(`≥ ${MIN_DEVICES} device rows again`, async () => (await rows.count()) >= MIN_DEVICES, 30_000);
    await page.getByTestId('bid-price').fill('0.01');
    await page.getByTestId('bid-review').click();
    await page.getByTestId('bid-plan').waitFor({ timeout: 30_000 });
    await page.getByTestId('bid-send').click();
    await page.getByTestId('bid-sent').waitFor({ timeout: 30_000 });

    // The bid book exports in the CLI's format: the CLI reads it back and
    // joins it with the chain (wallet auctions shows each bid's book state).
    await page.getByTestId('nav-wallet').click();
    const [book] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-bids').click()]);
    mkdirSync(join(keyDir, 'bids'), { recursive: true, mode: 0o700 });
    await book.saveAs(join(keyDir, 'bids', `${address}.json`));
    const cli = JSON.parse(execFileSync(bin, ['wallet', 'auctions', 'e2e', '--network', 'regtest', '--datadir', data, '--json'], { env: { ...process.env, ...env } }));
    const fromBook = (Array.isArray(cli) ? cli : cli.auctions || []).filter((a) => a.wallet_state);
    if (fromBook.length < planned) fail(`the CLI read ${fromBook.length} bids from the exported bid book, want ${planned}: ${JSON.stringify(cli).slice(0, 300)}`);
    log(`bid book exported; the CLI reads ${fromBook.length} bids from it`);

    // My auctions: live states until every key is delivered.
    await page.getByTestId('nav-auctions').click();
    const seen = new Set();
    await waitFor(`${planned} keys delivered`, async () => {
      const states = await page.getByTestId('auction-state').allTextContents();
      for (const s of states) seen.add(s.replace(/ at .*$/, ' at P'));
      return states.length >= planned && states.filter((s) => s === 'key delivered').length >= planned;
    }, 180_000);
    log('auction states seen:', [...seen].join(' → '));
    if (![...seen].some((s) => s === 'committed' || s === 'revealed' || s.startsWith('won'))) fail(`no intermediate state was shown (saw ${[...seen]})`);
    await shot('4-my-auctions');

    // Data: the delivered key opens the device's readings; chart and CSV.
    await page.getByTestId('open-data').first().click();
    await page.getByTestId('device-data').waitFor({ timeout: 30_000 });
    const charts = await page.getByTestId('chart').count();
    if (charts < 1) fail('no chart of the device data');
    if ((await page.locator('[data-testid=chart] path.series').count()) < 1) fail('the chart has no series drawn');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
    const csvPath = join(TMP, 'data.csv');
    await dl.saveAs(csvPath);
    const csv = readFileSync(csvPath, 'utf8').trim().split('\n');
    if (!csv[0].startsWith('time,') || csv.length < 3) fail(`CSV: ${csv.slice(0, 2).join(' | ')}`);
    log(`data: ${charts} charts, CSV ${csv.length - 1} rows, columns ${csv[0]}`);
    await shot('5-data');

    // Market: blocks of both chains, clearing prices, fee flow.
    await page.getByTestId('nav-market').click();
    await page.getByTestId('price-chart').waitFor({ timeout: 60_000 });
    await waitFor('a clearing price point', async () => (await page.locator('[data-testid=price-chart] circle').count()) > 0, 30_000);
    if ((await page.locator('[data-testid=auction-blocks] tbody tr').count()) < 1) fail('no auction-chain blocks listed');
    if ((await page.locator('[data-testid=metadata-blocks] tbody tr').count()) < 1) fail('no metadata-chain blocks listed');
    await shot('6-market');

    // Phone width.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('nav-devices').click();
    await waitFor('device rows at phone width', async () => (await rows.count()) >= MIN_DEVICES, 30_000);
    const box = await rows.first().boundingBox();
    if (!box || box.width > 390) fail(`a device row is ${box?.width}px wide at a 390px viewport`);
    await shot('7-devices-phone');

    // A key created in the page downloads a keystore file the CLI imports
    // and unlocks with the same password.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('nav-wallet').click();
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.getByTestId('create-name').fill('webkey');
    await page.getByTestId('create-password').fill('a browser password');
    const [made] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('create-key').click()]);
    const madePath = join(TMP, 'webkey.json');
    await made.saveAs(madePath);
    const madeAddr = (await page.getByTestId('wallet-address').textContent({ timeout: 30_000 })).trim();
    const cliEnv = { ...process.env, ...env, THINGCHAIN_PASSWORD: 'a browser password' };
    execFileSync(bin, ['wallet', 'import', '--file', madePath, '--network', 'regtest'], { env: cliEnv });
    const exported = execFileSync(bin, ['wallet', 'export', madeAddr, '--network', 'regtest'], { env: cliEnv }).toString();
    if (!/\b[0-9a-f]{64}\b/.test(exported)) fail(`the CLI could not unlock the key created in the page: ${exported}`);
    log('a key created in the page opens in the CLI:', madeAddr);

    if (consoleErrors.length) fail(`browser console errors:\n  ${consoleErrors.join('\n  ')}`);
  } catch (e) {
    await shot('failure').catch(() => {});
    throw e;
  } finally {
    await ctx.close();
  }
}

try {
  await main();
  log('PASS; screenshots in', SHOTS);
} catch (e) {
  failed = true;
  console.error('[e2e] FAIL:', e.message);
  for (const p of procs) console.error(`--- ${p.label} output (last 3000 chars) ---\n${p.out.slice(-3000)}`);
  console.error('[e2e] screenshots in', SHOTS);
} finally {
  for (const p of procs) if (p.exited === undefined) p.kill('SIGINT');
  await Promise.all(procs.map((p) => (p.exited !== undefined ? null : new Promise((r) => p.on('exit', r)))));
  if (!failed && !process.env.KEEP) {
    for (const d of ['node', 'home', 'sim', 'profile']) rmSync(join(TMP, d), { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
