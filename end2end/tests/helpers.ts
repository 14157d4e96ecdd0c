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

/** The admin REST API with the bootstrap key. */
export async function api(): Promise<APIRequestContext> {
  return newRequest.newContext({ baseURL: BASE, extraHTTPHeaders: { Authorization: `Bearer ${API_KEY}` } });
}
