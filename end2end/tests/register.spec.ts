import { test, expect, BrowserContext } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { remember, shots, signIn, BASE } from './helpers';

// The document register (issue 12, part 3): a project bounded by the organisation's
// ceilings, legal terms published and chosen in the share form, an upload with its
// number, project and progress, "Share with guest" from the document's page, a new
// revision that the guest is told about and the console flags, the document's Activity
// tab filtered by the "Guest share" group, and who accepted which terms.

test.describe.configure({ mode: 'serial' });

test('a document is filed, shared, revised; the guest is told and the console flags it', async ({ page, browser }, info) => {
  // Every page here hydrates without a script error (a mismatch panics the wasm).
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await installHydrationProbe(page);
  await signIn(page);

  // A project may tighten the organisation's policy, never loosen it.
  await page.goto('/console/projects');
  await hydrated(page);
  await page.getByTestId('project-name').fill('Harbour works');
  await page.getByTestId('create-project').click();
  const project = page.getByTestId('project').filter({ hasText: 'Harbour works' });
  await expect(project).toBeVisible();
  await project.getByTestId('project-max-expiry').fill('9999');
  await project.getByTestId('save-project').click();
  await expect(project.getByTestId('project-error')).toContainText('max_expiry_days');
  await project.getByTestId('project-max-expiry').fill('30');
  await project.getByTestId('save-project').click();
  await expect(page.getByTestId('project').filter({ hasText: 'Harbour works' }).getByTestId('project-effective')).toContainText('at most 30');
  await shots(page, info, '01-projects');

  // Legal terms: a version, published once.
  await page.goto('/console/terms');
  await hydrated(page);
  await page.getByTestId('terms-version').fill('2026-12');
  await page.getByTestId('terms-body').fill('Use the survey only for the harbour tender.');
  await page.getByTestId('publish-terms').click();
  await expect(page.getByTestId('terms-published')).toBeVisible();
  await expect(page.getByTestId('terms-version-row')).toContainText('2026-12');

  // The upload shows its progress; held at the network until the bar is seen.
  await page.goto('/console/documents');
  await hydrated(page);
  await page.fill('input[name=title]', 'Quay wall survey');
  await page.getByTestId('document-number').fill('DOC-0042');
  await page.getByTestId('upload-project').selectOption({ label: 'Harbour works' });
  await page.getByTestId('upload-file').setInputFiles({
    name: 'survey.txt', mimeType: 'text/plain', buffer: Buffer.from('Quay wall survey, revision one\n'.repeat(20_000)),
  });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/console/documents', async (route) => { await held; await route.continue(); });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(page.getByTestId('upload-progress')).toBeVisible();
  await expect(page.getByTestId('upload-progress')).toContainText('%');
  await shots(page, info, '02-upload-progress');
  release();
  await expect(page).toHaveURL(/\/console\/documents\/[0-9a-f-]{36}\?uploaded=1$/);
  await page.unroute('**/console/documents');
  const documentPage = page.url().split('?')[0];
  await expect(page.getByTestId('document-title')).toHaveText('Quay wall survey');
  await expect(page.getByTestId('document-facts')).toContainText('No. DOC-0042');
  await expect(page.getByTestId('document-facts')).toContainText('Revision 1');
  await expect(page.getByTestId('document-facts')).toContainText('Project Harbour works');

  // "Share with guest": the form opens with the document chosen; the terms are chosen.
  await page.getByTestId('share-with-guest').click();
  await expect(page).toHaveURL(/\/console\/shares\/new\?document=/);
  await hydrated(page);
  await expect(page.getByTestId('item').locator('option:checked')).toHaveText('Quay wall survey');
  await page.getByTestId('terms').selectOption({ label: 'Version 2026-12' });
  await page.getByTestId('recipients').fill('Tom Tender <tom@tenders.example>');
  await page.click('button:has-text("Create link")');
  const url = await page.getByTestId('share-url').inputValue();
  remember(url);

  // The guest accepts the terms and sees the first revision, not yet marked revised.
  const guestContext: BrowserContext = await browser.newContext({ baseURL: BASE });
  const guest = await guestContext.newPage();
  await guest.goto(url);
  await expect(guest.getByTestId('terms')).toContainText('harbour tender');
  await guest.getByTestId('accept-terms').check();
  await guest.getByTestId('ack').check();
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await expect(guest.getByTestId('portal-item')).toContainText('Quay wall survey');
  await expect(guest.getByTestId('revised')).toHaveCount(0);

  // A new revision from the document's page.
  await page.goto(documentPage);
  await hydrated(page);
  await page.getByTestId('revision-file').setInputFiles({
    name: 'survey-b.txt', mimeType: 'text/plain', buffer: Buffer.from('Quay wall survey, revision two\n'),
  });
  await page.getByRole('button', { name: 'Upload revision' }).click();
  await expect(page.getByTestId('document-notice')).toContainText('New revision uploaded');
  await expect(page.getByTestId('document-facts')).toContainText('Revision 2');
  const revisedPage = page.url().split('?')[0];

  // The guest's page says so next to the document.
  await guest.reload();
  await expect(guest.getByTestId('revised')).toContainText('ask the sender for a new share');
  await shots(guest, info, '03-guest-revised');

  // The document's Shares panel flags the share of the older revision.
  await page.goto(`${revisedPage}?tab=shares`);
  await hydrated(page);
  const row = page.getByTestId('shares-table').locator('tr', { hasText: 'tom@tenders.example' });
  await expect(row.getByTestId('revised-flag')).toBeVisible();
  await shots(page, info, '04-document-shares');
  await page.getByTestId('tab-revisions').click();
  await expect(page.getByTestId('revisions-table').locator('tbody tr')).toHaveCount(2);

  // Its Activity tab: the "Guest share" group, then one event type.
  await page.getByTestId('tab-activity').click();
  await hydrated(page);
  await page.getByTestId('event-type').selectOption({ label: 'Guest share' });
  await page.getByTestId('filter-activity').click();
  const audit = page.getByTestId('audit-table');
  await expect(audit).toContainText('share.terms_accepted');
  await expect(audit).toContainText('share.created');
  await expect(audit).not.toContainText('document.revised');
  await shots(page, info, '05-document-activity');
  await page.getByTestId('event-type').selectOption('document.revised');
  await page.getByTestId('filter-activity').click();
  await expect(audit.locator('tbody tr')).toHaveCount(1);
  await expect(audit).not.toContainText('share.created');

  // Who accepted which version of the terms.
  await page.goto('/console/terms');
  const accepted = page.getByTestId('acceptances-table').locator('tr', { hasText: 'tom@tenders.example' });
  await expect(accepted).toContainText('2026-12');
  await shots(page, info, '06-terms');
  await guestContext.close();
  expect(errors, errors.join('\n')).toEqual([]);
});
