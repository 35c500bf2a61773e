import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-root.js';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'console-key-0123456789abcdef-0001';

/** The little of the DOM the page functions below use (they run in the browser, not here). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(
    selector: string,
  ): Iterable<{ complete: boolean; naturalWidth: number; src: string }> & { length: number };
};
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((bin) => existsSync(bin));
/** Screenshots of each run, kept as test artifacts (not committed). */
const ARTIFACTS = path.join(repoRoot(), 'tooling', 'stack', 'test-artifacts');

let browser: Browser;
beforeAll(async () => {
  expect(CHROMIUM, 'chromium must be installed (make setup)').toBeDefined();
  // As root Chromium refuses its sandbox; the page under test is our own.
  browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  await mkdir(ARTIFACTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

function describeConsole(storageType: 'local' | 's3'): void {
  describe(`the console page in a real browser (${storageType})`, () => {
    let dataDir: string;
    let stack: Stack;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), `console-${storageType}-`));
      stack = await startStack({
        dataDir,
        storageType,
        apiKeys: { [KEY]: 'user-c' },
        env: { LOG_LEVEL: 'warn' },
      });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('uploads straight to storage, runs a job and renders the signed variants; unsigned they are refused', async () => {
      const image = path.join(dataDir, 'photo.png');
      await writeFile(
        image,
        await sharp({ create: { width: 900, height: 600, channels: 3, background: '#3a7' } })
          .png()
          .toBuffer(),
      );
      const origin = new URL(stack.storageEnv.STORAGE_BASE_URL!).origin; // the CDN, as users name it
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
      try {
        await page.goto(`${origin}/console/`);
        await page.fill('#api-key', KEY);
        await page.selectOption('#visibility', 'private');
        await page.setInputFiles('#file', image);
        await page.click('#upload');
        await page.waitForFunction(
          () =>
            /^Uploaded |error/i.test(document.querySelector('#upload-status')!.textContent ?? ''),
          undefined,
          { timeout: 30_000 },
        );
        expect(await page.textContent('#upload-status')).toMatch(
          /^Uploaded uploads\/user-c\/.+ \(\d+ bytes, private\)$/,
        );
        expect(await page.getAttribute('#upload-progress', 'value')).toBe('100');
        await page.click('#start-job');
        await page.waitForFunction(
          () => /completed|E_/.test(document.querySelector('#job-status')!.textContent ?? ''),
          undefined,
          { timeout: 60_000 },
        );
        expect(await page.textContent('#job-status')).toMatch(/completed \(private\)$/);
        // Every variant decoded in the browser, from a signed CDN URL.
        await page.waitForFunction(
          () => {
            const images = [...document.querySelectorAll('figure.variant img')];
            return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
          },
          undefined,
          { timeout: 30_000 },
        );
        const variants = await page.$$eval('figure.variant img', (images) =>
          images.map((img) => ({
            src: (img as unknown as { src: string }).src,
            width: (img as unknown as { naturalWidth: number }).naturalWidth,
          })),
        );
        expect(variants.length).toBe(2);
        for (const variant of variants) {
          expect(variant.width).toBeGreaterThan(0);
          expect(variant.src).toContain('?');
          // The same address without its signature is refused, also for the browser.
          const status = await page.evaluate(
            async (url) => (await fetch(url.split('?')[0]!)).status,
            variant.src,
          );
          expect(status).toBe(403);
        }
        await page.screenshot({
          path: path.join(ARTIFACTS, `console-${storageType}.png`),
          fullPage: true,
        });
        // The refused unsigned fetches above are the only errors the page may log.
        expect(problems.filter((text) => !/\b403\b/.test(text))).toEqual([]);
      } finally {
        await page.close();
      }
    }, 120_000);
  });
}

describeConsole('local');
describeConsole('s3');
