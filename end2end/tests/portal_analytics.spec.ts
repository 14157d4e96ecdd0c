import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots, signIn } from './helpers';

// Portal analytics (issue 11, point 7): a guest opens a portal's link and is refused on
// another; the portal's analytics page draws the day's opens and denials as a chart with
// the numbers beside it, switches period, and downloads the same numbers as CSV; the
// share's page shows its own activity.

test('the analytics page draws what guests did and exports it', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const stamp = Date.now();
  const portal = await (await rest.post('/api/v1/portals', { data: { name: `Analytics panel ${stamp}` } })).json();
  const doc = (await (await rest.post('/api/v1/documents', {
    multipart: { title: `Ledger ${stamp}`, file: { name: 'ledger.txt', mimeType: 'text/plain', buffer: Buffer.from('ledger') } },
  })).json()).id;
  const share = async (email: string) => {
    const r = await rest.post('/api/v1/shares', {
      data: { item: doc, method: 'link', portal_id: portal.id, require_acknowledgement: false, recipient: { name: 'Audra Auditor', email } },
    });
    expect(r.status(), await r.text()).toBe(201);
    const s = await r.json();
    remember(s.url);
    return s;
  };
  const opened = await share(`audra-${stamp}@audit.example`);
  const revoked = await share(`rex-${stamp}@audit.example`);
  expect((await rest.post(`/api/v1/shares/${revoked.id}/revoke`)).ok()).toBeTruthy();

  const context = await browser.newContext();
  const guest = await context.newPage();
  await guest.goto(opened.url);
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await guest.goto(revoked.url);
  await expect(guest.getByText('This link has been revoked')).toBeVisible();
  await context.close();

  await page.goto('/console/portals');
  await page.getByTestId('portal').filter({ hasText: `Analytics panel ${stamp}` }).getByTestId('portal-analytics').click();
  await expect(page).toHaveURL(/\/analytics$/);
  await hydrated(page);
  const activity = page.getByTestId('activity');
  await expect(activity.getByRole('heading', { name: 'Activity, last 30 days' })).toBeVisible();
  await expect(activity.getByTestId('activity-totals')).toContainText('Opens: 1');
  await expect(activity.getByTestId('activity-totals')).toContainText('Denials: 1');
  await expect(activity.getByTestId('activity-chart').locator('polyline')).toHaveCount(5);
  await activity.getByText('The numbers, day by day').click();
  const today = new Date().toISOString().slice(0, 10);
  const row = activity.getByTestId('activity-table').locator('tbody tr').first();
  await expect(row.locator('th')).toHaveText(today);
  await expect(row.locator('td').nth(0)).toHaveText('1');
  await expect(row.locator('td').nth(4)).toHaveText('1');
  await shots(page, info, '01-portal-analytics');

  // Another period, then the CSV of the same numbers.
  await activity.getByTestId('window-7').click();
  await expect(page).toHaveURL(/days=7$/);
  await expect(page.getByRole('heading', { name: 'Activity, last 7 days' })).toBeVisible();
  const href = await page.getByTestId('activity-csv').getAttribute('href');
  expect(href).toMatch(/analytics\.csv\?days=7$/);
  const csv = await page.request.get(href!);
  expect(csv.headers()['content-type']).toContain('text/csv');
  const lines = (await csv.text()).trim().split('\r\n');
  expect(lines[0]).toBe('date,opens,unique_guests,downloads,responses,denials');
  expect(lines).toHaveLength(9);
  expect(lines[7]).toBe(`${today},1,1,0,0,1`);
  expect(lines[8]).toBe('total,1,1,0,0,1');

  // A bad period is refused with a clear message, not a broken page.
  await page.goto(`/console/portals/${portal.id}/analytics?days=365`);
  await expect(page.getByTestId('analytics-error')).toContainText('choose 7, 30 or 90 days');

  // The share's page: its own activity.
  await page.goto(`/console/share/${opened.id}`);
  await expect(page.getByTestId('activity').getByTestId('activity-totals')).toContainText('Opens: 1');
  await shots(page, info, '02-share-activity');
});
