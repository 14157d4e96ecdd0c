import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { remember, shot, shots, signIn, api, uploadText } from './helpers';

// The console's External access settings, portals with members, a portal-members share and
// the share's own page, in Chromium against the real server.

test.describe.configure({ mode: 'serial' });

test('an admin tightens the external access policy; bad input is refused', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const original = await (await rest.get('/api/v1/policy')).json();

  await page.goto('/console/settings');
  await hydrated(page);
  // A default longer than the ceiling is refused with a clear message; nothing changes.
  await page.selectOption('[data-testid=default-expiry]', '30');
  await page.fill('[data-testid=max-expiry]', '7');
  await page.getByTestId('save-policy').click();
  await expect(page.getByTestId('policy-error')).toBeVisible();
  expect(await (await rest.get('/api/v1/policy')).json()).toEqual(original);
  await shot(page, info, '01-policy-refused');

  await page.fill('[data-testid=max-expiry]', '90');
  await page.getByTestId('save-policy').click();
  await expect(page.getByTestId('policy-saved')).toBeVisible();
  const saved = await (await rest.get('/api/v1/policy')).json();
  expect(saved.default_expiry_days).toBe(30);
  expect(saved.max_expiry_days).toBe(90);
  await shot(page, info, '02-policy-saved');

  // Leave the installation as the other specs expect it.
  expect((await rest.put('/api/v1/policy', { data: original })).ok()).toBeTruthy();
});

test('a portal member receives a share; removing the member revokes it', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const doc = await rest.post('/api/v1/documents', {
    multipart: { title: 'Panel brief', file: { name: 'brief.txt', mimeType: 'text/plain', buffer: Buffer.from('Panel brief') } },
  });
  expect(doc.ok()).toBeTruthy();

  await page.goto('/console/portals');
  await hydrated(page);
  await page.getByText('Create a portal').click();
  await page.getByTestId('portal-name').fill('Counsel panel');
  await page.click('button:has-text("Create portal")');
  const portal = page.getByTestId('portal').filter({ hasText: 'Counsel panel' });
  await expect(portal).toBeVisible();
  await portal.getByText('Add a member').click();
  await portal.getByTestId('member-name').fill('Pat Panel');
  await portal.getByTestId('member-email').fill('pat@panel.example');
  await portal.locator('button:has-text("Add member")').click();
  await expect(portal.getByTestId('member')).toContainText('pat@panel.example');
  await shot(page, info, '03-portal');

  await page.goto('/console/shares/new');
  await hydrated(page);
  await page.selectOption('select[name=document_id]', { label: 'Panel brief' });
  // A recipient line that is not an address: the refusal is shown under that field, the
  // field is marked, and nothing is created.
  const before = (await (await rest.get('/api/v1/shares?limit=200')).json()).items.length;
  await page.fill('textarea[name=recipients_text]', 'Pat Panel');
  await page.click('button:has-text("Create link")');
  await expect(page.getByTestId('recipients-error')).toContainText('is not "Name <email>"');
  await expect(page.locator('textarea[name=recipients_text]')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('select[name=method]')).not.toHaveAttribute('aria-invalid', 'true');
  await shot(page, info, '03b-new-share-field-error');
  await page.setViewportSize({ width: 375, height: 800 });
  await shot(page, info, '03b-new-share-field-error-375');
  await page.setViewportSize({ width: 1280, height: 720 });
  expect((await (await rest.get('/api/v1/shares?limit=200')).json()).items.length).toBe(before);
  await page.fill('textarea[name=recipients_text]', 'Pat Panel <pat@panel.example>');
  await page.selectOption('[data-testid=method]', 'portal');
  await page.selectOption('[data-testid=portal]', { label: 'Counsel panel (1 members)' });
  await page.click('button:has-text("Create link")');
  const url = await page.getByTestId('share-url').inputValue();
  remember(url);

  // The share's page: no browser yet, no response yet.
  await page.goto('/console');
  await hydrated(page);
  const row = page.locator('tr', { hasText: 'pat@panel.example' });
  await row.getByTestId('share-detail').click();
  await expect(page).toHaveURL(/\/console\/share\//);
  await expect(page.getByText('No browser has opened this share yet.')).toBeVisible();
  await expect(page.getByText('No response yet.')).toBeVisible();
  await shot(page, info, '04-share-page');

  await page.goto('/console/portals');
  await hydrated(page);
  await page.getByTestId('portal').filter({ hasText: 'Counsel panel' }).getByTestId('remove-member').click();
  await expect(page.getByText('Member removed; 1 share(s) revoked.')).toBeVisible();
  await page.goto('/console');
  await expect(page.locator('tr', { hasText: 'pat@panel.example' }).getByTestId('status')).toHaveText('Revoked');
  await shot(page, info, '05-member-removed');
});

