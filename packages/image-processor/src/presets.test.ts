import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { presetEnvShape } from './contract/preset-env.js';
import { RESPONSIVE_WIDTHS, presetConfig, validatePresetSet } from './contract/variant-presets.js';
import { ImageProcessor } from './image-processor.js';
import { photoJpeg } from '../test/test-images.js';
import { useLocalStorage } from '../test/test-storage.js';
import { shrinkOnLoad } from './variant-plan.js';

const local = useLocalStorage('presets');

async function run(
  id: string,
  source: Buffer,
  extra: Record<string, unknown> = {},
  processor = new ImageProcessor(local.storage()),
) {
  const key = `uploads/u1/${id}/source.jpg`;
  await local.storage().upload(key, source, 'image/jpeg');
  return processor.processImage({ id, userId: 'u1', tool: 'sora', sourceKey: key, ...extra });
}

describe('preset sets', () => {
  it('makes the responsive set: every width in AVIF, WebP and JPEG, with a srcset per format', async () => {
    const result = await run('resp-1', await photoJpeg(2725, 2225), { presets: 'responsive' });
    expect(result.presetSet).toBe('responsive');
    expect(result.variants).toHaveLength(12);
    for (const variant of result.variants) {
      const meta = await sharp(await local.storage().download(variant.key)).metadata();
      expect(meta.format).toBe(variant.format === 'avif' ? 'heif' : variant.format);
      expect([meta.width, meta.height]).toEqual([variant.width, variant.height]);
      expect(variant.width).toBe(Number(variant.name.slice(1)));
      expect(variant.height).toBe(Math.round((variant.width * 2225) / 2725));
    }
    for (const format of ['avif', 'webp', 'jpeg']) {
      const entries = result.srcset[format]!.split(', ');
      expect(entries.map((e) => Number(e.split(' ')[1]!.slice(0, -1)))).toEqual([
        ...RESPONSIVE_WIDTHS,
      ]);
      for (const entry of entries) {
        const [url, width] = entry.split(' ');
        const variant = result.variants.find((v) => v.url === url)!;
        expect([variant.format, `${variant.width}w`]).toEqual([format, width]);
      }
    }
    // One URL per width for the CDN to negotiate: the formats' common key without its extension.
    expect(result.negotiated.map((n) => n.name)).toEqual(['w320', 'w640', 'w1024', 'w1920']);
    for (const n of result.negotiated) {
      expect(n.formats).toEqual(['avif', 'webp', 'jpeg']);
      const stored = result.variants.filter((v) => v.name === n.name);
      expect(stored.map((v) => v.url)).toEqual(
        ['avif', 'webp', 'jpg'].map((ext) => `${n.url}.${ext}`),
      );
      expect([n.width, n.height]).toEqual([stored[0]!.width, stored[0]!.height]);
    }
  });

  it('leaves out widths that would repeat a smaller one on a small source', async () => {
    const result = await run('resp-small', await photoJpeg(800, 600), { presets: 'responsive' });
    expect(result.variants.map((v) => `${v.name}.${v.format}:${v.width}`)).toEqual([
      'w320.avif:320',
      'w320.webp:320',
      'w320.jpeg:320',
      'w640.avif:640',
      'w640.webp:640',
      'w640.jpeg:640',
      'w1024.avif:800',
      'w1024.webp:800',
      'w1024.jpeg:800',
    ]);
    expect(result.srcset['jpeg']!.split(', ').map((e) => e.split(' ')[1])).toEqual([
      '320w',
      '640w',
      '800w',
    ]);
    expect(await local.storage().list(`processed/sora/u1/resp-small/`)).toMatchObject({
      items: { length: 9 },
    });
  });

  it("uses the tool's set when the job names none, the job's own otherwise; the seed's two by default", async () => {
    const processor = new ImageProcessor(local.storage(), undefined, {
      presets: presetConfig(
        { thumbs: [{ name: 'thumb', format: 'webp', maxWidth: 64, maxHeight: 64, fit: 'cover' }] },
        { sora: 'thumbs' },
      ),
    });
    const photo = await photoJpeg(400, 300);
    const byTool = await run('tool-set', photo, {}, processor);
    expect(byTool.presetSet).toBe('thumbs');
    expect(byTool.variants.map((v) => [v.name, v.width, v.height])).toEqual([['thumb', 64, 64]]);
    const named = await run('named-set', photo, { presets: 'default' }, processor);
    expect(named.variants.map((v) => v.name)).toEqual(['normal', 'high-quality']);
    expect(named.negotiated.map((n) => [n.name, n.formats])).toEqual([['normal', ['jpeg']]]);
    const plain = await run('plain', photo);
    expect(plain.presetSet).toBe('default');
    expect(plain.variants.map((v) => v.name)).toEqual(['normal', 'high-quality']);
  });

  it('refuses a set the deployment does not have, before fetching, storing nothing', async () => {
    await expect(
      new ImageProcessor(local.storage()).processImage({
        id: 'nope',
        userId: 'u1',
        tool: 'sora',
        sourceKey: 'uploads/u1/none.jpg',
        presets: 'nope',
      }),
    ).rejects.toMatchObject({ code: 'E_INVALID_JOB', permanent: true });
    expect((await local.storage().list('processed/sora/u1/nope/')).items).toEqual([]);
  });

  it('checks sets: one box per name, no duplicate formats, sane sizes and qualities', () => {
    const preset = { name: 'a', format: 'webp' as const, maxWidth: 100, maxHeight: 100 };
    expect(() =>
      validatePresetSet('s', [preset, { ...preset, format: 'jpeg', maxWidth: 200 }]),
    ).toThrow(/share one box/);
    expect(() => validatePresetSet('s', [preset, preset])).toThrow(/Duplicate/);
    expect(() => validatePresetSet('s', [{ ...preset, maxWidth: 0 }])).toThrow(/Invalid preset/);
    expect(() => validatePresetSet('s', [{ ...preset, quality: 101 }])).toThrow(/Invalid preset/);
    expect(() => validatePresetSet('S!', [preset])).toThrow(/set name/);
    expect(() => presetConfig({}, { sora: 'missing' })).toThrow(/unknown preset set/);
    expect(() => presetConfig({}, { paint: 'default' } as never)).toThrow(/Unknown tool/);
  });

  it('reads IMAGE_PRESETS as JSON sets and tool choices, naming what is wrong', () => {
    const parse = (value: string) => presetEnvShape.IMAGE_PRESETS.safeParse(value);
    const ok = parse(
      '{"sets":{"t":[{"name":"t","format":"avif","maxWidth":10,"maxHeight":10}]},"tools":{"dall-e":"t"}}',
    );
    expect(ok.success && Object.keys(ok.data.sets)).toEqual(['default', 'responsive', 't']);
    expect(ok.success && ok.data.byTool).toEqual({ 'dall-e': 't' });
    expect(parse('').success).toBe(true);
    expect(parse('[1]').error?.issues[0]?.message).toMatch(/JSON object/);
    expect(parse('{"sets":{"t":[]}}').error?.issues[0]?.message).toMatch(/empty/);
    expect(parse('{"tool":{}}').error?.issues[0]?.message).toMatch(/unknown field tool/);
  });
});

