import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots, signIn } from './helpers';

// Access reviews (issue 12, part 6): an administrator starts a campaign over a project's
// shares with "revoke" as the default; the queue shows each share with its flags; one is
// kept, one extended; "End now" gives the undecided one the default action (auto-apply),
// closes the review, and the outcome report lists all three.

test('a review campaign from start to auto-apply', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  // A project of its own, so the campaign covers only this spec's shares.
  const projectName = `Review scope ${Date.now()}`;
  const project = await rest.post('/api/v1/projects', { data: { name: projectName } });
  expect(project.ok(), await project.text()).toBeTruthy();
  const projectId = (await project.json()).id;
  const doc = await rest.post('/api/v1/documents', {
    multipart: {
      title: 'Procurement file', project_id: projectId,
      file: { name: 'procurement.txt', mimeType: 'text/plain', buffer: Buffer.from('Bids.\n') },
    },
  });
  expect(doc.ok(), await doc.text()).toBeTruthy();
  const documentId = (await doc.json()).id;
  const people = [['Kim Keep', 'kim@auditors.example'], ['Ed Extend', 'ed@auditors.example'], ['Una Undecided', 'una@auditors.example']];
  for (const [name, email] of people) {
    const r = await rest.post('/api/v1/shares', {
      data: { item: documentId, recipient: { name, email }, expires_in_days: 7, max_access_count: 10 },
    });
    expect(r.ok(), await r.text()).toBeTruthy();
    remember((await r.json()).url);
  }

  // Start the review: the project's shares, reviewed by their creator, revoked if undecided.
  await page.goto('/console/reviews');
  await hydrated(page);
  await page.getByTestId('start-review-panel').locator('summary').click();
  const name = `December external access ${Date.now()}`;
  await page.getByTestId('review-name').fill(name);
  await page.getByTestId('scope-project').selectOption({ label: projectName });
  const due = new Date(Date.now() + 14 * 86_400_000);
  const local = `${due.getFullYear()}-${String(due.getMonth() + 1).padStart(2, '0')}-${String(due.getDate()).padStart(2, '0')}T17:00`;
  await page.getByTestId('review-due').fill(local);
  await page.getByTestId('review-default').selectOption('revoke');
  await shots(page, info, '01-start-review');
  await page.getByTestId('start-review').click();
  await expect(page).toHaveURL(/\/console\/reviews\/[0-9a-f-]{36}$/);
  await hydrated(page);
  await expect(page.getByTestId('review-progress')).toHaveText('0 of 3 decided');
  const queue = page.getByTestId('review-queue');
  const row = (email: string) => queue.locator('tr', { hasText: email });
  await expect(queue.getByTestId('queue-row')).toHaveCount(3);
  // Flags: nobody has opened them; no partner knows these recipients.
  await expect(row('kim@auditors.example').locator('[data-flag=never_opened]')).toBeVisible();
  await expect(row('kim@auditors.example').locator('[data-flag=outside_partners]')).toBeVisible();
  await shots(page, info, '02-review-queue');

  // A revoke without a reason is refused on its field, and nothing changes.
  await row('una@auditors.example').getByTestId('review-decision').selectOption('revoke');
  await row('una@auditors.example').getByTestId('review-decide').click();
  // (The error sits under the reason, in Una's row.)
  await expect(row('una@auditors.example').locator('.field-error')).toContainText('why');
  await expect(page.getByTestId('review-progress')).toHaveText('0 of 3 decided');

  // Keep one, extend one (the queue shows what is left).
  await row('kim@auditors.example').getByTestId('review-reason').fill('Audit still running.');
  await row('kim@auditors.example').getByTestId('review-decide').click();
  await expect(page.getByTestId('review-progress')).toHaveText('1 of 3 decided');
  await row('ed@auditors.example').getByTestId('review-decision').selectOption('extend');
  await row('ed@auditors.example').getByTestId('review-extend').selectOption('14d');
  await row('ed@auditors.example').getByTestId('review-reason').fill('Second phase agreed.');
  await row('ed@auditors.example').getByTestId('review-decide').click();
  await expect(page.getByTestId('review-progress')).toHaveText('2 of 3 decided');
  await expect(queue.getByTestId('queue-row')).toHaveCount(1);

  // End now: the undecided share gets the default action (revoked), the review closes.
  await page.getByTestId('end-review').click();
  await page.getByTestId('confirm-end-review').click();
  await expect(page.getByTestId('review-ending')).toContainText('closed');
  await expect(page.getByTestId('review-status')).toHaveText('Closed');
  await page.getByTestId('queue-show').selectOption('all');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await expect(page).toHaveURL(/show=all/);
  await expect(row('una@auditors.example').getByTestId('decision')).toHaveText('Revoked');
  await expect(row('una@auditors.example')).toContainText('by the default action');
  await expect(row('kim@auditors.example').getByTestId('decision')).toHaveText('Kept');
  await expect(row('ed@auditors.example').getByTestId('decision')).toHaveText('Extended');
  await shots(page, info, '03-review-closed');

  // The outcome report, and the shares as they now stand.
  const report = await page.request.get(page.url().split('?')[0] + '/report?format=csv');
  expect(report.ok()).toBeTruthy();
  const csv = await report.text();
  expect(csv.split('\n').filter((l) => l.includes('@auditors.example'))).toHaveLength(3);
  expect(csv).toContain('default action');
  expect(csv).toContain('Second phase agreed.');
  await page.goto('/console?status=revoked');
  await expect(page.getByTestId('shares-table')).toContainText('una@auditors.example');

  // The review's events are in the audit log.
  await page.goto('/console/audit?event_type=review.closed');
  await expect(page.getByTestId('audit-table').locator('tbody tr').first()).toBeVisible();
});
