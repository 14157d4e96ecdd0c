import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots, signIn, BASE } from './helpers';

// What reviewers send back (issue 12, part 5): the shares table tells who responded and
// who is awaited, filters "no response after N days", and staff download a reviewer's
// attachment as a file.

test('a reviewer responds with a file; staff see it in the table and download it', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const doc = await rest.post('/api/v1/documents', {
    multipart: { title: 'Draft contract', file: { name: 'contract.txt', mimeType: 'text/plain', buffer: Buffer.from('Clause 1. The parties agree.\n') } },
  });
  expect(doc.ok()).toBeTruthy();
  const documentId = (await doc.json()).id;
  const create = async (name: string, email: string, permission: string) => {
    const r = await rest.post('/api/v1/shares', {
      data: { item: documentId, recipient: { name, email }, expires_in_days: 7, require_acknowledgement: true, settings: { permission } },
    });
    expect(r.ok(), await r.text()).toBeTruthy();
    const body = await r.json();
    remember(body.url);
    return body.url as string;
  };
  const reviewer = await create('Rita Reviewer', 'rita@counsel.example', 'edit');
  await create('Walt Waiting', 'walt@counsel.example', 'comment');
  await create('Vera Viewer', 'vera@counsel.example', 'view');

  // The reviewer responds with a file.
  const guestContext = await browser.newContext({ baseURL: BASE });
  const guest = await guestContext.newPage();
  await guest.goto(reviewer);
  await guest.getByTestId('ack').check();
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await guest.locator('input[name=decision][value=approve_with_comments]').check();
  await guest.getByTestId('response-comment').fill('Clause 4 needs both signatures; marked-up copy attached.');
  await guest.locator('input[name=attachment]').setInputFiles({
    name: 'markup.txt', mimeType: 'text/plain', buffer: Buffer.from('Clause 4: add the second signature block.\n'),
  });
  await guest.getByTestId('send-response').click();
  await expect(guest.getByTestId('responded')).toBeVisible();
  await guestContext.close();

  // The table: responded, awaiting, and view-only (cannot respond).
  await page.goto('/console');
  await hydrated(page);
  const row = (email: string) => page.getByTestId('shares-table').locator('tr', { hasText: email });
  await expect(row('rita@counsel.example').getByTestId('response')).toHaveText('Responded (1)');
  await expect(row('walt@counsel.example').getByTestId('response')).toHaveText('Awaiting');
  await expect(row('vera@counsel.example').getByTestId('response')).toHaveText('—');
  await shots(page, info, '01-response-column');

  // The console home's figures lead to the table filtered to them.
  await expect(page.getByTestId('tile-awaiting')).toBeVisible();
  await expect(page.getByTestId('tile-denials')).toBeVisible();
  await page.getByTestId('tile-awaiting').click();
  await expect(page).toHaveURL(/\/console\?response=awaiting$/);
  await expect(row('walt@counsel.example')).toBeVisible();
  await expect(row('rita@counsel.example')).toHaveCount(0);
  await page.getByTestId('tile-expiring').click();
  await expect(page).toHaveURL(/expiring=7/);
  await expect(row('walt@counsel.example')).toBeVisible();
  await page.goto('/console');

  // "No response after N days": today's shares are not yet overdue; any age lists Walt only.
  await page.getByTestId('response-filter').selectOption('awaiting');
  await page.getByTestId('response-days').fill('3');
  await page.click('form.filters button[type=submit]');
  await expect(page).toHaveURL(/response=awaiting&days=3/);
  await expect(page.getByTestId('no-match')).toBeVisible();
  await page.getByTestId('response-days').fill('');
  await page.click('form.filters button[type=submit]');
  // (Other specs' shares on this server may be awaited too.)
  await expect(row('walt@counsel.example')).toBeVisible();
  await expect(row('rita@counsel.example')).toHaveCount(0);
  await expect(row('vera@counsel.example')).toHaveCount(0);

  // The share's page: the attachment downloads as a file.
  await page.goto('/console');
  await row('rita@counsel.example').getByTestId('share-detail').click();
  await expect(page.getByTestId('response')).toContainText('Approved with comments');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('attachment-download').click(),
  ]);
  expect(download.suggestedFilename()).toBe('markup.txt');
  expect(fs.readFileSync(await download.path()).toString()).toContain('second signature block');
  await shots(page, info, '02-share-responses');

  // Downloading it is audited.
  await page.goto('/console/audit?event_type=share.attachment_downloaded');
  await expect(page.getByTestId('audit-table')).toContainText('markup.txt');
});
