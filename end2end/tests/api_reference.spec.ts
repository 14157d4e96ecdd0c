import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { BASE, signIn } from './helpers';

// The API reference (issue 16, point 1): the OpenAPI document rendered by the server as
// one page in the site's stylesheet, reached from the console's API keys page. It works
// offline: every request it makes is to this site, and it runs no script.

test('the API reference shows every operation, from this site alone', async ({ page, request }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  await page.goto('/console/keys');
  await hydrated(page);
  const sent: string[] = [];
  page.on('request', (r) => sent.push(r.url()));
  await page.getByTestId('api-reference').click();
  await expect(page).toHaveURL(/\/api\/v1\/reference$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Liaison API');

  const doc = await (await request.get('/api/v1/openapi.json')).json();
  const ids: string[] = [];
  for (const item of Object.values(doc.paths) as any[]) {
    for (const op of Object.values(item) as any[]) ids.push(op.operationId);
  }
  await expect(page.locator('article.operation')).toHaveCount(ids.length);
  const create = page.locator('#op-create_share');
  await expect(create).toContainText('POST');
  await expect(create).toContainText('/api/v1/shares');
  await expect(create.getByRole('link', { name: 'CreateShareInput' })).toBeVisible();
  // A schema named by an operation is one click away.
  await create.getByRole('link', { name: 'CreateShareInput' }).click();
  await expect(page.locator('#schema-CreateShareInput')).toBeInViewport();

  const origin = new URL(BASE).origin;
  expect(sent.filter((u) => !u.startsWith(origin))).toEqual([]);
  expect(await page.locator('script').count()).toBe(0);

  await page.goto('/api/v1/reference');
  await page.screenshot({ path: info.outputPath('01-reference.png') });
  await create.scrollIntoViewIfNeeded();
  await create.screenshot({ path: info.outputPath('02-create-share.png') });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/api/v1/reference');
  await page.screenshot({ path: info.outputPath('01-reference-375.png') });
  await create.scrollIntoViewIfNeeded();
  await page.screenshot({ path: info.outputPath('02-create-share-375.png') });
  // Nothing is wider than the phone: tables scroll inside their own box.
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(wide).toBeLessThanOrEqual(375);
});
