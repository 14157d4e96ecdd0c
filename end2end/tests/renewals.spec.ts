import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots, signIn, BASE } from './helpers';

// Renewal requests (issue 12, part 7): a guest whose share used up its opens asks for more
// time on the denial page; the owner sees it on the console home and approves with more
// opens; the same link opens again and the guest is mailed.

test('a guest asks for more time and the owner approves it', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const doc = await rest.post('/api/v1/documents', {
    multipart: { title: 'Expert report', file: { name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('Findings.\n') } },
  });
  expect(doc.ok()).toBeTruthy();
  const r = await rest.post('/api/v1/shares', {
    data: {
      item: (await doc.json()).id,
      recipient: { name: 'Ravi Renewal', email: 'ravi@chambers.example' },
      expires_in_days: 7,
      max_access_count: 1,
    },
  });
  expect(r.ok(), await r.text()).toBeTruthy();
  const link = (await r.json()).url as string;
  remember(link);

  // The one open, then the denial page with "Ask for more time".
  const guestContext = await browser.newContext({ baseURL: BASE });
  const guest = await guestContext.newPage();
  await installHydrationProbe(guest);
  await guest.goto(link);
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await guest.goto(link);
  await hydrated(guest);
  await expect(guest.getByTestId('denied')).toHaveAttribute('data-code', 'access_count_exceeded');
  await shots(guest, info, '01-denied-ask-more-time');
  // A blank reason is refused on its field, by the browser before the server.
  await guest.getByTestId('ask-more-time').click();
  await expect(guest.getByTestId('renewal-sent')).toHaveCount(0);
  await guest.getByTestId('renewal-reason').fill('The tribunal asked for a second reading before Friday.');
  await guest.getByTestId('ask-more-time').click();
  await expect(guest.getByTestId('renewal-sent')).toBeVisible();
  await shots(guest, info, '02-request-sent');

  // The owner: a figure on the console home, the list, the share's page.
  await page.goto('/console');
  await hydrated(page);
  await expect(page.getByTestId('tile-renewals')).toBeVisible();
  await page.getByTestId('tile-renewals').click();
  await expect(page).toHaveURL(/\/console\/renewals$/);
  const row = page.getByTestId('renewals-table').locator('tr', { hasText: 'ravi@chambers.example' });
  await expect(row).toHaveAttribute('data-status', 'open');
  await expect(row).toContainText('second reading');
  await shots(page, info, '03-renewals-list');
  await row.getByTestId('renewal-open').click();
  await expect(page).toHaveURL(/\/console\/share\/.+#renewal$/);
  await hydrated(page);
  const panel = page.getByTestId('renewal-panel');
  await expect(panel.getByTestId('renewal-reason-shown')).toContainText('second reading');
  // Approving without more opens would leave the share closed: refused, nothing changes.
  await panel.getByTestId('renewal-expiry').selectOption('keep');
  await panel.getByTestId('renewal-approve').click();
  await expect(page.getByRole('alert')).toContainText('would still not open');
  await panel.getByTestId('renewal-limit').fill('3');
  await panel.getByTestId('renewal-note').fill('Three more opens; good luck on Friday.');
  await shots(page, info, '04-renewal-decision');
  await panel.getByTestId('renewal-approve').click();
  await expect(panel.getByTestId('renewal')).toHaveAttribute('data-status', 'approved');
  await expect(panel.getByTestId('renewal-decided')).toContainText('Approved');
  await expect(page.locator('dl.facts')).toContainText('1 / 3');

  // The guest is mailed, and the same link opens again.
  await expect.poll(async () => {
    await page.goto('/console/outbox');
    return page.getByTestId('outbox-table').locator('tr', { hasText: 'ravi@chambers.example' }).filter({ hasText: 'More time' }).count();
  }, { timeout: 30_000 }).toBeGreaterThan(0);
  await guest.goto(link);
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await guestContext.close();

  // Both sides are in the audit log.
  await page.goto('/console/audit?event_type=share.renewal_approved');
  await expect(page.getByTestId('audit-table').locator('tbody tr').first()).toBeVisible();
  await page.goto('/console/audit?event_type=share.renewal_requested');
  await expect(page.getByTestId('audit-table').locator('tbody tr').first()).toBeVisible();
});
