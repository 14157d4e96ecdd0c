import { defineConfig } from '@playwright/test';

// The server is started by scripts/e2e (a fresh data dir, a free port), not by Playwright.
export default defineConfig({
  testDir: './tests',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: process.env.LIAISON_E2E_URL,
    screenshot: 'on',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/lib/chromium/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
        // Custom portal domains of the run (Caddy on 127.0.0.1; see custom_domain.spec.ts).
        '--host-resolver-rules=MAP *.northwind.example 127.0.0.1',
      ],
    },
  },
});
