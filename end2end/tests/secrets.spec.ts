import { test, expect, Browser, Page } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { rememberSecret, shots, signIn } from './helpers';

// End-to-end encrypted secrets (issue 14, points 4–5), made in the console and opened by a
// recipient without an account. The browser encrypts and decrypts: the key travels in
// the link's fragment, which no request carries, or is derived from an access code sent
// separately. A view-once secret is refused to the second browser that opens it.

type Made = { link: string; code?: string };

/** Fills the console's form (already open) and creates; returns what it shows once. */
async function create(page: Page, fill: (page: Page) => Promise<void>): Promise<Made> {
  await fill(page);
  await page.getByTestId('create-secret').click();
  const made = page.getByTestId('secret-created');
  await expect(made).toBeVisible({ timeout: 30_000 });
  const link = (await made.getByTestId('secret-link').textContent())!.trim();
  const code = (await made.getByTestId('secret-code').count()) > 0
    ? (await made.getByTestId('secret-code').textContent())!.trim()
    : undefined;
  const [, token] = link.split('/secret/');
  rememberSecret(token.split('#')[0]);
  if (token.includes('#')) rememberSecret(token.split('#')[1]);
  if (code) rememberSecret(code);
  return { link, code };
}

/** A recipient's browser: a fresh context, every request URL it sends kept. */
async function recipient(browser: Browser, options: { javaScriptEnabled?: boolean } = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const page = await context.newPage();
  const sent: string[] = [];
  page.on('request', (r) => sent.push(r.url() + '\n' + (r.postData() ?? '')));
  if (options.javaScriptEnabled !== false) await installHydrationProbe(page);
  return { context, page, sent };
}

test('a view-once password travels with its key in the link and is gone after one reveal', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/secrets');
  await hydrated(page);
  const { link } = await create(page, async (p) => {
    await p.getByTestId('secret-content').fill('CANARY-E2E-PW correct horse battery');
    await p.getByTestId('secret-label').fill('Wi-Fi for the audit room');
  });
  expect(link).toMatch(/\/secret\/[A-Za-z0-9_-]{65}#[A-Za-z0-9_-]{43}$/);
  await shots(page, info, '01-console-secret-created');
  const key = link.split('#')[1];

  const r = await recipient(browser);
  await r.page.goto(link);
  await hydrated(r.page);
  await expect(r.page.getByRole('heading', { level: 1 })).toContainText('a password');
  await expect(r.page.getByTestId('views-left')).toHaveText('1 of 1');
  await expect(r.page.getByTestId('last-view')).toBeVisible();
  expect(await r.page.content()).not.toContain('CANARY-E2E-PW');
  await shots(r.page, info, '02-recipient-before-reveal');
  await r.page.getByTestId('reveal').click();
  const password = r.page.getByTestId('secret-password');
  await expect(password).toHaveValue('CANARY-E2E-PW correct horse battery');
  await expect(password).toHaveAttribute('type', 'password');
  await r.page.getByTestId('toggle-mask').click();
  await expect(password).toHaveAttribute('type', 'text');
  await expect(r.page.getByTestId('burned')).toBeVisible();
  // The key left the address bar once used; no request ever carried it, or the plaintext.
  expect(r.page.url()).not.toContain('#');
  for (const s of r.sent) {
    expect(s).not.toContain(key);
    expect(s).not.toContain('CANARY-E2E-PW');
  }
  await shots(r.page, info, '03-recipient-revealed');

  // A second browser with the same link: the secret is gone, and the page says why.
  const late = await recipient(browser);
  const res = await late.page.goto(link);
  expect(res!.status()).toBe(410);
  await expect(late.page.getByTestId('secret-gone')).toHaveAttribute('data-code', 'secret_burned');
  await shots(late.page, info, '04-recipient-gone');

  await page.reload();
  const row = page.getByTestId('secret-row').filter({ hasText: 'Wi-Fi for the audit room' }).first();
  await expect(row).toHaveAttribute('data-state', 'burned');
  await expect(row.getByTestId('secret-row-views')).toHaveText('1 of 1');
  await shots(page, info, '05-console-secrets');
  // Every step is in the audit log, under the secrets filter.
  await page.getByTestId('secrets-audit').click();
  for (const event of ['secret.created', 'secret.viewed', 'secret.burned']) {
    await expect(page.locator('main')).toContainText(event);
  }
  await Promise.all([r.context.close(), late.context.close()]);
});

