import { test, expect, Page, request as newRequest } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { BASE, rememberSecret, shots, signIn, api } from './helpers';

// Users and API keys in the console (issue 12, parts 1 and 2): an administrator invites a
// document controller, who chooses a password through the mailed one-time link; roles
// change and accounts are disabled from the Users page, each taking effect on the very
// next request; a read-only API key is created, used and revoked.

test.describe.configure({ mode: 'serial' });

/** The set-password path in the newest invitation or reset mail to `email`. */
async function mailedLink(admin: Page, email: string, subject: RegExp): Promise<string> {
  let path: string | undefined;
  await expect.poll(async () => {
    await admin.goto('/console/outbox');
    const rows = admin.getByTestId('outbox-table').locator('tr', { hasText: email }).filter({ hasText: subject });
    if ((await rows.count()) === 0 || (await rows.first().getByTestId('mail-body').count()) === 0) return undefined;
    path = ((await rows.first().getByTestId('mail-body').textContent()) ?? '').match(/\/password\/[A-Za-z0-9_-]+/)?.[0];
    return path;
  }, { timeout: 30_000 }).toBeTruthy();
  rememberSecret(path!.split('/password/')[1]);
  return path!;
}

test('an invited controller sets a password; role changes and disabling apply at once', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/users');
  await hydrated(page);
  // The browser accepts it; the server refuses a domain without a dot, on the field.
  await page.getByTestId('invite-email').fill('dana@localhost');
  await page.getByTestId('invite-name').fill('Dana Controller');
  await page.getByTestId('invite-staff').click();
  await expect(page.getByTestId('invite-email-error')).toBeVisible();
  await expect(page.getByTestId('invite-email')).toHaveAttribute('aria-invalid', 'true');

  await page.getByTestId('invite-email').fill('dana@acme-e2e.example');
  await page.getByTestId('invite-role-controller').check();
  await page.getByTestId('invite-staff').click();
  await expect(page.getByTestId('invite-sent')).toBeVisible();
  const row = page.getByTestId('staff-row').filter({ hasText: 'dana@acme-e2e.example' });
  await expect(row.getByTestId('staff-status')).toContainText('Invited');
  await shots(page, info, '01-users');

  const link = await mailedLink(page, 'dana@acme-e2e.example', /invited/);
  const dana = await (await browser.newContext({ baseURL: BASE })).newPage();
  await installHydrationProbe(dana);
  await dana.goto(link);
  await hydrated(dana);
  await expect(dana.getByText('Welcome, Dana Controller')).toBeVisible();
  await dana.getByTestId('new-password').fill('a long enough passphrase');
  await dana.getByTestId('confirm-password').fill('not the same passphrase');
  await dana.getByTestId('set-password').click();
  await expect(dana.getByTestId('confirm-error')).toBeVisible();
  await shots(dana, info, '02-set-password');
  await dana.getByTestId('confirm-password').fill('a long enough passphrase');
  await dana.getByTestId('set-password').click();
  await expect(dana).toHaveURL(/\/console$/);
  await expect(dana.locator('.who')).toContainText('controller');
  // A controller has no Users page in the bar, and the page refuses them.
  await expect(dana.locator('.topbar nav')).not.toContainText('Users');
  await dana.goto('/console/users');
  await expect(dana.locator('p.error').first()).toContainText('Your role may not manage staff accounts');
  // The link worked once.
  await dana.goto(link);
  await expect(dana.getByTestId('link-refused')).toBeVisible();

  // Made an auditor: the next page says so.
  await page.goto('/console/users');
  await hydrated(page);
  await row.getByTestId('staff-role').selectOption('auditor');
  await row.getByTestId('staff-role-save').click();
  await expect(row.getByTestId('staff-status')).toContainText('Active');
  await dana.goto('/console');
  await expect(dana.locator('.who')).toContainText('auditor');

  // Disabled: the very next request has no session.
  await row.getByTestId('staff-toggle').click();
  await expect(row.getByTestId('staff-status')).toContainText('Disabled');
  await dana.goto('/console');
  await expect(dana).toHaveURL(/\/login$/);

  // The last administrator cannot disable themselves.
  const me = page.getByTestId('staff-row').filter({ hasText: '(you)' });
  await me.getByTestId('staff-toggle').click();
  await expect(page.getByTestId('staff-error')).toContainText('cannot disable your own account');
  await shots(page, info, '03-users-after');
});

test('a read-only API key is shown once, reads, cannot write and is revoked', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/keys');
  await hydrated(page);
  await page.getByTestId('key-name').fill('Reporting');
  await page.getByTestId('key-scope-read').check();
  await page.getByTestId('key-expiry').selectOption('30');
  await page.getByTestId('create-key').click();
  const secret = (await page.getByTestId('key-secret').textContent())!.trim();
  rememberSecret(secret);
  expect(secret).toMatch(/^lsn_/);
  await shots(page, info, '04-key-created');

  const reader = await newRequest.newContext({ baseURL: BASE, extraHTTPHeaders: { Authorization: `Bearer ${secret}` } });
  expect((await reader.get('/api/v1/shares')).status()).toBe(200);
  const write = await reader.post('/api/v1/portals', { data: { name: 'Not allowed' } });
  expect(write.status()).toBe(403);
  expect((await write.json()).error.message).toContain('read-only');

  await page.goto('/console/keys');
  await hydrated(page);
  const row = page.getByTestId('key-row').filter({ hasText: 'Reporting' });
  await expect(row.getByTestId('key-last-used')).not.toHaveText('Never');
  await expect(page.getByTestId('key-secret')).toHaveCount(0);
  await shots(page, info, '05-keys');
  await row.getByTestId('revoke-key').click();
  await expect(row).toContainText('Revoked');
  expect((await reader.get('/api/v1/shares')).status()).toBe(401);
  // The bootstrap key still works.
  expect((await (await api()).get('/api/v1/shares')).status()).toBe(200);
});
