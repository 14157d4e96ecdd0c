import { expect, request as newRequest, APIRequestContext, Page, TestInfo } from '@playwright/test';
import * as fs from 'fs';

// What every spec shares. scripts/e2e sets these: a freshly bootstrapped organisation on
// a fresh server.
export const EMAIL = process.env.LIAISON_E2E_EMAIL!;
export const PASSWORD = process.env.LIAISON_E2E_PASSWORD!;
export const API_KEY = process.env.LIAISON_E2E_API_KEY!;
export const BASE = process.env.LIAISON_E2E_URL!;

/** Share links created in a spec are written down so scripts/e2e can prove none reached the logs. */
export function remember(url: string) {
  rememberSecret(url.split('/s/')[1]);
}

/** Any other secret handed out in a spec (a verification code), for the same check. */
export function rememberSecret(secret: string) {
  if (process.env.LIAISON_E2E_SECRETS_FILE) fs.appendFileSync(process.env.LIAISON_E2E_SECRETS_FILE, secret + '\n');
}

/** A full-page screenshot kept with the test's results. */
export async function shot(page: Page, info: TestInfo, name: string) {
  await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
}

/** The same screen at the page's size and at 375 px. */
export async function shots(page: Page, info: TestInfo, name: string) {
  await shot(page, info, name);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 800 });
  await shot(page, info, `${name}-375`);
  if (size) await page.setViewportSize(size);
}

/** Signs the bootstrap administrator in through the console's form. */
export async function signIn(page: Page) {
  await page.goto('/login');
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/console$/);
}

/** Uploads a text document through the REST API; its id. */
export async function uploadText(rest: APIRequestContext, title: string, fileName: string, text: string): Promise<string> {
  const doc = await rest.post('/api/v1/documents', {
    multipart: { title, file: { name: fileName, mimeType: 'text/plain', buffer: Buffer.from(text) } },
  });
  expect(doc.ok(), await doc.text()).toBeTruthy();
  return (await doc.json()).id;
}

/** The admin REST API with the bootstrap key. */
export async function api(): Promise<APIRequestContext> {
  return newRequest.newContext({ baseURL: BASE, extraHTTPHeaders: { Authorization: `Bearer ${API_KEY}` } });
}

/** The newest verification code mailed to `email`, read from the console's outbox by the
 * signed-in `admin` page (the outbox worker delivers within seconds). */
export async function mailedCode(admin: Page, email: string): Promise<string> {
  let code: string | undefined;
  await expect.poll(async () => {
    await admin.goto('/console/outbox');
    const rows = admin.getByTestId('outbox-table').locator('tr', { hasText: email }).filter({ hasText: 'verification code' });
    if ((await rows.count()) === 0 || (await rows.first().getByTestId('mail-body').count()) === 0) return undefined;
    code = ((await rows.first().getByTestId('mail-body').textContent()) ?? '').match(/\b\d{8}\b/)?.[0];
    return code;
  }, { timeout: 30_000 }).toBeTruthy();
  rememberSecret(code!);
  return code!;
}
