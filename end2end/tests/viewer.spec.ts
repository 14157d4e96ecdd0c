import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, mailedCode, remember, shot, shots, signIn } from './helpers';
import type { APIRequestContext, Browser, Page } from '@playwright/test';

// The protected viewer (issue 15): a guest scrolls a multi-page PDF drawn as page images on
// the server, zooms, and every page carries the watermark; a TLP:RED share offers neither
// a download nor a print, and its original file is answered by no endpoint. Where printing
// is allowed, Print loads every page first; staff tune the watermark, and a screenshot of a
// guest's page, uploaded to "Trace a leak", names that guest.

/** A PDF of `pages`, each with its text in Helvetica (offsets computed, so it is valid). */
function pdf(pages: string[]): Buffer {
  const objects: string[] = [];
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  const kids = pages.map((_, i) => `${4 + i * 2} 0 R`).join(' ');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  pages.forEach((text, i) => {
    const stream = `BT /F1 28 Tf 72 700 Td (${text}) Tj ET`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`);
    objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  });
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** Uploads a three-page PDF; returns its id. */
async function briefPdf(rest: APIRequestContext, title: string): Promise<string> {
  const file = pdf(['Page one of the brief', 'Page two of the brief', 'Page three of the brief']);
  const up = await rest.post('/api/v1/documents', {
    multipart: { title, file: { name: 'brief.pdf', mimeType: 'application/pdf', buffer: file } },
  });
  expect(up.status(), await up.text()).toBe(201);
  return (await up.json()).id as string;
}

/** Opens an invitation as its guest (the code mailed to `email`, read in the console of
 * `admin`), in a browser of its own; returns it on the portal, hydrated. */
async function openAsGuest(browser: Browser, admin: Page, url: string, email: string, init?: () => void) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (init) await context.addInitScript(init);
  const guest = await context.newPage();
  await installHydrationProbe(guest);
  await guest.goto(url);
  await hydrated(guest);
  const ack = guest.getByTestId('ack');
  if (await ack.count()) await ack.check();
  await guest.getByTestId('continue').click();
  await guest.getByTestId('code').fill(await mailedCode(admin, email));
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await hydrated(guest);
  return { context, guest };
}

test('a guest scrolls and zooms a watermarked PDF; TLP:RED offers no download and no print', async ({ page, browser }, info) => {
  await signIn(page);
  const rest = await api();
  const stamp = Date.now();
  const doc = await briefPdf(rest, `Brief ${stamp}`);

  const email = `viewer-${stamp}@lawfirm.example`;
  const r = await rest.post('/api/v1/shares', {
    data: { item: doc, method: 'invitation', tlp: 'RED', recipient: { name: 'Jane Counsel', email }, settings: { watermark: true } },
  });
  expect(r.status(), await r.text()).toBe(201);
  const share = await r.json();
  remember(share.url);

  const { context, guest } = await openAsGuest(browser, page, share.url, email);

  // Three pages, laid out before they load; the first is drawn at once.
  const pages = guest.getByTestId('page');
  await expect(pages).toHaveCount(3);
  await expect(pages.nth(2)).toHaveAttribute('alt', 'Page 3 of 3');
  const loaded = (i: number) => pages.nth(i).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth);
  await expect.poll(() => loaded(0)).toBeGreaterThan(500);
  await expect(guest.getByTestId('watermark')).toContainText(email);
  await shots(guest, info, '01-viewer');

  // Scrolling brings the last page in, drawn lazily.
  await pages.nth(2).scrollIntoViewIfNeeded();
  await expect.poll(() => loaded(2)).toBeGreaterThan(500);
  // Every page image is a JPEG with the watermark baked in: it differs from the clean page
  // in the tiling's pixels (sampled where the page itself is blank).
  const src = (await pages.nth(2).getAttribute('src'))!;
  expect(src).toMatch(/\/pages\/3\?view=[0-9A-Z]{10}&w=\d+$/);
  const image = await guest.request.get(src);
  expect(image.status()).toBe(200);
  expect(image.headers()['content-type']).toBe('image/jpeg');
  const grey = await guest.evaluate(async (url) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    // The lower half of a page whose text sits at the top: only the watermark is there.
    const d = g.getImageData(0, c.height / 2, c.width, c.height / 2).data;
    let marked = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 235) marked++;
    return marked / (d.length / 4);
  }, src);
  expect(grey).toBeGreaterThan(0.02);

  // Zoom: wider pages, fetched at a larger width.
  const before = await pages.first().evaluate((img: HTMLImageElement) => img.getBoundingClientRect().width);
  await guest.getByRole('button', { name: 'Zoom in' }).click();
  await expect(guest.getByTestId('zoom')).toHaveText('125 %');
  await expect.poll(() => pages.first().evaluate((img: HTMLImageElement) => img.getBoundingClientRect().width)).toBeGreaterThan(before * 1.2);
  await guest.getByRole('button', { name: 'Fit width' }).click();
  await expect(guest.getByTestId('zoom')).toHaveText('100 %');

  // TLP:RED: no download offered, none answered; printing shows nothing of the pages.
  await expect(guest.getByTestId('download')).toHaveCount(0);
  for (const path of [`/api/portal/items/${doc}/content`, `/api/portal/items/${doc}/content?download=1`]) {
    const res = await guest.request.get(path);
    expect(res.status(), path).toBe(403);
    expect((await res.body()).includes(Buffer.from('Page one of the brief'))).toBe(false);
  }
  await guest.emulateMedia({ media: 'print' });
  await expect(pages.first()).toBeHidden();
  await expect(guest.locator('.print-blocked')).toBeVisible();
  // What Chromium prints (print media, as emulated): the refusal and the marking, and no
  // page image at all.
  const refusedPrint = await guest.pdf({ format: 'A4', path: info.outputPath('print-refused.pdf') });
  expect(refusedPrint.toString('latin1').match(/\/Subtype\s*\/Image\b/g)).toBeNull();
  const refusedText = execFileSync('pdftotext', [info.outputPath('print-refused.pdf'), '-']).toString();
  expect(refusedText).toContain('Printing is not allowed');
  expect(refusedText).toContain('TLP:RED');
  await guest.emulateMedia({ media: 'screen' });
  await context.close();
});

test('a guest prints every page where allowed; staff tune the watermark and trace a screenshot to the guest', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const stamp = Date.now();

  // The organisation's watermark: a new look saved (the form holds it to its bounds).
  const before = await (await rest.get('/api/v1/policy')).json();
  await page.goto('/console/settings');
  await hydrated(page);
  const opacity = page.getByTestId('watermark-opacity');
  await opacity.fill('24');
  await page.getByTestId('watermark-density').fill('8');
  await page.getByTestId('save-policy').click();
  await expect(page.getByTestId('policy-saved')).toBeVisible();
  await opacity.scrollIntoViewIfNeeded();
  await shots(page, info, '02-watermark-settings');
  const saved = await (await rest.get('/api/v1/policy')).json();
  expect([saved.viewer.watermark_opacity, saved.viewer.watermark_density]).toEqual([24, 8]);

  const doc = await briefPdf(rest, `Printable brief ${stamp}`);
  const email = `printer-${stamp}@lawfirm.example`;
  const r = await rest.post('/api/v1/shares', {
    data: { item: doc, method: 'invitation', tlp: 'AMBER', recipient: { name: 'Pat Printer', email }, settings: { watermark: true, allow_print: true } },
  });
  expect(r.status(), await r.text()).toBe(201);
  const share = await r.json();
  remember(share.url);
  // The browser's print dialog is counted, not opened (it would block a headless run).
  const { context, guest } = await openAsGuest(browser, page, share.url, email, () => {
    (window as unknown as { printed: number }).printed = 0;
    window.print = () => { (window as unknown as { printed: number }).printed += 1; };
  });
  const pages = guest.getByTestId('page');
  await expect(pages).toHaveCount(3);
  await expect(guest.getByTestId('watermark')).toContainText(`${email} · `);

  // Print: the lazy pages load first, then the dialog opens once, every page drawn.
  await guest.getByTestId('print').click();
  await expect.poll(() => guest.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
  const complete = await pages.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 500));
  expect(complete).toEqual([true, true, true]);
  await expect(guest.getByTestId('print')).toBeEnabled();
  await guest.emulateMedia({ media: 'print' });
  await expect(pages.nth(2)).toBeVisible();
  await expect(guest.getByRole('button', { name: 'Zoom in' })).toBeHidden();
  await shot(guest, info, '03-print-media');
  // What Chromium really prints: one sheet per page, each with its page image, and nothing
  // of the portal around them (printed.pdf is kept with the test's results).
  const pdf = await guest.pdf({ format: 'A4', path: info.outputPath('printed.pdf') });
  const printed = pdf.toString('latin1');
  expect(printed.match(/\/Type\s*\/Page\b/g)?.length).toBe(3);
  expect(printed.match(/\/Subtype\s*\/Image\b/g)?.length).toBe(3);
  // The share's marking heads every sheet (as text, whether or not the pages are watermarked).
  const sheetText = execFileSync('pdftotext', ['-layout', info.outputPath('printed.pdf'), '-']).toString();
  expect(sheetText.match(/TLP:AMBER/g)?.length).toBe(3);
  await guest.emulateMedia({ media: 'screen' });

  // A screenshot of the guest's screen, as a leak would be, names the guest.
  await pages.first().scrollIntoViewIfNeeded();
  const leaked = await guest.screenshot();
  await context.close();
  await page.goto('/console/audit/trace');
  await hydrated(page);
  await page.getByTestId('leak-picture').setInputFiles({ name: 'leak.png', mimeType: 'image/png', buffer: leaked });
  const row = page.getByTestId('traced-view');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(email);
  await expect(row).toContainText(`Printable brief ${stamp}`);
  await shots(page, info, '04-trace-a-leak');

  // A picture with no mark says so.
  await page.getByTestId('leak-picture').setInputFiles({ name: 'blank.png', mimeType: 'image/png', buffer: await page.screenshot() });
  await expect(page.getByTestId('trace-none')).toBeVisible();

  // The organisation's look as it was.
  const back = await rest.put('/api/v1/policy', { data: before });
  expect(back.status(), await back.text()).toBe(200);
});
