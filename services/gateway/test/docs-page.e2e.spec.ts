import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
// The docs page is held to a running gateway with the applications service behind it.
import { type Harness, startHarness } from '../../applications/test/harness';

/**
 * Debian's chromium (`.ci/run` installs it) with flags for a root, network-closed CI machine;
 * playwright gives it a fresh empty profile.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('GET /docs in a real browser (headless Chromium)', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    h = await startHarness();
    await h.gateway.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(h.gateway.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows every operation of /openapi.json on the page', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    expect(documented.length).toBeGreaterThanOrEqual(10);

    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock-summary-path');
    const shown = await page.$$eval('.opblock', (blocks) =>
      blocks.map((block) => {
        const method = block.querySelector('.opblock-summary-method')?.textContent ?? '';
        const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
        return `${method.trim().toUpperCase()} ${path}`;
      }),
    );
    expect([...new Set(shown)].sort()).toEqual(documented);
    expect(await page.title()).toBe('Incubator API');
  });

  it('"Try it out" on GET /health/live calls the running gateway and shows 200', async () => {
    const block = page.locator('.opblock', {
      has: page.locator('.opblock-summary-path[data-path="/health/live"]'),
    });
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    const answered = page.waitForResponse(
      (response) =>
        response.url() === `${base}/health/live` && response.request().method() === 'GET',
    );
    await block.locator('button.execute').click();
    expect((await answered).status()).toBe(200);
    const status = block.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toMatch(/^200/);
    await expect(
      block.locator('.live-responses-table .microlight').first().textContent(),
    ).resolves.toContain('"status"');
  });
});
