import { test, expect, Page } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shot, shots, signIn } from './helpers';

// Portal brands: an admin brands a portal in the console; every guest screen of that
// portal's shares (landing, portal page, each denial) is drawn in it, at 1280 and 375 px.

test.describe.configure({ mode: 'serial' });

const rootBackground = (page: Page) =>
  page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

test('an admin brands a portal and its guests see that brand on every screen', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const doc = await (await rest.post('/api/v1/documents', {
    multipart: { title: 'Exhibit 12', file: { name: 'exhibit.txt', mimeType: 'text/plain', buffer: Buffer.from('Exhibit 12: ledger extract') } },
  })).json();

  await page.goto('/console/portals');
  await hydrated(page);
  await page.getByText('Create a portal').click();
  await page.getByTestId('portal-name').fill('Harbour Authority');
  await page.click('button:has-text("Create portal")');
  const portal = page.getByTestId('portal').filter({ hasText: 'Harbour Authority' });
  await expect(portal).toBeVisible();
  await portal.getByText('Brand, disclaimer and terms').click();

  // A palette that cannot be read is refused beside its field, with the ratio.
  await portal.getByTestId('brand-display-name').fill('Harbour Authority — Investigations');
  await portal.getByTestId('brand-primary').fill('#1a2b3c');
  await portal.getByTestId('brand-accent').fill('#06d6a0');
  await portal.getByTestId('brand-background').fill('#0b1d33');
  await portal.getByTestId('save-brand').click();
  const primaryError = portal.locator('.field-error').first();
  await expect(primaryError).toContainText('4.5:1');
  await expect(primaryError).toContainText('#1a2b3c');
  await shot(page, info, '01-palette-refused');

  await portal.getByTestId('brand-primary').fill('#ffd166');
  await portal.getByTestId('brand-disclaimer').fill('Material from the **Harbour Authority**. Do not forward it.\n\n- Every view is recorded\n- Report loss at once');
  await portal.getByTestId('brand-support-contact').fill('investigations@harbour.example');
  await portal.getByTestId('brand-footer-links').fill('Privacy | https://harbour.example/privacy\nAccessibility | https://harbour.example/a11y');
  await portal.getByTestId('save-brand').click();
  await expect(portal.getByTestId('brand-saved')).toBeVisible();

  // The logo form: a plain multipart post (a PNG cut from this very page).
  const png = await page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 96 } });
  await portal.getByTestId('brand-logo-file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
  await portal.getByTestId('upload-logo').click();
  await expect(page.getByTestId('logo-saved')).toBeVisible();
  const branded = page.getByTestId('portal').filter({ hasText: 'Harbour Authority' });
  await branded.getByText('Brand, disclaimer and terms').click();
  await expect(branded.getByTestId('logo-preview')).toBeVisible();
  await shots(page, info, '02-portal-branded');

  // An SVG "logo" is refused with a clear message.
  await branded.getByTestId('brand-logo-file').setInputFiles({
    name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
  });
  await branded.getByTestId('upload-logo').click();
  await expect(page.getByTestId('logo-error')).toContainText('SVG');

  // A custom domain: a wildcard is refused; a name gets the TXT record to publish.
  const withDomains = page.getByTestId('portal').filter({ hasText: 'Harbour Authority' });
  // The list is redrawn after each action: open the section when it is closed.
  const openDomains = async () => {
    const section = withDomains.locator('details', { has: page.getByText('Custom domains') });
    if ((await section.getAttribute('open')) === null) await section.locator('summary').click();
  };
  await openDomains();
  await withDomains.getByTestId('domain-name').fill('*.harbour.example');
  await withDomains.getByTestId('add-domain').click();
  await expect(page.getByTestId('portals-error')).toContainText('wildcards are not accepted');
  await openDomains();
  await withDomains.getByTestId('domain-name').fill('Share.Harbour.Example');
  await withDomains.getByTestId('add-domain').click();
  const row = page.getByTestId('domain').filter({ hasText: 'share.harbour.example' });
  await expect(row.getByTestId('domain-status')).toHaveText('pending');
  await expect(row).toContainText('_liaison-challenge.share.harbour.example');
  await shots(page, info, '02b-custom-domain-pending');

  // A share in that portal, chosen on the share form.
  await page.goto('/console/shares/new');
  await hydrated(page);
  await page.selectOption('select[name=document_id]', { label: 'Exhibit 12' });
  await page.fill('textarea[name=recipients_text]', 'Robin Auditor <robin@audit.example>');
  await page.selectOption('[data-testid=portal]', { label: 'Harbour Authority (0 members)' });
  await page.click('button:has-text("Create link")');
  const url = await page.getByTestId('share-url').inputValue();
  remember(url);

  const guest = await (await browser.newContext()).newPage();
  await guest.goto(url);
  await expect(guest.getByTestId('brand-logo')).toHaveAttribute('alt', 'Harbour Authority — Investigations');
  await expect(guest.getByTestId('disclaimer')).toContainText('Harbour Authority');
  await expect(guest.getByTestId('disclaimer').locator('li')).toHaveCount(2);
  await expect(guest.getByTestId('brand-support')).toHaveAttribute('href', 'mailto:investigations@harbour.example');
  await expect(guest.getByTestId('brand-footer')).toContainText('Accessibility');
  expect(await rootBackground(guest)).toBe('rgb(11, 29, 51)');
  await expect(guest).toHaveTitle(/Harbour Authority — Investigations/);
  await shots(guest, info, '03-guest-landing');

  await guest.getByTestId('ack').check();
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await expect(guest.getByTestId('portal-item')).toContainText('Exhibit 12');
  await expect(guest.getByTestId('brand-logo')).toBeVisible();
  expect(await rootBackground(guest)).toBe('rgb(11, 29, 51)');
  await shots(guest, info, '04-guest-portal');

  // Revoked: the denial is in the portal's brand too.
  const share = (await (await rest.get('/api/v1/shares?limit=200')).json()).items.find(
    (s: { recipient: { email: string } }) => s.recipient.email === 'robin@audit.example');
  expect((await rest.post(`/api/v1/shares/${share.id}/revoke`)).ok()).toBeTruthy();
  await guest.goto(url);
  await expect(guest.getByTestId('denied')).toHaveText('This link has been revoked.');
  await expect(guest.getByTestId('brand-logo')).toBeVisible();
  expect(await rootBackground(guest)).toBe('rgb(11, 29, 51)');
  await shots(guest, info, '05-guest-revoked');

  // An unknown link shows Liaison's own brand and no organisation's.
  await guest.goto('/s/' + 'A'.repeat(65));
  await expect(guest.getByTestId('brand-name')).toHaveText('Liaison');
  await expect(guest.getByTestId('brand-logo')).toHaveCount(0);
});
