import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, mailedCode, remember, shots, signIn, uploadText } from './helpers';

// Data records (issue 14): a delivery with its chain of custody is shared by invitation;
// the guest proves their address with the mailed code and sees the record, its history,
// the documents with their SHA-256 and a signed export — and nothing that was withheld.

const CANARIES = ['CANARY-E2E-FIELD', 'CANARY-E2E-EVENT', 'CANARY-E2E-DOC', 'CANARY-E2E-RULE'];

test('a guest opens a shared delivery record and sees everything but what is withheld', async ({ page, browser }, info) => {
  await signIn(page);
  const rest = await api();
  const stamp = Date.now();
  const lading = await uploadText(rest, 'Bill of lading', 'lading.txt', 'Bill of lading for consignment 42');
  const secret = await uploadText(rest, 'Customs notes CANARY-E2E-DOC', 'notes.txt', 'private notes');
  expect((await rest.put('/api/v1/redaction-rules/informant')).ok()).toBeTruthy();
  const made = await rest.post('/api/v1/records', {
    data: {
      records: [
        { kind: 'organisation', record_type: 'carrier', title: 'North Freight', reference: `ORG-${stamp}` },
        { kind: 'location', record_type: 'depot', title: 'Ghent depot', reference: `LOC-${stamp}`, fields: { city: 'Ghent' } },
        {
          record_type: 'delivery', title: 'Consignment 42', reference: `DEL-${stamp}`,
          fields: {
            weight_kg: 12.5, fragile: true,
            consignee: { name: 'Port Authority', phone: 'CANARY-E2E-FIELD' },
            informant: 'CANARY-E2E-RULE',
          },
          redacted: ['consignee.phone'],
          history: [
            { occurred_at: '2026-11-01T08:00:00Z', process: 'loaded', holder: `ORG-${stamp}`, location: `LOC-${stamp}`,
              notes: 'Two pallets, sealed.', fields: { seal: 'S-118', driver_phone: 'CANARY-E2E-EVENT' },
              redacted: ['fields.driver_phone'] },
            { occurred_at: '2026-11-02T15:30:00Z', process: 'delivered', location: `LOC-${stamp}` },
          ],
          documents: [{ document_id: lading }, { document_id: secret, private: true }],
        },
      ],
    },
  });
  expect(made.status(), await made.text()).toBe(201);
  const record = (await made.json()).items[2].id as string;

  const email = `records-${stamp}@audit.example`;
  const r = await rest.post('/api/v1/shares', {
    data: { item: { kind: 'record', id: record }, method: 'invitation', recipient: { name: 'Ada Auditor', email }, settings: { allow_download: true } },
  });
  expect(r.status(), await r.text()).toBe(201);
  const share = await r.json();
  remember(share.url);

  const context = await browser.newContext({ acceptDownloads: true });
  const guest = await context.newPage();
  await installHydrationProbe(guest);
  await guest.goto(share.url);
  await hydrated(guest);
  await guest.getByTestId('continue').click();
  await expect(guest.getByTestId('open-error')).toBeVisible();
  await guest.getByTestId('code').fill(await mailedCode(page, email));
  await guest.getByTestId('continue').click();

  const shown = guest.getByTestId('shared-record');
  await expect(shown).toContainText('Consignment 42');
  await expect(shown).toContainText('Port Authority');
  await expect(shown.getByTestId('withheld').first()).toContainText('2 fields are withheld');
  await expect(shown.getByTestId('record-history').locator('li')).toHaveCount(2);
  await expect(shown.getByTestId('record-history')).toContainText('held by North Freight');
  await expect(guest.getByTestId('portal-item')).toHaveCount(1); // the bill of lading, not the private notes
  await expect(guest.getByTestId('sha256')).toHaveCount(1);
  await expect(guest.frameLocator('.viewer-frame').locator('body')).toContainText('Bill of lading for consignment 42');
  const html = await guest.content();
  for (const canary of CANARIES) expect(html, canary).not.toContain(canary);
  await shots(guest, info, '01-guest-record');

  const download = guest.waitForEvent('download');
  await guest.getByTestId('record-export').click();
  const jws = await (await download).path().then((p) => require('fs').readFileSync(p, 'utf8') as string);
  const parts = jws.split('.');
  expect(parts).toHaveLength(3);
  const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  expect(payload.record.title).toBe('Consignment 42');
  expect(payload.share).toBe(share.id);
  for (const canary of CANARIES) expect(JSON.stringify(payload), canary).not.toContain(canary);

  // The private document is not served even by its id.
  const direct = await guest.request.get(`/api/portal/items/${secret}/content`);
  expect(direct.status()).toBe(404);
  await context.close();

  // Staff see the record whole, with what guests do not, and its share.
  await page.goto(`/console/records?q=DEL-${stamp}`);
  await page.getByTestId('record-link').filter({ hasText: 'Consignment 42' }).click();
  await expect(page.getByTestId('record-title')).toHaveText('Consignment 42');
  await expect(page.getByTestId('record-marks').first()).toContainText('consignee.phone');
  await expect(page.getByTestId('record-rules')).toContainText('informant');
  await expect(page.locator('body')).toContainText('CANARY-E2E-FIELD');
  await expect(page.getByTestId('record-history').locator('> li')).toHaveCount(2);
  await expect(page.getByTestId('record-documents')).toContainText('Private: never shown');
  await expect(page.getByTestId('record-shares')).toContainText(email);
  await shots(page, info, '02-console-record');
});

