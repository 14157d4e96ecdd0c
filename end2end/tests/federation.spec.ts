import { test, expect, Page } from '@playwright/test';
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { remember, shot, api, EMAIL, PASSWORD, BASE } from './helpers';

// Partner staff open a federated share by signing in at their organisation's real IdP:
// SimpleSAMLphp (SAML 2.0) and the npm oidc-provider (OpenID Connect), both started here.
const PEERS = path.join(__dirname, '..', 'peers');

test.describe.configure({ mode: 'serial' });

let ssp: ChildProcess;
let op: ChildProcess;
let sspBase = '';
let opBase = '';
let sspRun = '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

test.beforeAll(async () => {
  const sspPort = await freePort();
  sspRun = fs.mkdtempSync(path.join(os.tmpdir(), 'liaison-ssp-'));
  ssp = spawn(path.join(PEERS, 'saml-idp', 'start.sh'), [sspRun, String(sspPort)], { stdio: 'ignore' });
  sspBase = `http://127.0.0.1:${sspPort}`;
  const opPort = await freePort();
  op = spawn('node', [path.join(PEERS, 'oidc-op', 'op.mjs')], {
    stdio: 'ignore',
    env: { ...process.env, OP_PORT: String(opPort), OP_REDIRECT_URIS: `${BASE}/auth/oidc/callback` },
  });
  await waitFor(`${sspBase}/saml2/idp/metadata.php`);
  opBase = `http://127.0.0.1:${opPort}`;
  await waitFor(`${opBase}/.well-known/openid-configuration`);

  const admin = await api();
  const partner = await admin.post('/api/v1/partners', { data: { name: 'Partner Agency', domains: ['partner.test'] } });
  expect(partner.status(), await partner.text()).toBe(201);
  const { id } = await partner.json();
  const saml = await admin.post(`/api/v1/partners/${id}/idps`, {
    data: { kind: 'saml', name: 'Partner SAML', metadata_url: `${sspBase}/saml2/idp/metadata.php` },
  });
  expect(saml.status(), await saml.text()).toBe(201);
  const s = await saml.json();
  fs.writeFileSync(path.join(sspRun, 'sps.json'), JSON.stringify([{ entity_id: s.sp_entity_id, acs: s.sp_acs_url, cert: s.sp_certificate }]));
  const oidc = await admin.post(`/api/v1/partners/${id}/idps`, {
    data: { kind: 'oidc', name: 'Partner OIDC', issuer: `http://127.0.0.1:${opPort}`, client_id: 'liaison', client_secret: 'liaison-test-secret' },
  });
  expect(oidc.status(), await oidc.text()).toBe(201);
  // The client secret must never reach the server's log either.
  if (process.env.LIAISON_E2E_SECRETS_FILE) fs.appendFileSync(process.env.LIAISON_E2E_SECRETS_FILE, 'liaison-test-secret\n');
});

test.afterAll(() => {
  ssp?.kill();
  op?.kill();
});

async function federatedShare(title: string): Promise<string> {
  const admin = await api();
  const upload = await admin.post('/api/v1/documents', {
    multipart: { title, file: { name: 'briefing.txt', mimeType: 'text/plain', buffer: Buffer.from(`${title}: joint operation notes`) } },
  });
  expect(upload.status()).toBe(201);
  const doc = await upload.json();
  const r = await admin.post('/api/v1/shares', {
    data: { item: doc.id, method: 'federated', tlp: 'AMBER', recipient: { name: 'Ann Partner', email: 'ann@partner.test' } },
  });
  expect(r.status(), await r.text()).toBe(201);
  const share = await r.json();
  remember(share.url);
  return share.url;
}

async function openAfterSignIn(page: Page, title: string) {
  await expect(page.getByTestId('signed-in-as')).toHaveText('Signed in as ann@partner.test');
  await hydrated(page);
  await page.getByTestId('continue').click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByTestId('portal-item')).toContainText(title);
}

test('a partner user signs in at the SAML IdP (SimpleSAMLphp) and opens the share', async ({ page }, info) => {
  const url = await federatedShare('Briefing SAML');
  await installHydrationProbe(page);
  await page.goto(url);
  await expect(page.getByRole('heading', { name: 'Sign in with your organisation' })).toBeVisible();
  await shot(page, info, '01-sign-in-choice');
  await page.getByRole('button', { name: 'Sign in with Partner SAML' }).click();
  await expect(page).toHaveURL(new RegExp(`^${sspBase}/`));
  await page.fill('input[name=username]', 'ann');
  await page.fill('input[name=password]', 'x');
  await shot(page, info, '02-simplesamlphp-login');
  await page.locator('input[name=password]').press('Enter');
  await expect(page).toHaveURL(new RegExp(`/s/`));
  await openAfterSignIn(page, 'Briefing SAML');
  await shot(page, info, '03-portal');
});