describe('shrink-on-load', () => {
  it('decodes at the largest size an output needs when every output is at most half the source', () => {
    const responsive = presetConfig().sets['responsive']!;
    expect(shrinkOnLoad(responsive, 8000, 6000)).toEqual({ width: 1920, height: 1440 });
    // The seed's high-quality WebP (4096) needs more than half of 8000: a full decode.
    expect(shrinkOnLoad(presetConfig().sets['default']!, 8000, 6000)).toBeUndefined();
    expect(shrinkOnLoad(responsive, 3000, 2000)).toBeUndefined();
  });

  it('gives the same sizes and colours as a full decode', async () => {
    const source = await sharp({
      create: { width: 4000, height: 3000, channels: 3, background: '#2060a0' },
    })
      .jpeg({ quality: 95 })
      .toBuffer();
    const result = await run('shrunk', source, { presets: 'responsive' });
    expect(result.source).toMatchObject({ width: 4000, height: 3000 });
    const widest = result.variants.find((v) => v.name === 'w1920' && v.format === 'jpeg')!;
    expect([widest.width, widest.height]).toEqual([1920, 1440]);
    const { dominant } = await sharp(await local.storage().download(widest.key)).stats();
    expect(Math.abs(dominant.r - 0x20)).toBeLessThan(12);
    expect(Math.abs(dominant.b - 0xa0)).toBeLessThan(12);
  });
});
