import { test, expect, request as newRequest, Page, BrowserContext } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { remember, shot, signIn, api, BASE } from './helpers';


test.describe.configure({ mode: 'serial' });

/**
 * Collects CSP violations and uncaught script errors: hydration must run under the strict CSP.
 * (Expected 401/410 loads and the sandbox refusing scripts inside viewed content are not errors.)
 */
function watchConsole(page: Page, errors: string[]) {
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
}

test('an admin shares a document, the recipient opens it, the admin revokes it', async ({ page, browser }, info) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await installHydrationProbe(page);
  await signIn(page);

  // Upload through the console form.
  await page.goto('/console/documents');
  await page.setInputFiles('input[name=file]', {
    name: 'evidence-log.txt', mimeType: 'text/plain',
    buffer: Buffer.from('Chain of custody log\nItem 7: sealed bag, received 09:14\n'),
  });
  await page.fill('input[name=title]', 'Evidence log');
  await page.click('form.upload button[type=submit]');
  await expect(page.getByText('Document uploaded.')).toBeVisible();
  await expect(page.getByTestId('document-title')).toHaveText('Evidence log');
  await page.goto('/console/documents');
  await expect(page.getByTestId('documents-table')).toContainText('Evidence log');

  // Create a link share for a named recipient: expiry date, max 3 opens, acknowledgement.
  await page.goto('/console/shares/new');
  // The form answers in the page once hydrated (a plain post would reload it).
  await hydrated(page);
  await page.selectOption('select[name=document_id]', { label: 'Evidence log' });
  await page.fill('textarea[name=recipients_text]', 'Jane Counsel <jane@lawfirm.example>');
  await page.fill('input[name=max_access_count]', '3');
  await expect(page.locator('input[name=require_acknowledgement]')).toBeChecked();
  await page.click('button:has-text("Create link")');
  const url = await page.getByTestId('share-url').inputValue();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{65}$/);
  remember(url);
  await shot(page, info, '01-share-created');

  // The recipient: disclaimer, accept, content.
  const guestContext: BrowserContext = await browser.newContext();
  const guest = await guestContext.newPage();
  watchConsole(guest, errors);
  await installHydrationProbe(guest);
  await guest.goto(url);
  await expect(guest.getByTestId('disclaimer')).toBeVisible();
  await shot(guest, info, '02-disclaimer');
  await guest.getByTestId('ack').check();
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await expect(guest.getByTestId('portal-item')).toContainText('Evidence log');
  // The document is shown as page images drawn on the server, the watermark baked in.
  const firstPage = guest.getByTestId('page').first();
  await expect(firstPage).toBeVisible();
  await expect.poll(() => firstPage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(500);
  const contentPath = await firstPage.getAttribute('src');
  // The marking and the watermark naming the recipient are on the page.
  await expect(guest.getByTestId('tlp')).toHaveText('TLP:AMBER');
  await expect(guest.getByTestId('watermark').first()).toContainText('jane@lawfirm.example');
  // A print attempt (the browser's beforeprint) is reported and audited.
  await hydrated(guest);
  const printed = guest.waitForResponse((r) => r.url().includes('/api/guest/report_print_attempt') && r.ok());
  await guest.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  await printed;
  await shot(guest, info, '03-portal');

  // The admin's table: recipient, document, creator, expiry and count, status.
  await page.goto('/console');
  await hydrated(page);
  const row = page.locator('tr', { hasText: 'jane@lawfirm.example' });
  await expect(row).toContainText('Jane Counsel');
  await expect(row).toContainText('Evidence log');
  await expect(row).toContainText('Administrator');
  // The expiry as a <time> of the exact instant, shown in the viewer's zone.
  await expect(row.locator('time').first()).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/);
  await expect(row.getByTestId('access-count')).toHaveText('1 / 3');
  await expect(row.getByTestId('status')).toHaveText('Active');
  await shot(page, info, '04-active-shares');

  // Copy the link again: the same link (the database holds a hash and a sealed copy).
  await row.getByTestId('copy-link').click();
  await expect(row.getByTestId('copied-link')).toHaveValue(url);

  // Revoke: the button only works once wasm has hydrated the page, and asks first. The
  // guest's page is still open (marked, to tell it from a reloaded one).
  await guest.evaluate(() => { (window as unknown as { stillHere?: boolean }).stillHere = true; });
  await row.getByTestId('revoke').click();
  await expect(row.getByTestId('confirm-revoke')).toBeVisible();
  await shot(page, info, '05-confirm-revoke');
  await row.getByTestId('confirm-revoke').click();
  await expect(row.getByTestId('status')).toHaveText('Revoked');
  await shot(page, info, '06-revoked');

  // The guest's open page empties itself at once, without a reload: its live socket was
  // closed as revoked, and nothing of the content is left on the page.
  await expect(guest.getByTestId('portal-closed')).toHaveText('This link has been revoked.');
  await expect(guest.getByTestId('portal-item')).toHaveCount(0);
  await expect(guest.getByTestId('page')).toHaveCount(0);
  expect(await guest.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  await shot(guest, info, '06b-portal-emptied');

  // The guest is out on the very next request, on every path.
  await guest.reload();
  await expect(guest.getByTestId('portal-closed')).toHaveText('This link has been revoked.');
  const content = await guestContext.request.get(contentPath!);
  expect(content.status()).toBe(401);
  const opened = await guest.goto(url);
  expect(opened!.status()).toBe(410);
  await expect(guest.getByTestId('denied')).toHaveText('This link has been revoked.');
  await shot(guest, info, '07-link-revoked');

  expect(errors, errors.join('\n')).toEqual([]);
  await guestContext.close();
});