test('an admin extends a share and narrows its permissions on its page, then revokes shares in bulk', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const docId = await uploadText(rest, 'Audit pack', 'pack.txt', 'Audit pack');
  const made = await rest.post('/api/v1/shares', {
    data: {
      item: docId,
      recipients: [1, 2, 3].map((i) => ({ name: `Auditor ${i}`, email: `auditor${i}@bulk.example` })),
      expires_in_days: 7,
      settings: { allow_download: true },
    },
  });
  expect(made.ok()).toBeTruthy();
  const shares = (await made.json()).items as { id: string; url: string }[];
  shares.forEach((s) => remember(s.url));

  // The share's page: a later expiry, a limit, and no download.
  await page.goto(`/console/share/${shares[0].id}`);
  await hydrated(page);
  const later = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  await page.fill('[data-testid=change-expiry]', `${later}T12:00`);
  await page.fill('[data-testid=change-limit]', '4');
  await page.selectOption('[data-testid=change-permission]', 'comment');
  await page.uncheck('[data-testid=change-download]');
  await page.getByTestId('save-change').click();
  await expect(page.getByTestId('share-changed')).toBeVisible();
  await expect(page.getByText('view and comment · no download')).toBeVisible();
  const changed = await (await rest.get(`/api/v1/shares/${shares[0].id}`)).json();
  expect(changed.expires_at.slice(0, 10)).toBe(later);
  expect(changed.max_access_count).toBe(4);
  expect(changed.settings.allow_download).toBe(false);
  await shots(page, info, '06-share-changed');

  // Beyond the policy's ceiling: refused with a clear message, nothing changed.
  const far = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10);
  await page.fill('[data-testid=change-expiry]', `${far}T12:00`);
  await page.getByTestId('save-change').click();
  await expect(page.getByTestId('change-expiry-error')).toContainText('within');
  await expect(page.getByTestId('change-expiry')).toHaveAttribute('aria-invalid', 'true');
  expect((await (await rest.get(`/api/v1/shares/${shares[0].id}`)).json()).expires_at.slice(0, 10)).toBe(later);

  // Bulk: tick two of the three and revoke them together.
  await page.goto('/console?q=auditor');
  await hydrated(page);
  for (const s of [shares[1], shares[2]]) {
    await page.locator(`tr[data-share-id="${s.id}"]`).getByTestId('select-share').check();
  }
  await page.getByTestId('bulk-revoke').click();
  await page.getByTestId('confirm-bulk-revoke').click();
  await expect(page.getByTestId('bulk-revoked')).toHaveText('2 shares revoked.');
  await expect(page.locator(`tr[data-share-id="${shares[1].id}"]`).getByTestId('status')).toHaveText('Revoked');
  await expect(page.locator(`tr[data-share-id="${shares[2].id}"]`).getByTestId('status')).toHaveText('Revoked');
  await expect(page.locator(`tr[data-share-id="${shares[0].id}"]`).getByTestId('status')).toHaveText('Active');
  await shot(page, info, '07-bulk-revoked');
});

test('a document package is curated and shared as one item; the guest sees exactly its documents', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  for (const title of ['Pleading', 'Exhibit B', 'Draft (not shared)']) {
    const r = await rest.post('/api/v1/documents', {
      multipart: { title, file: { name: `${title.split(' ')[0].toLowerCase()}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`${title} text`) } },
    });
    expect(r.ok()).toBeTruthy();
  }

  await page.goto('/console/documents');
  await hydrated(page);
  await page.getByTestId('package-name').fill('Court bundle');
  await page.click('button:has-text("Create package")');
  const pkg = page.getByTestId('package').filter({ hasText: 'Court bundle' });
  await expect(pkg).toBeVisible();
  for (const title of ['Pleading', 'Exhibit B']) {
    await pkg.getByTestId('package-add-document').selectOption({ label: title });
    await pkg.getByTestId('package-add').click();
    await expect(pkg.getByTestId('package-document').filter({ hasText: title })).toBeVisible();
  }
  await expect(pkg).toContainText('2 documents');
  await shot(page, info, '08-package');

  await page.goto('/console/shares/new');
  await hydrated(page);
  await page.selectOption('[data-testid=item]', { label: 'Court bundle (2 documents)' });
  await page.fill('textarea[name=recipients_text]', 'Chris Clerk <clerk@court.example>');
  await page.click('button:has-text("Create link")');
  const url = await page.getByTestId('share-url').inputValue();
  remember(url);

  const guestContext = await browser.newContext();
  const guest = await guestContext.newPage();
  await guest.goto(url);
  if (await guest.getByTestId('ack').isVisible()) {
    await guest.getByTestId('ack').check();
  }
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await expect(guest.getByTestId('portal-item')).toHaveCount(2);
  await expect(guest.getByTestId('portal-item').nth(0)).toContainText('Pleading');
  await expect(guest.getByTestId('portal-item').nth(1)).toContainText('Exhibit B');
  await expect(guest.locator('body')).not.toContainText('Draft (not shared)');
  await shot(guest, info, '09-package-portal');
  await guestContext.close();

  await page.goto('/console?q=clerk');
  await expect(page.locator('tr', { hasText: 'clerk@court.example' })).toContainText('Court bundle');
});

test.describe('a viewer in New York', () => {
  test.use({ timezoneId: 'America/New_York' });

  test('sees every time in their own zone, the same before and after hydration', async ({ page }, info) => {
    await installHydrationProbe(page);
    await signIn(page);
    await hydrated(page);
    // The hydrated page tells the server the browser's zone, for the pages it renders next.
    await expect
      .poll(async () => (await page.context().cookies()).find((c) => c.name === 'liaison_tz')?.value)
      .toBe('America/New_York');

    // The server renders the audit log in that zone…
    const html = await (await page.request.get('/console/audit')).text();
    const m = html.match(/<time datetime="([^"]+)"[^>]*>([^<]+)<\/time>/);
    expect(m, 'the audit log shows its times as <time>').not.toBeNull();
    const [, instant, shown] = m!;
    const inNewYork = new Date(instant)
      .toLocaleString('sv-SE', { timeZone: 'America/New_York', hour12: false })
      .slice(0, 16);
    expect(shown).toBe(inNewYork);
    expect(html).toContain('Times are shown in America/New_York, UTC-0');

    // …and the browser, once hydrated, shows the very same text.
    await page.goto('/console/audit');
    await hydrated(page);
    await expect(page.locator(`time[datetime="${instant}"]`).first()).toHaveText(inNewYork);
    await expect(page.getByTestId('time-zone')).toContainText('America/New_York');
    await shot(page, info, '10-times-in-new-york');
  });
});