test('a partner user signs in at the OpenID Provider (oidc-provider) and opens the share', async ({ page }, info) => {
  const url = await federatedShare('Briefing OIDC');
  await installHydrationProbe(page);
  await page.goto(url);
  await page.getByRole('button', { name: 'Sign in with Partner OIDC' }).click();
  await expect(page.locator('input[name=login]')).toBeVisible();
  await page.fill('input[name=login]', 'ann');
  await page.fill('input[name=password]', 'x');
  await shot(page, info, '04-oidc-login');
  await page.locator('button[type=submit]').first().click();
  await expect(page).toHaveURL(new RegExp(`/s/`));
  await openAfterSignIn(page, 'Briefing OIDC');
  await shot(page, info, '05-portal');
});

// Security review, finding 1, in two real browsers: someone holding the link starts the
// partner sign-in and lures the recipient to the provider URL. Her browser receives the
// provider's answer but did not start that sign-in, so it is refused there before anything
// is recorded; the starter's browser opens nothing; her own sign-in still works.
test('a sign-in started in another browser opens the share in neither (two browsers)', async ({ browser }, info) => {
  const url = await federatedShare('Briefing lure');
  const attackerContext = await browser.newContext();
  const victimContext = await browser.newContext();
  const attacker = await attackerContext.newPage();
  const victim = await victimContext.newPage();

  await attacker.goto(url);
  const toProvider = attacker.waitForRequest((r) => r.url().startsWith(`${opBase}/auth?`));
  await attacker.getByRole('button', { name: 'Sign in with Partner OIDC' }).click();
  const lure = (await toProvider).url();

  await victim.goto(lure);
  await victim.fill('input[name=login]', 'ann');
  await victim.fill('input[name=password]', 'x');
  await victim.locator('button[type=submit]').first().click();
  await expect(victim.locator('[data-reason]')).toHaveAttribute('data-reason', 'browser_mismatch');
  await expect(victim.getByRole('heading', { name: 'Sign-in refused' })).toBeVisible();
  await shot(victim, info, '06-lured-sign-in-refused');
  await victim.setViewportSize({ width: 375, height: 720 });
  await shot(victim, info, '06-lured-sign-in-refused-375');
  await victim.setViewportSize({ width: 1280, height: 720 });

  // The starter's browser is back at the link: not signed in, nothing opens.
  await attacker.goto(url);
  await expect(attacker.getByRole('button', { name: 'Sign in with Partner OIDC' })).toBeVisible();
  await expect(attacker.getByTestId('signed-in-as')).toHaveCount(0);

  // The recipient's own sign-in, started in her browser, opens the share there.
  await installHydrationProbe(victim);
  await victim.goto(url);
  await victim.getByRole('button', { name: 'Sign in with Partner OIDC' }).click();
  const login = victim.locator('input[name=login]');
  await Promise.race([victim.waitForURL(/\/s\//), login.waitFor()]);
  if (await login.isVisible()) {
    await login.fill('ann');
    await victim.fill('input[name=password]', 'x');
    await victim.locator('button[type=submit]').first().click();
  }
  await expect(victim).toHaveURL(/\/s\//);
  await openAfterSignIn(victim, 'Briefing lure');
  await shot(victim, info, '07-own-sign-in-opens');

  const audit = await (await api()).get('/api/v1/audit?event_type=federation.sign_in_failed&limit=50');
  const events = (await audit.json()).items as Array<{ details: { reason: string } }>;
  expect(events.some((e) => e.details.reason === 'browser_mismatch')).toBe(true);
  await attackerContext.close();
  await victimContext.close();
});

test('the partners page lists both identity providers and what to register', async ({ page }, info) => {
  await page.goto('/login');
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/console$/);
  await page.goto('/console/partners');
  const partner = page.getByTestId('partner').filter({ hasText: 'Partner Agency' });
  await expect(partner.getByTestId('idp')).toHaveCount(2);
  await expect(partner).toContainText('/auth/oidc/callback');
  await expect(partner).toContainText('/acs');
  await shot(page, info, '06-partners');
});
