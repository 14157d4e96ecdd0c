import { test, expect, Browser, TestInfo } from '@playwright/test';
import * as fs from 'fs';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots } from './helpers';

// A guest's first page (issue 11, part 10): what a browser with an empty cache transfers to
// show a shared link's landing page, hydrated, in its portal's brand (HTML, wasm, JS, CSS,
// theme and logo), measured as Chromium counts it on the wire. The budget holds for the
// release front end (scripts/build-site --release, which the README's commands serve); the
// console's sign-in page, loaded the same way in the same run, is the reference.

const BUDGET = 250_000;

type Transfer = { path: string; bytes: number; encoding: string };

/** Opens `path` in a new browser context (an empty cache) and lists every response with
 * the bytes it took on the wire (headers and body), once the page has hydrated and the
 * network is idle. */
async function coldLoad(browser: Browser, path: string, info: TestInfo, name: string, status = 200): Promise<Transfer[]> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await installHydrationProbe(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map<string, { path: string; encoding: string }>();
  const files: Transfer[] = [];
  cdp.on('Network.responseReceived', (e) => {
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    seen.set(e.requestId, { path: new URL(e.response.url).pathname, encoding: headers['content-encoding'] ?? '' });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = seen.get(e.requestId);
    if (r) files.push({ ...r, bytes: e.encodedDataLength });
  });
  const res = await page.goto(path);
  expect(res!.status()).toBe(status);
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  const transfers = [...files];
  await shots(page, info, name);
  await context.close();
  return transfers;
}

const total = (files: Transfer[]) => files.reduce((sum, f) => sum + f.bytes, 0);

test('a guest\'s first page transfers at most 250 KB cold and none of the console\'s code', async ({ page, browser }, info) => {
  const rest = await api();
  const manifest = await (await rest.get('/pkg/manifest.json')).json();

  // A branded portal with a logo and a disclaimer: the page a guest meets first.
  const portal = await (await rest.post('/api/v1/portals', { data: { name: 'Tidewater Inquiry' } })).json();
  expect((await rest.put(`/api/v1/portals/${portal.id}/branding`, {
    data: {
      display_name: 'Tidewater Inquiry', primary: '#14532d', accent: '#b45309', background: '#ffffff',
      disclaimer: 'Material of the **Tidewater Inquiry**. Every view is recorded.', support_contact: 'inquiry@tidewater.example',
      footer_links: [{ label: 'Privacy', url: 'https://tidewater.example/privacy' }],
    },
  })).status()).toBe(200);
  await page.setContent('<div style="width:240px;height:64px;background:#14532d;color:#fff;font:bold 28px sans-serif;display:flex;align-items:center;justify-content:center">TIDEWATER</div>');
  const logo = await page.locator('div').screenshot();
  expect((await rest.put(`/api/v1/portals/${portal.id}/logo`, { headers: { 'Content-Type': 'image/png' }, data: logo })).status()).toBe(200);
  const doc = await (await rest.post('/api/v1/documents', {
    multipart: { title: 'Hearing bundle', file: { name: 'bundle.txt', mimeType: 'text/plain', buffer: Buffer.from('Hearing bundle, volume 1') } },
  })).json();
  const share = await (await rest.post('/api/v1/shares', {
    data: { item: doc.id, portal_id: portal.id, require_acknowledgement: true, recipient: { name: 'Ada Reviewer', email: 'ada@counsel.example' } },
  })).json();
  remember(share.url);
  const link = new URL(share.url).pathname;

  const guest = await coldLoad(browser, link, info, 'guest-landing');
  const console_ = await coldLoad(browser, '/login', info, 'console-sign-in');

  const paths = guest.map((f) => f.path);
  expect(paths).toContain(`/pkg/${manifest.landing.wasm}`);
  expect(paths).toContain(`/pkg/${manifest.landing.js}`);
  expect(paths).toContain(`/pkg/${manifest.css}`);
  expect(paths.some((p) => p.startsWith(`/brand/${portal.id}/logo`)), paths.join('\n')).toBe(true);
  expect(paths.filter((p) => p.includes('console')), 'a guest never downloads the console').toEqual([]);
  expect(paths.filter((p) => p.includes('/pkg/portal.')), 'nor the portal before opening it').toEqual([]);
  expect(console_.map((f) => f.path)).toContain(`/pkg/${manifest.console.wasm}`);

  const report = {
    profile: manifest.profile,
    guest: { total: total(guest), files: guest },
    console_sign_in: { total: total(console_), files: console_ },
    ratio: +(total(guest) / total(console_)).toFixed(3),
  };
  fs.writeFileSync(info.outputPath('first-load.json'), JSON.stringify(report, null, 2));
  console.log(`first load: guest ${report.guest.total} B, console sign-in ${report.console_sign_in.total} B (ratio ${report.ratio}, ${manifest.profile} front end)`);
  for (const f of guest) console.log(`  ${String(f.bytes).padStart(8)} ${f.encoding.padEnd(4)} ${f.path.replace(/^\/s\/.*/, '/s/[token]')}`);

  if (manifest.profile === 'release') {
    for (const f of guest.filter((f) => /^\/pkg\/.*\.(wasm|js|css)$/.test(f.path))) {
      expect(f.encoding, `${f.path} is sent compressed`).toBe('br');
    }
    expect(total(guest)).toBeLessThanOrEqual(BUDGET);
  } else {
    info.annotations.push({ type: 'budget', description: `not checked: a ${manifest.profile} front end` });
  }
});

test('a secret\'s page transfers at most 250 KB cold, with its own bundle only', async ({ browser }, info) => {
  const rest = await api();
  const manifest = await (await rest.get('/pkg/manifest.json')).json();
  // Any well-formed link: the page (gone or not) loads the same files.
  const page = await coldLoad(browser, '/secret/' + 'A'.repeat(65), info, 'secret-page', 404);
  const paths = page.map((f) => f.path);
  expect(paths).toContain(`/pkg/${manifest.secret.wasm}`);
  expect(paths.filter((p) => /\/pkg\/(console|landing|portal)\./.test(p)), 'no other app\'s code').toEqual([]);
  console.log(`first load: secret page ${total(page)} B (${manifest.profile} front end)`);
  if (manifest.profile === 'release') expect(total(page)).toBeLessThanOrEqual(BUDGET);
});