test('staff create a record in the console, withhold a nested field, and edit it', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/records/new');
  await hydrated(page);
  const stamp = Date.now();
  await page.getByTestId('record-kind-item').check();
  await page.getByTestId('record-type').fill('delivery');
  await page.getByTestId('record-title-input').fill('Consignment from the console');
  await page.getByTestId('record-reference').fill(`CON-${stamp}`);
  await page.getByTestId('record-fields').fill(JSON.stringify({
    weight_kg: 8, consignee: { name: 'Harbour office', phone: '+32 9 000 00 00' },
  }, null, 2));
  // Every path is offered, nested ones under their parent.
  const boxes = page.getByTestId('withhold');
  await expect(boxes).toHaveCount(4);
  await page.locator('[data-testid=withhold][data-path="consignee.phone"]').check();
  await shots(page, info, '05-console-new-record');
  await page.getByTestId('save-record').click();
  await expect(page).toHaveURL(/\/console\/records\/[0-9a-f-]{36}\?saved=/);
  await expect(page.getByTestId('record-title')).toHaveText('Consignment from the console');
  await expect(page.getByTestId('record-marks')).toContainText('consignee.phone');
  await expect(page.getByTestId('sensitive-warning')).toHaveCount(0);

  // Edit: a bad JSON is refused in place; a good one saved with the mark moved.
  await hydrated(page);
  await page.getByTestId('edit-record').click();
  await page.getByTestId('record-fields').fill('{"weight_kg": 9, "consignee": {"name": "Harbour office", "phone": "+32"}, "email": "x@y.example"');
  await expect(page.getByTestId('record-marks-editor')).toContainText('Not JSON');
  await page.getByTestId('record-fields').fill('{"weight_kg": 9, "consignee": {"name": "Harbour office", "phone": "+32"}, "email": "x@y.example"}');
  await page.locator('[data-testid=withhold][data-path="email"]').check();
  await page.getByTestId('save-record').click();
  await expect(page.getByTestId('record-saved')).toBeVisible();
  await expect(page.getByTestId('record-marks').first()).toContainText('email');
  await expect(page.getByTestId('record-marks').first()).toContainText('consignee.phone');
  await shots(page, info, '06-console-record-edited');
});

test('an administrator withholds a field name in every record from Settings', async ({ page }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/settings');
  await hydrated(page);
  const rules = page.getByTestId('redaction-rules');
  await rules.getByTestId('rule-name').fill('*');
  await rules.getByTestId('add-rule').click();
  await expect(rules.locator('.field-error, [role=alert]').first()).toContainText('every field');
  await rules.getByTestId('rule-name').fill('Source Name');
  await rules.getByTestId('add-rule').click();
  await expect(rules.locator('[data-testid=rule][data-name="Source Name"]')).toBeVisible();
  await shots(page, info, '07-settings-redaction-rules');
  const rest = await api();
  const listed = await (await rest.get('/api/v1/redaction-rules')).json();
  expect(JSON.stringify(listed)).toContain('Source Name');
  await rules.locator('[data-testid=rule][data-name="Source Name"]').getByTestId('remove-rule').click();
  await expect(rules.locator('[data-testid=rule][data-name="Source Name"]')).toHaveCount(0);
});
