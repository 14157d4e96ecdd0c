import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, mailedCode, remember, shots, signIn } from './helpers';

// The guest's home (issue 11, point 5): a reviewer who proved their address with the
// emailed code sees "Shared with you" — every live share addressed to them in the portal,
// with its marking, expiry and what is asked of them — a revoked one drops out at once, and
// "Sign out everywhere" ends the session.

test('a guest sees what is shared with them, loses a revoked share at once, and signs out everywhere', async ({ page, browser }, info) => {
  await signIn(page);
  const rest = await api();
  const email = `home-${Date.now()}@lawfirm.example`;
  const upload = async (title: string) => (await (await rest.post('/api/v1/documents', {
    multipart: { title, file: { name: 'exhibit.txt', mimeType: 'text/plain', buffer: Buffer.from(title) } },
  })).json()).id as string;
  const share = async (title: string, extra: object) => {
    const r = await rest.post('/api/v1/shares', {
      data: { item: await upload(title), method: 'invitation', recipient: { name: 'Rita Reviewer', email }, ...extra },
    });
    expect(r.status(), await r.text()).toBe(201);
    const s = await r.json();
    remember(s.url);
    return s;
  };
  const first = await share('Exhibit 40 — ledger', { tlp: 'AMBER' });
  const second = await share('Exhibit 41 — invoices', { require_acknowledgement: true });
  const third = await share('Exhibit 42 — emails', {});

  // The guest opens the first link and proves their address with the mailed code.
  const context = await browser.newContext();
  const guest = await context.newPage();
  await installHydrationProbe(guest);
  await guest.goto(first.url);
  await hydrated(guest);
  await guest.getByTestId('continue').click();
  await expect(guest.getByTestId('open-error')).toBeVisible();
  await guest.getByTestId('code').fill(await mailedCode(page, email));
  await guest.getByTestId('continue').click();
  await expect(guest.getByTestId('portal-item')).toContainText('Exhibit 40');

  // Home: all three, the open one first, with what each asks.
  await guest.getByTestId('home-link').click();
  await expect(guest).toHaveURL(/\/portal\/home$/);
  const rows = guest.getByTestId('home-share');
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText('Exhibit 40');
  await expect(rows.first()).toContainText('(open now)');
  await expect(rows.filter({ hasText: 'Exhibit 41' })).toContainText('Acknowledge');
  await shots(guest, info, '01-guest-home');

  // Revoked: gone on the next load.
  expect((await rest.post(`/api/v1/shares/${third.id}/revoke`)).ok()).toBeTruthy();
  await guest.reload();
  await expect(rows).toHaveCount(2);
  await expect(guest.getByTestId('home-shares')).not.toContainText('Exhibit 42');

  // Opening another share from the home goes to its own link and asks what it asks.
  await rows.filter({ hasText: 'Exhibit 41' }).getByTestId('home-open').click();
  await expect(guest).toHaveURL(new RegExp(`/s/${second.url.split('/s/')[1]}$`));
  await expect(guest.getByTestId('ack')).toBeVisible();

  // Sign out everywhere: the portal says so, and the session is over.
  await guest.goto('/portal/home');
  await hydrated(guest);
  await guest.getByTestId('guest-sign-out-everywhere').click();
  await expect(guest.getByTestId('signed-out')).toHaveText('You have signed out in every browser.');
  await shots(guest, info, '02-signed-out');
  await guest.goto('/portal/home');
  await expect(guest.getByTestId('portal-closed')).toBeVisible();
  await context.close();
});