test('expired, used-up and unknown links each say why', async ({ page }, info) => {
  const admin = await api();
  const upload = await admin.post('/api/v1/documents', {
    multipart: { title: 'Memo', file: { name: 'memo.txt', mimeType: 'text/plain', buffer: Buffer.from('Memo text') } },
  });
  expect(upload.status()).toBe(201);
  const doc = await upload.json();
  const share = async (body: object) => {
    const r = await admin.post('/api/v1/shares', { data: { item: doc.id, recipient: { name: 'Rex Auditor', email: 'rex@audit.example' }, ...body } });
    expect(r.status(), await r.text()).toBe(201);
    const s = await r.json();
    remember(s.url);
    return s;
  };

  const soon = await share({ expires_at: new Date(Date.now() + 2000).toISOString(), max_access_count: 0 });
  const once = await share({ max_access_count: 1 });

  // Use the single allowed access through the portal API.
  const anon = await newRequest.newContext({ baseURL: BASE });
  const token = once.url.split('/s/')[1];
  const session = await anon.post('/api/portal/session', { data: { token } });
  expect(session.status()).toBe(200);
  expect((await session.json()).token_type).toBe('Bearer');

  const exhausted = await page.goto(once.url);
  expect(exhausted!.status()).toBe(410);
  await expect(page.getByTestId('denied')).toContainText('access count exceeded');
  await shot(page, info, '08-count-exceeded');

  await page.waitForTimeout(2500);
  const expired = await page.goto(soon.url);
  expect(expired!.status()).toBe(410);
  await expect(page.getByTestId('denied')).toHaveText('This link has expired.');
  await shot(page, info, '09-expired');

  for (const bad of ['A'.repeat(65), 'short', '..%2F..%2Fetc%2Fpasswd']) {
    const r = await page.goto(`/s/${bad}`);
    expect(r!.status()).toBe(404);
    await expect(page.getByTestId('denied')).toHaveText('This link is not valid.');
  }
  await shot(page, info, '10-unknown');
});

test('the audit log lists every step with who did it', async ({ page }, info) => {
  await signIn(page);
  await page.goto('/console/audit');
  const table = page.getByTestId('audit-table');
  for (const kind of ['share.created', 'share.accessed', 'share.acknowledgement_accepted', 'item.viewed', 'item.print_attempted',
                      'share.revoked', 'share.expired', 'share.denied', 'document.uploaded', 'auth.signed_in']) {
    await expect(table).toContainText(kind);
  }
  await shot(page, info, '11-audit');
  // Filtered by type: only revocations (other specs revoke shares too), each naming the admin.
  await page.goto('/console/audit?event_type=share.revoked');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  expect(await table.locator('tbody tr', { hasNotText: 'share.revoked' }).count()).toBe(0);
  await expect(table).toContainText('Administrator');
  await expect(table).toContainText('"revoked_by"');
  await page.goto('/console/audit?event_type=share.denied');
  await expect(table).toContainText('share_revoked');
  await expect(table).toContainText('share_expired');
  await expect(table).toContainText('access_count_exceeded');
});
