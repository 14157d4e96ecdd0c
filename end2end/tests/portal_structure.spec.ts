import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, mailedCode, remember, shots, signIn } from './helpers';

// A portal's structure (issue 11, point 6): an admin arranges the portal's items into
// sections and makes a partner's lead a manager; the lead's home lists their shares under
// those sections, in that order, and lets them add a colleague from the allowed domain
// (and refuses one from elsewhere, under the field).

test('an admin arranges sections and names a manager, who sees them and adds a colleague', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const stamp = Date.now();
  const portalName = `Tribunal panel ${stamp}`;
  const lead = `lead-${stamp}@chambers.example`;
  const upload = async (title: string) => (await (await rest.post('/api/v1/documents', {
    multipart: { title, file: { name: 'bundle.txt', mimeType: 'text/plain', buffer: Buffer.from(title) } },
  })).json()).id as string;
  const pleading = `Pleading ${stamp}`;
  const witness = `Witness statement ${stamp}`;
  const [pleadingId, witnessId] = [await upload(pleading), await upload(witness)];

  // The portal, and its lead as a manager, in the console.
  await page.goto('/console/portals');
  await hydrated(page);
  await page.getByText('Create a portal').click();
  await page.getByTestId('portal-name').fill(portalName);
  await page.click('button:has-text("Create portal")');
  const portal = page.getByTestId('portal').filter({ hasText: portalName });
  await expect(portal).toBeVisible();
  await portal.getByText('Add a member').click();
  await portal.getByTestId('member-name').fill('Lena Lead');
  await portal.getByTestId('member-email').fill(lead);
  await portal.getByTestId('member-role').selectOption('manager');
  await portal.getByTestId('add-member').click();
  const row = portal.getByTestId('member').filter({ hasText: lead });
  await expect(row.getByTestId('member-role-change')).toHaveValue('manager');
  await portal.getByText('Domains managers may add members from').click();
  await portal.getByTestId('member-domains').fill('chambers.example');
  await portal.getByTestId('save-member-domains').click();
  await expect(portal.getByTestId('member-domains')).toHaveValue('chambers.example');
  await shots(page, info, '01-portal-members');

  // Sections: "Evidence" then "Pleadings", then Pleadings moved first.
  await portal.getByTestId('portal-sections').click();
  await expect(page).toHaveURL(/\/sections$/);
  await hydrated(page);
  for (const name of ['Evidence', 'Pleadings']) {
    await page.getByTestId('section-name').fill(name);
    await page.getByTestId('add-section').click();
    await expect(page.getByTestId('section').filter({ hasText: name })).toBeVisible();
  }
  // Items to add are found by title, in any case (the choice lists only the newest
  // documents); an empty search offers them all again.
  await page.getByTestId('find-items').fill(witness.toUpperCase());
  await page.getByTestId('find-items').press('Enter');
  await expect(page).toHaveURL(/find=WITNESS/);
  await hydrated(page);
  await expect(page.getByTestId('section').first().getByTestId('place-item').locator('option')).toHaveCount(1);
  const evidence = page.getByTestId('section').filter({ hasText: 'Evidence' });
  await evidence.getByTestId('place-item').selectOption(`document:${witnessId}`);
  await evidence.getByTestId('place').click();
  await expect(evidence.getByTestId('section-item')).toContainText(witness);
  await page.getByTestId('find-items').fill('');
  await page.getByTestId('find-items').press('Enter');
  await expect(page).toHaveURL(/find=$/);
  await hydrated(page);
  const pleadings = page.getByTestId('section').filter({ hasText: 'Pleadings' });
  await pleadings.getByTestId('place-item').selectOption(`document:${pleadingId}`);
  await pleadings.getByTestId('place').click();
  await expect(pleadings.getByTestId('section-item')).toContainText(pleading);
  await pleadings.getByTestId('section-up').click();
  await expect(page.getByTestId('section').first()).toHaveAttribute('data-section', 'Pleadings');
  // A second section with the same name is refused, nothing added.
  await page.getByTestId('section-name').fill('Evidence');
  await page.getByTestId('add-section').click();
  await expect(page.getByTestId('section-name-error')).toContainText('named "Evidence" already');
  await expect(page.getByTestId('sections-error')).toHaveCount(0);
  await expect(page.getByTestId('section')).toHaveCount(2);
  await shots(page, info, '02-sections');

  // Portal shares of both to the lead; the lead opens one with the mailed code.
  const portalId = (await (await rest.get('/api/v1/portals')).json()).portals.find((p: any) => p.name === portalName).id;
  let first: any;
  for (const item of [witnessId, pleadingId]) {
    const r = await rest.post('/api/v1/shares', {
      data: { item, method: 'portal', portal_id: portalId, recipient: { name: 'Lena Lead', email: lead } },
    });
    expect(r.status(), await r.text()).toBe(201);
    const s = await r.json();
    remember(s.url);
    first ??= s;
  }
  const context = await browser.newContext();
  const guest = await context.newPage();
  await installHydrationProbe(guest);
  await guest.goto(first.url);
  await hydrated(guest);
  await guest.getByTestId('continue').click();
  await expect(guest.getByTestId('open-error')).toBeVisible();
  await guest.getByTestId('code').fill(await mailedCode(page, lead));
  await guest.getByTestId('continue').click();
  await expect(guest.getByTestId('portal-item')).toContainText(witness);

  // The home: Pleadings, then Evidence; the manager's members.
  await guest.getByTestId('home-link').click();
  await expect(guest).toHaveURL(/\/portal\/home$/);
  await hydrated(guest);
  const sections = guest.getByTestId('home-section');
  await expect(sections).toHaveCount(2);
  await expect(sections.nth(0)).toHaveAttribute('data-section', 'Pleadings');
  await expect(sections.nth(0)).toContainText(pleading);
  await expect(sections.nth(1)).toHaveAttribute('data-section', 'Evidence');
  await expect(sections.nth(1)).toContainText(witness);
  const members = guest.getByTestId('home-members');
  await expect(members).toContainText('chambers.example');

  // A colleague from elsewhere: refused under the field. From the domain: added.
  await guest.getByTestId('home-member-name').fill('Eve Elsewhere');
  await guest.getByTestId('home-member-email').fill(`eve-${stamp}@elsewhere.example`);
  await guest.getByTestId('home-member-add').click();
  await expect(guest.getByTestId('home-member-email-error')).toContainText('chambers.example');
  await guest.getByTestId('home-member-name').fill('Colin Colleague');
  await guest.getByTestId('home-member-email').fill(`colin-${stamp}@chambers.example`);
  await guest.getByTestId('home-member-add').click();
  await expect(guest.getByTestId('home-member')).toContainText(`colin-${stamp}@chambers.example`);
  await shots(guest, info, '03-manager-home');

  // The console shows who added the colleague.
  await page.goto('/console/portals');
  await expect(page.getByTestId('portal').filter({ hasText: portalName }).getByTestId('member').filter({ hasText: `colin-${stamp}` }))
    .toContainText('Added by Lena Lead');
  await context.close();
});
