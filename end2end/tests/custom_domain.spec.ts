import { test, expect } from '@playwright/test';
import { spawn, ChildProcess } from 'child_process';
import * as net from 'net';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots, signIn } from './helpers';

// A custom portal domain end to end, in the browser: an admin adds a name to a portal,
// publishes its TXT record (a real dnsmasq), verifies it in the console, shares through
// the portal, and the guest opens the link on that name over HTTPS through Caddy — in
// that portal's brand only. The console is not there, nor is another portal's share.
// scripts/e2e starts Caddy (on-demand TLS from its own CA) and points Liaison's resolver
// at LIAISON_E2E_DNS_PORT; Chromium maps *.northwind.example to 127.0.0.1.

test.describe.configure({ mode: 'serial' });

const DOMAIN = 'share.northwind.example';
const TLS_PORT = process.env.LIAISON_E2E_TLS_PORT!;
const DNS_PORT = process.env.LIAISON_E2E_DNS_PORT!;

/** dnsmasq answering with one TXT record, until stopped. */
async function publish(name: string, value: string): Promise<ChildProcess> {
  const dns = spawn('dnsmasq', ['--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
    '--bind-interfaces', '--listen-address=127.0.0.1', '--local=/example/', '--pid-file=', '--user=root',
    `--port=${DNS_PORT}`, `--txt-record=${name},${value}`], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(Number(DNS_PORT), '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) return dns;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('dnsmasq did not start');
}

test('a guest opens a share on its portal\'s verified domain through Caddy', async ({ page, browser }, info) => {
  test.skip(!TLS_PORT || !DNS_PORT, 'scripts/e2e starts Caddy and names the DNS port');
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const doc = await (await rest.post('/api/v1/documents', {
    multipart: { title: 'Exhibit 31', file: { name: 'exhibit.txt', mimeType: 'text/plain', buffer: Buffer.from('Exhibit 31: customs declarations') } },
  })).json();
  const portal = await (await rest.post('/api/v1/portals', { data: { name: 'Northwind Investigations' } })).json();
  expect((await rest.put(`/api/v1/portals/${portal.id}/branding`, {
    data: { display_name: 'Northwind — Investigations', primary: '#0b3d91', accent: '#b45309', background: '#f7f4ea',
      disclaimer: 'Shared by **Northwind Investigations** for the named reviewer only.', support_contact: 'help@northwind.example', footer_links: [] },
  })).ok()).toBeTruthy();

  // The admin adds the name in the console and sees the record to publish.
  await page.goto('/console/portals');
  await hydrated(page);
  const card = page.getByTestId('portal').filter({ hasText: 'Northwind Investigations' });
  const openDomains = async () => {
    const section = card.locator('details', { has: page.getByText('Custom domains') });
    if ((await section.getAttribute('open')) === null) await section.locator('summary').click();
  };
  await openDomains();
  await card.getByTestId('domain-name').fill(DOMAIN);
  await card.getByTestId('add-domain').click();
  const row = page.getByTestId('domain').filter({ hasText: DOMAIN });
  await expect(row.getByTestId('domain-status')).toHaveText('pending');
  const { domains } = await (await rest.get(`/api/v1/portals/${portal.id}/domains`)).json();
  const record = domains.find((d: { domain: string }) => d.domain === DOMAIN);

  // Published at "the DNS provider" (dnsmasq), then verified from the console.
  const dns = await publish(record.txt_name, record.txt_value);
  try {
    await openDomains();
    await row.getByTestId('verify-domain').click();
    await expect(page.getByTestId('domain').filter({ hasText: DOMAIN }).getByTestId('domain-status')).toHaveText('verified');
  } finally {
    dns.kill();
  }
  await shots(page, info, '01-domain-verified');

  // A share through that portal: its link is on the domain.
  const share = await (await rest.post('/api/v1/shares', {
    data: { item: doc.id, portal_id: portal.id, require_acknowledgement: true, recipient: { name: 'Robin Auditor', email: 'robin@audit.example' } },
  })).json();
  const url: string = share.url;
  remember(url);
  expect(url.startsWith(`https://${DOMAIN}:${TLS_PORT}/s/`)).toBeTruthy();
  const other = await (await rest.post('/api/v1/shares', {
    data: { item: doc.id, recipient: { name: 'Sam Other', email: 'sam@audit.example' } },
  })).json();
  remember(other.url);

  // The guest, over HTTPS through Caddy (its CA is not in Chromium's store, hence
  // ignoreHTTPSErrors; curl checks the chain in server/tests/served/caddy.rs).
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const guest = await context.newPage();
  await installHydrationProbe(guest);
  await guest.goto(url);
  await expect(guest.getByTestId('brand-name')).toHaveText('Northwind — Investigations');
  await expect(guest.getByTestId('disclaimer')).toContainText('Northwind Investigations');
  await hydrated(guest);
  await shots(guest, info, '02-guest-landing-on-domain');
  await guest.getByTestId('ack').check();
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(`https://${DOMAIN}:${TLS_PORT}/portal`);
  await expect(guest.getByTestId('portal-item')).toContainText('Exhibit 31');
  await shots(guest, info, '03-guest-portal-on-domain');

  // The session cookie is the domain's own: host-only, Secure, HttpOnly.
  const cookie = (await context.cookies(`https://${DOMAIN}:${TLS_PORT}`)).find((c) => c.name === '__Host-liaison_portal');
  expect(cookie?.domain).toBe(DOMAIN);
  expect(cookie?.secure && cookie?.httpOnly).toBeTruthy();

  // Another portal's share is not on this domain: a 404 in this domain's brand.
  const token = other.url.split('/s/')[1];
  const missing = await guest.goto(`https://${DOMAIN}:${TLS_PORT}/s/${token}`);
  expect(missing?.status()).toBe(404);
  await expect(guest.getByTestId('denied')).toBeVisible();
  await expect(guest.getByTestId('brand-name')).toHaveText('Northwind — Investigations');
  await shots(guest, info, '04-other-portal-404');

  // Nor is the console.
  const consolePage = await guest.goto(`https://${DOMAIN}:${TLS_PORT}/console`);
  expect(consolePage?.status()).toBe(404);
  await expect(guest.getByTestId('not-found')).toBeVisible();
  await expect(guest.getByTestId('brand-name')).toHaveText('Northwind — Investigations');
  await shots(guest, info, '05-console-not-on-domain');
  await context.close();
});
