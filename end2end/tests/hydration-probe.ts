import { Page, expect } from '@playwright/test';

/**
 * Knowing when the wasm has hydrated the page.
 *
 * Leptos leaves no marker in the DOM once `hydrate()` has run, and a click that lands before
 * then is silently lost (the server-rendered button has no handler yet). Leptos's loader does
 * `init(wasm).then(() => mod.hydrate())`, and hydration itself is synchronous, so: wrap
 * `WebAssembly.instantiate*`, and once the instance exists let the microtask queue drain
 * (a `setTimeout(0)` runs after it); by then `hydrate()` has returned.
 *
 * Call `installHydrationProbe(page)` before the first `page.goto`, and `await hydrated(page)`
 * after each full page load, before clicking anything that needs the wasm.
 */
export async function installHydrationProbe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as any;
    w.__liaisonHydrated = false;
    const after = <T>(p: Promise<T>): Promise<T> =>
      p.then((r) => {
        setTimeout(() => { w.__liaisonHydrated = true; }, 0);
        return r;
      });
    const wa = WebAssembly as any;
    const streaming = wa.instantiateStreaming?.bind(WebAssembly);
    const plain = wa.instantiate.bind(WebAssembly);
    if (streaming) wa.instantiateStreaming = (...args: unknown[]) => after(streaming(...args));
    wa.instantiate = (...args: unknown[]) => after(plain(...args));
  });
}

export async function hydrated(page: Page, timeout = 30_000): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => (window as any).__liaisonHydrated === true), { timeout, message: 'the wasm never hydrated the page' })
    .toBe(true);
}
