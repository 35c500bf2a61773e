import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { StorageApiClient } from '@monorepo/api-client';
import { makeVideo } from '@monorepo/test-utils/videos';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-root.js';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'console-key-0123456789abcdef-0001';
const OTHER_KEY = 'console-key-0123456789abcdef-0002';
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((bin) => existsSync(bin));
/**
 * `CONSOLE_SCREENSHOTS=1` writes the local-storage run's screenshots into docker/console/screenshots, the ones the
 * console's README shows (a plain run takes none: nothing would look at them).
 */
const SHOTS_FOR_README = process.env.CONSOLE_SCREENSHOTS === '1';
const README_SHOTS = path.join(repoRoot(), 'docker', 'console', 'screenshots');
const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

/** The little of the DOM the page functions below use (they run in the browser, not here). */
interface ImageLike {
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
  currentSrc: string;
}
declare const document: {
  querySelector(
    selector: string,
  ): (ImageLike & { textContent: string | null; readyState: number; value: string }) | null;
  querySelectorAll(selector: string): Iterable<ImageLike> & { length: number };
  activeElement: { id: string; tagName: string; textContent: string | null } | null;
};

let browser: Browser;
beforeAll(async () => {
  expect(CHROMIUM, 'chromium must be installed (make setup)').toBeDefined();
  // As root Chromium refuses its sandbox; the page under test is our own.
  browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/**
 * axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA rules). In axe's legacy mode: one
 * `axe.run` in the page, where the default mode runs each frame apart and opens a page of its own to put the results
 * together, twice the time (~1.2–3.4 s a scan here against 0.55–1.6 s, same findings); the console has no frames.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page })
    .setLegacyMode(true)
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

function describeConsole(storageType: 'local' | 's3'): void {
  describe(`the console in Chromium (${storageType})`, () => {
    let dataDir: string;
    let stack: Stack;
    let origin: string;
    let page: Page;
    const problems: string[] = [];
    const axe: Record<string, string[]> = {};

    async function apiFetch(pathname: string, init: RequestInit = {}): Promise<Response> {
      return fetch(`${origin}/api${pathname}`, {
        ...init,
        headers: { authorization: `Bearer ${KEY}`, ...(init.headers ?? {}) },
      });
    }

    /**
     * Scans the page with axe, in the light and the dark look; with `CONSOLE_SCREENSHOTS=1` also screenshots it
     * at both widths for the console's README. Local storage only: the pages are the same over S3 (only where
     * the bytes go differs), and the scans are most of this file's time.
     */
    async function check(name: string): Promise<void> {
      if (storageType !== 'local') return;
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        axe[`${name}/${scheme}`] = await seriousViolations(page);
      }
      await page.emulateMedia({ colorScheme: 'light' });
      if (!SHOTS_FOR_README) return;
      for (const [width, size] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(size);
        await page.screenshot({
          path: path.join(README_SHOTS, `${name}-${width}.png`),
          fullPage: true,
        });
      }
      await page.setViewportSize(VIEWPORTS.desktop);
    }

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), `console-${storageType}-`));
      if (SHOTS_FOR_README) await mkdir(README_SHOTS, { recursive: true });
      stack = await startStack({
        dataDir,
        storageType,
        apiKeys: { [KEY]: 'team-c', [OTHER_KEY]: 'team-d' },
        env: { LOG_LEVEL: 'warn' },
      });
      origin = new URL(stack.storageEnv.STORAGE_BASE_URL!).origin; // the CDN, as users name it
      // axe opens pages of its own in the page's context: the page needs a context of its own.
      page = await (await browser.newContext({ viewport: VIEWPORTS.desktop })).newPage();
      page.on(
        'console',
        (message) =>
          message.type() === 'error' &&
          problems.push(`${message.text()} ${message.location().url}`),
      );
      page.on('pageerror', (error) => problems.push(error.message));
      page.on(
        'response',
        (res) => res.status() >= 500 && problems.push(`${res.status()} ${res.url()}`),
      );
    }, 120_000);
    afterAll(async () => {
      await page?.context().close();
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('is served with a strict CSP, and takes the key by keyboard into sessionStorage only', async () => {
      const res = await page.goto(`${origin}/console/`);
      const csp = res!.headers()['content-security-policy']!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      await check('start');
      // Keyboard: the first Tab lands on the skip link, the next on the key field.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
        'Skip to content',
      );
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
      await page.keyboard.type(KEY);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.textContent('#key-status')).toBe('Key in use for this tab.');
      expect(await page.inputValue('#api-key')).toBe(''); // not left in the page
      expect(await page.evaluate(() => sessionStorage.getItem('storage-console-key'))).toBe(KEY);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      await expect.poll(() => page.textContent('#files-status')).toMatch(/No files yet/);
    }, 60_000);

    it('uploads several files at once, lists, filters and pages them, previews an image and a video', async () => {
      const photo = path.join(dataDir, 'photo.png');
      const second = path.join(dataDir, 'second.png');
      const clip = path.join(dataDir, 'clip.webm');
      await writeFile(
        photo,
        await sharp({ create: { width: 900, height: 600, channels: 3, background: '#3a7' } })
          .png()
          .toBuffer(),
      );
      await writeFile(
        second,
        await sharp({ create: { width: 400, height: 400, channels: 3, background: '#a37' } })
          .png()
          .toBuffer(),
      );
      await writeFile(
        clip,
        await makeVideo({ container: 'webm', seconds: 1, width: 320, height: 180 }),
      );
      await page.setInputFiles('#upload-files', [photo, second, clip]);
      await page.selectOption('#upload-visibility', 'private');
      await page.click('#upload-form button[type=submit]');
      await expect
        .poll(() => page.textContent('#files-status'), { timeout: 60_000 })
        .toMatch(/^Uploaded 3 of 3/);
      await expect.poll(() => page.locator('#files-table tbody tr').count()).toBe(3);
      const keys = await page.$$eval('#files-table tbody tr', (rows) =>
        rows.map((r) => (r as unknown as { dataset: { key: string } }).dataset.key),
      );
      for (const key of keys)
        expect(key).toMatch(/^uploads\/team-c\/[^/]+\/(photo\.png|second\.png|clip\.webm)$/);
      expect(await page.locator('#files-table .badge.private').count()).toBe(3);

      // Filter by folder: the relative prefix of one file leaves just that one.
      const photoKey = keys.find((k) => k.endsWith('/photo.png'))!;
      await page.fill('#filter-prefix', photoKey.split('/').slice(2, 3).join('/') + '/');
      await page.press('#filter-prefix', 'Enter');
      await expect.poll(() => page.locator('#files-table tbody tr').count()).toBe(1);
      await page.fill('#filter-prefix', '');
      await page.press('#filter-prefix', 'Enter');
      await expect.poll(() => page.locator('#files-table tbody tr').count()).toBe(3);

      // Pages of 25: with 26 files the rest comes with "Load more".
      for (let i = 0; i < 23; i++) {
        const res = await apiFetch(`/v1/files?name=extra-${i}.txt`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: `extra file ${i}`,
        });
        expect(res.status).toBe(201);
      }
      await page.press('#filter-prefix', 'Enter');
      await expect.poll(() => page.locator('#files-table tbody tr').count()).toBe(25);
      expect(await page.isVisible('#files-more')).toBe(true);
      await page.click('#files-more');
      await expect.poll(() => page.locator('#files-table tbody tr').count()).toBe(26);
      expect(await page.isVisible('#files-more')).toBe(false);

      // Preview: the image decodes from its signed CDN URL.
      await page.click(`tr[data-key="${photoKey}"] button:has-text("Preview")`);
      await page.waitForFunction(
        () => {
          const img = document.querySelector('#preview-body img');
          return !!img && img.complete && img.naturalWidth === 900;
        },
        undefined,
        { timeout: 30_000 },
      );
      // …and the video plays its metadata over byte ranges.
      const clipKey = keys.find((k) => k.endsWith('/clip.webm'))!;
      await page.click(`tr[data-key="${clipKey}"] button:has-text("Preview")`);
      await page.waitForFunction(
        () => (document.querySelector('#preview-body video')?.readyState ?? 0) >= 1,
        undefined,
        { timeout: 30_000 },
      );
      await page.click(`tr[data-key="${photoKey}"] button:has-text("Preview")`);
      await check('files');
    }, 120_000);

    it('shares a signed link with the chosen lifetime, and changes visibility', async () => {
      const photoKey = (await page.getAttribute(
        '#files-table tbody tr:has(.file-name:text-is("photo.png"))',
        'data-key',
      ))!;
      await page.selectOption('#share-lifetime', '300');
      await page.click('#share-form button[type=submit]');
      await expect.poll(() => page.inputValue('#share-url')).toMatch(/^http/);
      const link = await page.inputValue('#share-url');
      expect((await fetch(link)).status).toBe(200);
      expect((await fetch(link.split('?')[0]!)).status).toBe(403); // unsigned: refused
      const expires = (await page.textContent('#share-status'))!;
      expect(expires).toMatch(/^Works until /);
      const ttl =
        (new Date(expires.replace(/^Works until |\.$/g, '')).getTime() - Date.now()) / 1000;
      expect(ttl).toBeGreaterThan(200);
      expect(ttl).toBeLessThan(400);

      await page.click(`tr[data-key="${photoKey}"] button[aria-label^="Make"]`);
      await expect.poll(() => page.textContent(`tr[data-key="${photoKey}"] .badge`)).toBe('public');
      const listed = (await (await apiFetch('/v1/files?include=visibility')).json()) as {
        items: { key: string; visibility: string }[];
      };
      expect(listed.items.find((i) => i.key === photoKey)?.visibility).toBe('public');
      expect((await fetch(link.split('?')[0]!)).status).toBe(200); // public now: no signature needed
    }, 60_000);

    it('starts jobs and watches them live: variants with srcset and placeholder, provenance, a failure with its code', async () => {
      await page.click('nav a[data-panel="jobs"]');
      await expect.poll(() => page.isVisible('#panel-jobs')).toBe(true);
      const photo = await page.$eval('#job-source', (select) =>
        [...(select as unknown as { options: Iterable<{ value: string }> }).options]
          .map((o) => o.value)
          .find((v) => v.endsWith('/photo.png')),
      );
      await page.selectOption('#job-source', photo!);
      await page.selectOption('#job-presets', 'responsive');
      await page.fill('#job-model', 'console-model-1');
      await page.click('#job-form button[type=submit]');
      const card = page.locator('li.job').first();
      await expect
        .poll(() => card.getAttribute('data-status'), { timeout: 90_000 })
        .toBe('completed');
      await page.waitForFunction(
        () => {
          const images = [...document.querySelectorAll('li.job .variant img')];
          return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
        },
        undefined,
        { timeout: 30_000 },
      );
      const widths = await page.$$eval('li.job:first-child .variant img', (imgs) =>
        imgs.map((i) => (i as unknown as ImageLike).naturalWidth),
      );
      expect(widths.length).toBeGreaterThanOrEqual(4);
      expect(new Set(widths).size).toBeGreaterThanOrEqual(3); // previewed at each width
      expect(await card.locator('.responsive img').getAttribute('srcset')).toMatch(/ \d+w, /);
      const background = await card
        .locator('.variant img')
        .first()
        .evaluate(
          (img) => (img as unknown as { style: { backgroundImage: string } }).style.backgroundImage,
        );
      expect(background).toMatch(/^url\("data:image\//); // the LQIP placeholder
      await card.locator('details summary').click();
      expect(await card.locator('.provenance').textContent()).toContain('console-model-1');

      // A job whose source is not an image fails, and shows its code and message.
      const broken = await apiFetch('/v1/files?name=broken.png', {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: Buffer.from('this is not a picture at all'),
      });
      expect(broken.status).toBe(201);
      const brokenKey = ((await broken.json()) as { key: string }).key;
      const submitted = await apiFetch('/v1/images', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tool: 'dall-e', sourceKey: brokenKey }),
      });
      expect(submitted.status).toBe(202);
      const { jobId } = (await submitted.json()) as { jobId: string };
      await page.click('nav a[data-panel="files"]');
      await page.click('nav a[data-panel="jobs"]'); // lists again, and watches the new one
      const failed = page.locator(`li.job[data-job="${jobId}"]`);
      await expect
        .poll(() => failed.getAttribute('data-status'), { timeout: 90_000 })
        .toBe('failed');
      expect(await failed.locator('[role=alert]').textContent()).toMatch(/^E_[A-Z_]+: .+/);
      // The same list through the typed client: newest first; another team sees none of it.
      const listed = await new StorageApiClient({
        baseUrl: stack.gatewayUrl,
        apiKey: KEY,
      }).listImageJobs();
      expect(listed.items.map((job) => [job.status, job.tool])).toEqual([
        ['failed', 'dall-e'],
        ['completed', 'dall-e'],
      ]);
      expect(listed.items[0]!.jobId).toBe(jobId);
      expect(listed.items[1]!.result?.provenance.model).toBe('console-model-1');
      const theirs = await new StorageApiClient({
        baseUrl: stack.gatewayUrl,
        apiKey: OTHER_KEY,
      }).listImageJobs();
      expect(theirs.items).toEqual([]);
      await check('jobs');
    }, 240_000);

    it('browses the job outputs by folder: paged, previewed, visibility changed, shared; nobody else reaches them', async () => {
      const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
      const job = (await client.listImageJobs()).items.find((j) => j.status === 'completed')!;
      const jobFolder = `processed/dall-e/team-c/${job.jobId}/`;
      await page.click('nav a[data-panel="files"]');
      await page.selectOption('#filter-folder', 'dall-e');
      await expect
        .poll(() => page.locator(`#files-table tbody tr[data-key^="${jobFolder}"]`).count())
        .toBeGreaterThan(0);
      const keys = async () =>
        page.$$eval('#files-table tbody tr', (rows) =>
          rows.map((r) => (r as unknown as { dataset: { key: string } }).dataset.key),
        );
      for (const key of await keys()) expect(key).toMatch(/^processed\/dall-e\/team-c\/[^/]+\//);
      // The job's folder, by its button: just its outputs, as the API lists them (paged there too).
      await page.click(`#files-table tbody tr[data-key^="${jobFolder}"] button.folder >> nth=0`);
      expect(await page.inputValue('#filter-prefix')).toBe(`${job.jobId}/`);
      const listed = await client.listFiles({
        folder: 'outputs',
        tool: 'dall-e',
        prefix: `${job.jobId}/`,
      });
      expect(listed.items.length).toBeGreaterThanOrEqual(4);
      await expect
        .poll(async () => (await keys()).sort())
        .toEqual(listed.items.map((i) => i.key).sort());
      const first = await client.listFiles({ folder: 'outputs', tool: 'dall-e', limit: 1 });
      expect(first.items).toHaveLength(1);
      expect(first.cursor).toBeDefined();
      // Preview an output (private: the job was started so), share it signed, make it public and private again.
      const image = listed.items.find((i) => i.contentType.startsWith('image/'))!;
      const row = page.locator(`tr[data-key="${image.key}"]`);
      expect(await row.locator('.badge').textContent()).toBe('private');
      await row.locator('button:has-text("Preview")').click();
      await page.waitForFunction(
        () => {
          const img = document.querySelector('#preview-body img');
          return !!img && img.complete && img.naturalWidth > 0;
        },
        undefined,
        { timeout: 30_000 },
      );
      await page.click('#share-form button[type=submit]');
      await expect.poll(() => page.inputValue('#share-url')).toMatch(/^http/);
      const link = await page.inputValue('#share-url');
      expect((await fetch(link)).status).toBe(200);
      expect((await fetch(link.split('?')[0]!)).status).toBe(403);
      await row.locator('button[aria-label^="Make public"]').click();
      await expect.poll(() => row.locator('.badge').textContent()).toBe('public');
      expect((await fetch(link.split('?')[0]!)).status).toBe(200);
      await row.locator('button[aria-label^="Make private"]').click();
      await expect.poll(() => row.locator('.badge').textContent()).toBe('private');
      // Over S3 the CDN keeps a public output it served cached (1 h, "immutable"): made private again, it is
      // refused unsigned only once that copy expires. Local storage checks the marker on every request.
      if (storageType === 'local') expect((await fetch(link.split('?')[0]!)).status).toBe(403);
      expect((await fetch(link)).status).toBe(200);
      await check('outputs');
      // Another team lists none of them, and may not name another's folder.
      const theirs = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: OTHER_KEY });
      expect((await theirs.listFiles({ folder: 'outputs', tool: 'dall-e' })).items).toEqual([]);
      for (const query of [
        'folder=outputs',
        'folder=outputs&tool=nope',
        'folder=processed',
        'tool=sora',
      ])
        expect((await apiFetch(`/v1/files?${query}`)).status).toBe(400);
      expect((await apiFetch('/v1/files?folder=outputs&tool=dall-e')).status).toBe(200);
      // Back to the uploads, every page of them.
      await page.selectOption('#filter-folder', 'uploads');
      await expect
        .poll(() => page.locator('#files-table tbody tr[data-key^="uploads/"]').count())
        .toBe(25);
      while (await page.isVisible('#files-more')) {
        const count = await page.locator('#files-table tbody tr').count();
        await page.click('#files-more');
        await expect
          .poll(() => page.locator('#files-table tbody tr').count())
          .toBeGreaterThan(count);
      }
    }, 120_000);

    it('builds a signed transform URL and shows source and result side by side', async () => {
      await page.click('nav a[data-panel="transforms"]');
      const photo = await page.$eval('#tf-source', (select) =>
        [...(select as unknown as { options: Iterable<{ value: string }> }).options]
          .map((o) => o.value)
          .find((v) => v.endsWith('/photo.png')),
      );
      await page.selectOption('#tf-source', photo!);
      await page.fill('#tf-width', '200');
      await page.fill('#tf-height', '100');
      await page.selectOption('#tf-fit', 'fill');
      await page.selectOption('#tf-format', 'webp');
      await page.click('#transform-form button[type=submit]');
      await expect
        .poll(() => page.textContent('#transform-status'), { timeout: 30_000 })
        .toBe('Rendered.');
      expect(await page.inputValue('#tf-url')).toContain('/img/');
      const size = await page.$eval('#tf-result', (img) => [
        (img as unknown as ImageLike).naturalWidth,
        (img as unknown as ImageLike).naturalHeight,
      ]);
      expect(size).toEqual([200, 100]);
      await page.waitForFunction(
        () => (document.querySelector('#tf-original')?.naturalWidth ?? 0) === 900,
      );
      await check('transforms');
    }, 60_000);

    it('shows the team usage against its quota, and deletes a file after confirming', async () => {
      await page.click('nav a[data-panel="usage"]');
      await expect.poll(() => page.textContent('#usage-status')).toMatch(/^As of /);
      const usage = (await (await apiFetch('/v1/usage')).json()) as {
        storage: { objects: number; bytes: number };
      };
      expect(await page.textContent('#usage-list')).toContain(`${usage.storage.objects} of `);
      expect(await page.locator('#usage-list meter').count()).toBe(2);
      await check('usage');

      // Delete, by keyboard in the confirmation dialog: Cancel first keeps the file, Delete removes it.
      await page.click('nav a[data-panel="files"]');
      const row = page.locator('#files-table tbody tr:has(.file-name:text-is("second.png"))');
      const key = (await row.getAttribute('data-key'))!;
      await row.locator('button.danger').click();
      expect(await page.isVisible('#confirm-dialog')).toBe(true);
      await page.keyboard.press('Escape');
      expect(await row.count()).toBe(1);
      await row.locator('button.danger').click();
      await page.click('#confirm-dialog button[value=ok]');
      await expect.poll(() => row.count()).toBe(0);
      expect((await apiFetch(`/v1/files/${key}`)).status).toBe(404);
      await expect
        .poll(
          async () =>
            ((await (await apiFetch('/v1/usage')).json()) as typeof usage).storage.objects,
        )
        .toBe(usage.storage.objects - 1);
    }, 60_000);

    it('uploads a large file in parts: pauses (no part sent meanwhile), resumes, and after a reload sends only the missing parts', async () => {
      const big = path.join(dataDir, 'big.bin');
      const content = randomBytes(24 * 1024 * 1024);
      await writeFile(big, content);
      const usageNow = async () =>
        (
          (await (await apiFetch('/v1/usage')).json()) as {
            storage: { objects: number; bytes: number };
          }
        ).storage;
      const before = await usageNow();
      await page.click('nav a[data-panel="files"]');
      const row = page.locator('#upload-list li[data-name="big.bin"]');
      const status = row.locator('.upload-status');
      // Part PUTs (straight to the bucket, or on local storage to the API's part route), counted as the page sends them, and held until the test lets them go.
      const isPart = (url: string) => {
        const params = new URL(url).searchParams;
        return params.has('partNumber') && params.has('uploadId');
      };
      const partOf = (url: string) => Number(new URL(url).searchParams.get('partNumber'));
      const puts: number[] = [];
      page.on(
        'request',
        (req) => req.method() === 'PUT' && isPart(req.url()) && puts.push(partOf(req.url())),
      );
      let allowed = new Set([1, 2]);
      await page.route(
        (url) => isPart(url.href),
        async (route) => {
          const n = partOf(route.request().url());
          while (route.request().method() === 'PUT' && !allowed.has(n))
            await new Promise((resolve) => setTimeout(resolve, 50));
          await route.continue().catch(() => undefined); // the page may have aborted it (pause, reload)
        },
      );
      await page.setInputFiles('#upload-files', big);
      await page.click('#upload-form button[type=submit]');
      await expect
        .poll(() => status.textContent(), { timeout: 60_000 })
        .toBe('2 of 5 parts stored');
      // Pause (by keyboard): the parts in flight stop, and none is sent until Resume.
      await row.locator('button:has-text("Pause")').focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => status.textContent()).toBe('paused: 2 of 5 parts stored');
      expect(await row.locator('button').first().getAttribute('aria-label')).toBe('Resume big.bin');
      const progress = await row.locator('progress').getAttribute('value');
      const sentBeforePause = puts.length;
      allowed = new Set([1, 2, 3, 4, 5]);
      await page.waitForTimeout(1500);
      expect(puts.length).toBe(sentBeforePause);
      expect(await row.locator('progress').getAttribute('value')).toBe(progress);
      expect(await status.textContent()).toBe('paused: 2 of 5 parts stored');
      await check('upload-paused');
      // Resume: part 3 goes through, 4 and 5 are held… and the page is reloaded mid-upload.
      allowed = new Set([1, 2, 3]);
      await row.locator('button:has-text("Resume")').click();
      await expect
        .poll(() => status.textContent(), { timeout: 60_000 })
        .toBe('3 of 5 parts stored');
      expect(puts.length).toBeGreaterThan(sentBeforePause);
      await page.reload();
      await expect.poll(() => page.isVisible('#unfinished')).toBe(true);
      expect(await page.textContent('#unfinished-list')).toContain('big.bin');
      const remembered = await page.evaluate(() => localStorage.getItem('storage-console-uploads'));
      expect(remembered).not.toContain(KEY);
      const { id } = (JSON.parse(remembered!) as { id: string }[])[0]!;
      const stored = (
        (await (await apiFetch(`/v1/uploads/${id}/parts`)).json()) as {
          parts: { partNumber: number }[];
        }
      ).parts.map((p) => p.partNumber);
      expect(stored.sort()).toEqual([1, 2, 3]);
      await check('upload-unfinished');
      // The same file again: only the missing parts go.
      allowed = new Set([1, 2, 3, 4, 5]);
      const sentBeforeResume = puts.length;
      await page.setInputFiles('#upload-files', big);
      await page.click('#upload-form button[type=submit]');
      await expect
        .poll(() => page.textContent('#files-status'), { timeout: 60_000 })
        .toMatch(/^Uploaded 1 of 1/);
      expect(await status.textContent()).toMatch(/^uploaded in parts \(24\.0 MB/);
      expect(puts.slice(sentBeforeResume).sort()).toEqual([4, 5]);
      expect(await page.isVisible('#unfinished')).toBe(false);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      // Cancel: the upload is given up (its parts dropped, its reservation released) and forgotten.
      allowed = new Set();
      await page.setInputFiles('#upload-files', big);
      await page.click('#upload-form button[type=submit]');
      await expect.poll(() => status.textContent()).toBe('0 of 5 parts stored');
      const cancelled = (
        JSON.parse(
          (await page.evaluate(() => localStorage.getItem('storage-console-uploads')))!,
        ) as { id: string }[]
      )[0]!.id;
      await row.locator('button:has-text("Cancel")').click();
      await expect.poll(() => status.textContent()).toBe('cancelled');
      expect((await apiFetch(`/v1/uploads/${cancelled}/parts`)).status).toBe(404);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      await page.unroute((url) => isPart(url.href));
      // Stored once, byte for byte, and counted once.
      let key: string | undefined;
      for await (const item of new StorageApiClient({
        baseUrl: stack.gatewayUrl,
        apiKey: KEY,
      }).listAllFiles())
        if (item.key.endsWith('/big.bin')) key = item.key;
      const body = Buffer.from(await (await apiFetch(`/v1/files/${key}`)).arrayBuffer());
      expect(createHash('sha256').update(body).digest('hex')).toBe(
        createHash('sha256').update(content).digest('hex'),
      );
      expect(await usageNow()).toEqual({
        ...before,
        objects: before.objects + 1,
        bytes: before.bytes + content.length,
      });
    }, 180_000);

    it(`${storageType === 'local' ? 'had no serious accessibility violation on any page, ' : ''}logged no unexpected error, never showed the key`, async () => {
      // Every page scanned had no serious or critical accessibility violation, light or dark.
      if (storageType === 'local') expect(Object.keys(axe)).toHaveLength(16);
      for (const found of Object.values(axe)) expect(found).toEqual([]);
      // The refused unsigned fetches are the only kind of error the page may log.
      expect(problems.filter((text) => !/\b40[34]\b/.test(text))).toEqual([]);
      // The key was never shown in the page.
      expect(await page.content()).not.toContain(KEY);
    });
  });
}

describeConsole('local');
describeConsole('s3');
