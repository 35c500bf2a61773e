import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseTransformOptions } from './contract/imaging-options.js';
import { provenanceXmp, AI_DIGITAL_SOURCE_TYPE } from './contract/provenance.js';
import { orientedJpeg, photoJpeg, pixelBombPng } from '../test/test-images.js';
import { renderTransform } from './transform.js';
import { planTransform } from './transform-plan.js';

const settings = {
  maxPixels: 50_000_000,
  timeoutSeconds: 30,
  failOn: 'warning' as const,
  maxOutputPixels: 25_000_000,
};
const plan = (options: string[], width = 6000, height = 4000) =>
  planTransform(parseTransformOptions(options), { width, height });

describe('planTransform: imgproxy resizing rules', () => {
  it('fit keeps the aspect ratio inside the box and never enlarges without el', () => {
    expect(plan(['w:500'])).toMatchObject({ width: 500, height: 333 });
    expect(plan(['rs:fit:500:500'])).toMatchObject({ width: 500, height: 333 });
    expect(plan(['rs:fit:9000:0'])).toMatchObject({ width: 6000, height: 4000 });
    expect(plan(['rs:fit:9000:0:1'])).toMatchObject({ width: 9000, height: 6000 });
    expect(plan(['w:250', 'dpr:2'])).toMatchObject({ width: 500, height: 333 });
  });

  it('fill covers the box and crops by gravity; fill-down keeps the aspect ratio when too small', () => {
    expect(plan(['rs:fill:300:300'])).toMatchObject({
      resize: { width: 450, height: 300 },
      crop: { left: 75, top: 0, width: 300, height: 300 },
    });
    expect(plan(['rs:fill:300:300', 'g:we'])).toMatchObject({ crop: { left: 0, top: 0 } });
    expect(plan(['rs:fill:300:300', 'g:ea:10'])).toMatchObject({ crop: { left: 140 } });
    expect(plan(['rs:fill:300:300', 'g:fp:1:0.5'])).toMatchObject({ crop: { left: 150 } });
    expect(plan(['rs:fill:300:300', 'g:sm'])).toMatchObject({
      smart: true,
      width: 300,
      height: 300,
    });
    // 600×400 source into 800×800: fill crops to 400×400 of the unenlarged image; fill-down to the box's 1:1 too.
    expect(plan(['rs:fill:800:800'], 600, 400)).toMatchObject({ width: 600, height: 400 });
    expect(plan(['rs:fill-down:800:400'], 600, 400)).toMatchObject({ width: 600, height: 300 });
    expect(plan(['rs:fill:800:800:1'], 600, 400)).toMatchObject({ width: 800, height: 800 });
  });

  it('force ignores the aspect ratio; auto fills same orientations and fits others', () => {
    expect(plan(['rs:force:300:300'])).toMatchObject({
      width: 300,
      height: 300,
      resize: { width: 300, height: 300 },
    });
    expect(plan(['rs:auto:300:200'])).toMatchObject({ width: 300, height: 200 });
    expect(plan(['rs:auto:200:300'])).toMatchObject({ width: 200, height: 133 });
  });
});

describe('renderTransform', () => {
  it('renders a 3000×2000 JPEG to a 500 px WebP through shrink-on-load, with only the provenance XMP', async () => {
    const source = await photoJpeg(3000, 2000);
    const xmp = provenanceXmp({ creatorTool: 'dall-e', digitalSourceType: AI_DIGITAL_SOURCE_TYPE });
    const out = await renderTransform(
      source,
      parseTransformOptions(['w:500']),
      'webp',
      settings,
      xmp,
    );
    expect(out).toMatchObject({ width: 500, height: 333, format: 'webp' });
    const meta = await sharp(out.data).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 500, height: 333 });
    expect(meta.xmp?.toString()).toContain('trainedAlgorithmicMedia');
    expect(meta.exif).toBeUndefined();
  });

  it('crops, orients (or not, with ar:0), flattens on a background and encodes every format', async () => {
    const oriented = await orientedJpeg(); // displayed 200×400, red on top
    const top = await renderTransform(
      oriented,
      parseTransformOptions(['rs:fill:100:100', 'g:no']),
      'png',
      settings,
    );
    const { data } = await sharp(top.data).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(240);
    expect(data[2]).toBeLessThan(15);
    const raw = await renderTransform(
      oriented,
      parseTransformOptions(['ar:0', 'w:100']),
      'jpeg',
      settings,
    );
    expect([raw.width, raw.height]).toEqual([100, 50]);
    const alpha = await sharp({
      create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const filled = await renderTransform(
      alpha,
      parseTransformOptions(['bg:ff0000']),
      'jpeg',
      settings,
    );
    const pixel = await sharp(filled.data).raw().toBuffer();
    expect(pixel[0]).toBeGreaterThan(240);
    expect(pixel[1]).toBeLessThan(15);
    for (const format of ['jpeg', 'png', 'webp', 'avif', 'gif'] as const) {
      const out = await renderTransform(
        oriented,
        parseTransformOptions(['w:50', 'bl:1', 'sh:1']),
        format,
        settings,
      );
      expect((await sharp(out.data).metadata()).format).toBe(
        format === 'jpeg' ? 'jpeg' : format === 'avif' ? 'heif' : format,
      );
    }
  });

  it('refuses a result over the output limit and a pixel bomb before decoding', async () => {
    const source = await photoJpeg(600, 400);
    await expect(
      renderTransform(source, parseTransformOptions(['rs:fit:16000:16000:1']), 'webp', settings),
    ).rejects.toMatchObject({ code: 'E_VALIDATION' });
    await expect(
      renderTransform(pixelBombPng(), parseTransformOptions(['w:10']), 'webp', settings),
    ).rejects.toMatchObject({ code: 'E_TOO_MANY_PIXELS' });
  });
});
