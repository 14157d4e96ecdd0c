import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots, signIn, uploadText } from './helpers';

// 28 CFR Part 23 (issue 14): a document flagged as criminal intelligence is shared only
// with a law-enforcement partner under a written justification; the console's report lists
// the dissemination and exports it; the review retains it with a reason.

test('a criminal intelligence share is refused without a justification and the report lists the allowed one', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const stamp = Date.now();
  const domain = `police-${stamp}.example`;
  const partner = await rest.post('/api/v1/partners', {
    data: { name: `Harbour Police ${stamp}`, domains: [domain], law_enforcement: true },
  });
  expect(partner.status(), await partner.text()).toBe(201);
  const doc = await uploadText(rest, `Informant report ${stamp}`, 'report.txt', 'Sightings at the Ghent depot');
  const flagged = await rest.put(`/api/v1/intelligence/document/${doc}`, {
    data: { submitting_agency: 'Ghent PD', reliability: 'B', validity: '2' },
  });
  expect(flagged.status(), await flagged.text()).toBe(200);

  // The document's page shows the flag.
  await page.goto(`/console/documents/${doc}`);
  await expect(page.getByTestId('intel-flag')).toContainText('Ghent PD');
  await expect(page.getByTestId('intel-flag')).toContainText('B: usually reliable');
  await shots(page, info, '01-flagged-document');

  // Without a justification: refused, and the form says why under the field.
  await page.goto(`/console/shares/new?document=${doc}`);
  await hydrated(page);
  await page.getByTestId('recipients').fill(`Ada Byron <ada@${domain}>`);
  await page.getByTestId('method').selectOption('invitation');
  await page.getByRole('button', { name: 'Create links' }).click();
  await expect(page.locator('#justification-error')).toContainText('need-to-know');
  await expect(page.getByTestId('created-share')).toHaveCount(0);
  await shots(page, info, '02-share-refused-without-justification');

  const why = 'Task force 7 investigates the Ghent depot thefts; Det. Ada Byron leads it.';
  await page.getByTestId('justification').fill(why);
  await page.getByRole('button', { name: 'Create links' }).click();
  remember(await page.getByTestId('share-url').inputValue());

  // The dissemination record lists it; the export carries it.
  await page.goto('/console/intelligence');
  await hydrated(page);
  const report = page.getByTestId('dissemination-table');
  const line = report.getByTestId('dissemination-row').filter({ hasText: `ada@${domain}` });
  await expect(line).toContainText(`Informant report ${stamp}`);
  await expect(line).toContainText(`Harbour Police ${stamp}`);
  await expect(line).toContainText(why);
  const href = await page.getByTestId('dissemination-export').getAttribute('href');
  const csv = await (await page.request.get(href!)).text();
  expect(csv).toContain(`ada@${domain}`);
  expect(csv.split('\n')[0]).toContain('justification');

  // The review queue lists the item; an administrator retains it with a reason.
  const row = page.getByTestId('intel-row').filter({ hasText: `Informant report ${stamp}` });
  await expect(row).toContainText('Ghent PD');
  await shots(page, info, '03-intelligence-page');
  await row.getByTestId('review-reason').fill('Still relevant to the depot case.');
  await row.getByTestId('decide').click();
  await expect(page.getByTestId('review-done')).toContainText('Retained until');
});