test('an AMBER note needs the access code sent separately; a wrong code is refused', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/secrets');
  await hydrated(page);
  const { link, code } = await create(page, async (p) => {
    await p.getByTestId('kind-note').check();
    await p.getByTestId('secret-content').fill('CANARY-E2E-NOTE\nThe safe is behind the second shelf.');
    await p.getByTestId('secret-label').fill('Site access note');
    await p.getByTestId('secret-tlp').selectOption('AMBER');
    // The policy requires a code from AMBER on: the key-in-link choice is closed.
    await expect(p.getByTestId('delivery-link')).toBeDisabled();
    await expect(p.getByTestId('delivery-code')).toBeChecked();
    await p.getByTestId('secret-views').fill('2');
  });
  expect(code).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  expect(link).not.toContain('#');
  await shots(page, info, '06-console-code-created');

  const r = await recipient(browser);
  await r.page.goto(link);
  await hydrated(r.page);
  await expect(r.page.getByTestId('tlp')).toHaveText('TLP:AMBER');
  await r.page.getByTestId('access-code').fill('00000-00000-00000-00000');
  await r.page.getByTestId('reveal').click();
  await expect(r.page.getByTestId('reveal-error')).toContainText('The access code is not correct.', { timeout: 30_000 });
  await expect(r.page.getByTestId('views-left')).toHaveText('2 of 2');
  await r.page.getByTestId('access-code').fill(code!.toLowerCase());
  await r.page.getByTestId('reveal').click();
  await expect(r.page.getByTestId('secret-text')).toHaveText('CANARY-E2E-NOTE\nThe safe is behind the second shelf.', { timeout: 30_000 });
  await expect(r.page.getByTestId('views-left')).toHaveText('1 of 2');
  for (const s of r.sent) {
    expect(s).not.toContain(code!);
    expect(s).not.toContain('CANARY-E2E-NOTE');
  }
  await shots(r.page, info, '07-recipient-note');
  await r.context.close();
});

test('a file secret downloads decrypted; without scripts the page says why it cannot open', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/secrets');
  await hydrated(page);
  const content = 'CANARY-E2E-FILE ' + 'x'.repeat(200_000);
  const { link } = await create(page, async (p) => {
    await p.getByTestId('kind-file').check();
    await p.getByTestId('secret-file').setInputFiles({ name: 'keys.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
    await p.getByTestId('secret-label').fill('Deploy keys');
  });

  // Scripts off: the page explains, nothing is used up.
  const off = await recipient(browser, { javaScriptEnabled: false });
  await off.page.goto(link);
  await expect(off.page.getByTestId('needs-script')).toBeVisible();
  await expect(off.page.getByTestId('reveal')).toBeDisabled();
  await shots(off.page, info, '08-recipient-no-script');
  await off.context.close();

  const r = await recipient(browser);
  await r.page.goto(link);
  await hydrated(r.page);
  await expect(r.page.getByTestId('views-left')).toHaveText('1 of 1');
  const download = r.page.waitForEvent('download');
  await r.page.getByTestId('reveal').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('keys.txt');
  const saved = require('fs').readFileSync(await file.path(), 'utf8') as string;
  expect(saved).toBe(content);
  await expect(r.page.getByTestId('file-name')).toHaveText('keys.txt');
  await shots(r.page, info, '09-recipient-file');
  await r.context.close();
});
