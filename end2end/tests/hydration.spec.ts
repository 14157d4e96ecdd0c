import { test, expect, Page } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';

// The build pipeline's own check (scripts/build-site → scripts/e2e): the server-rendered page
// loads the console's bundle that wasm-bindgen wrote to /pkg (named in pkg/manifest.json by
// its content's hash), under the page's strict CSP, hydrates without a panic or a CSP
// violation, and a server function called by the hydrated page answers it.

/**
 * Collects script errors, CSP violations and failed responses. Chromium's own console line for
 * a failed response names no URL, so failed responses are recorded from the network instead.
 * `/favicon.ico` is the browser's own request, not the page's.
 */
function watch(page: Page, errors: string[], allowStatus: (url: string) => boolean = () => false) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.status() >= 400 && path !== '/favicon.ico' && !allowStatus(path)) errors.push(`${r.status()} ${path}`);
  });
}

test('the server-rendered page loads the wasm under its CSP and hydrates', async ({ page }, info) => {
  const errors: string[] = [];
  watch(page, errors);
  await installHydrationProbe(page);

  const wasm = page.waitForResponse((r) => /\/pkg\/console\.[0-9a-f]{16}\.wasm$/.test(r.url()));
  const glue = page.waitForResponse((r) => /\/pkg\/console\.[0-9a-f]{16}\.js$/.test(r.url()));
  const res = await page.goto('/login');
  expect(res!.status()).toBe(200);

  // The hydration script carries this response's nonce, and the CSP allows only that nonce.
  const csp = res!.headers()['content-security-policy'] ?? '';
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce, `CSP: ${csp}`).toBeTruthy();
  const scriptNonce = await page.evaluate(() => (document.querySelector('script[type=module]') as HTMLScriptElement | null)?.nonce);
  expect(scriptNonce).toBe(nonce);

  expect((await glue).status()).toBe(200);
  const wasmRes = await wasm;
  expect(wasmRes.status()).toBe(200);
  // instantiateStreaming needs this type; without it wasm-bindgen falls back and logs a warning.
  expect(wasmRes.headers()['content-type']).toBe('application/wasm');
  // Named by their content, so browsers keep them for good.
  expect(wasmRes.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  await expect(page.locator('link[rel=stylesheet][href^="/pkg/liaison."]')).toHaveCount(1);

  await hydrated(page);
  await page.screenshot({ path: info.outputPath('hydrated-login.png'), fullPage: true });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a server function called by the hydrated page answers over fetch, without a reload', async ({ page }, info) => {
  const errors: string[] = [];
  // The failed sign-in answers with an error status; that is the point here.
  watch(page, errors, (path) => path.startsWith('/api/sign_in'));
  await installHydrationProbe(page);
  await page.goto('/login');
  await hydrated(page);
  await page.evaluate(() => { (window as any).__sameDocument = true; });

  const call = page.waitForRequest((r) => /\/api\/sign_in/.test(r.url()));
  await page.fill('input[name=email]', 'nobody@example.test');
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('button[type=submit]');

  // Without the wasm this would be a form post (resource type "document") and a new page.
  const request = await call;
  expect(request.method()).toBe('POST');
  expect(request.resourceType()).toBe('fetch');
  const response = await request.response();
  expect(response, 'the server function did not answer').not.toBeNull();

  const alert = page.getByRole('alert');
  await expect(alert).toBeVisible();
  await expect(alert).not.toBeEmpty();
  await expect(page).toHaveURL(/\/login$/);
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
  await page.screenshot({ path: info.outputPath('server-fn-answered.png'), fullPage: true });
  expect(errors, errors.join('\n')).toEqual([]);
});
