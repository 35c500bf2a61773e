import { generateImageUrl } from '@imgproxy/imgproxy-node';
import { describe, expect, it } from 'vitest';
import { parseImagingKeys, signImagingPath, verifyImagingSignature } from './imaging-keys.js';
import {
  canonicalTransform,
  parseImagingPresets,
  parseTransformOptions,
} from './imaging-options.js';
import { buildImagingPath, parseImagingPath, parseSourceRef, renderHash } from './imaging-url.js';

// The key and salt of imgproxy-node's own README example.
const KEY = '943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881';
const SALT = '520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5';
const OTHER_KEY = 'aa'.repeat(4) + '0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab';
const keys = parseImagingKeys(`team-a:${KEY}:${SALT},team-b:${OTHER_KEY}:${SALT}`);
const ENDPOINT = 'https://imgproxy.example.com';
const pathOf = (url: string) => url.slice(ENDPOINT.length);

describe('imgproxy URLs made by @imgproxy/imgproxy-node', () => {
  it('its README example (base64 source) verifies as the team of its key and parses to the same transform', () => {
    const url = generateImageUrl({
      endpoint: `${ENDPOINT}/`,
      url: 'https://example.com/image.jpg',
      options: { resizing_type: 'fit', width: 300, gravity: { type: 'no' }, enlarge: 1 },
      salt: SALT,
      key: KEY,
    });
    const parsed = parseImagingPath(pathOf(url));
    expect(verifyImagingSignature(parsed.signature, parsed.signedPath, keys)).toBe('team-a');
    expect(parsed.source).toBe('https://example.com/image.jpg');
    expect(parsed.format).toBeUndefined();
    expect(parseSourceRef(parsed.source)).toEqual({
      kind: 'url',
      url: 'https://example.com/image.jpg',
    });
    const spec = parseTransformOptions(parsed.options);
    expect(spec).toMatchObject({
      resizingType: 'fit',
      width: 300,
      enlarge: true,
      gravity: { type: 'no', xOffset: 0, yOffset: 0 },
    });
  });

  it('its typed options (resize object, quality, format, …) and a plain storage source', () => {
    const url = generateImageUrl({
      endpoint: ENDPOINT,
      url: { value: 'local:///processed/dall-e/u1/job/w640-abc.jpg', displayAs: 'plain' },
      options: {
        resize: { width: 100, height: 100, resizing_type: 'fill', enlarge: 1 },
        quality: 80,
        format: 'webp',
        gravity: { type: 'fp', x: 0.25, y: 0.75 },
        blur: 2,
        sharpen: 0.5,
        background: 'ff8000',
        dpr: 2,
        expires: 4102444800,
        preset: ['thumb'],
      },
      salt: SALT,
      key: KEY,
    });
    const parsed = parseImagingPath(pathOf(url));
    expect(verifyImagingSignature(parsed.signature, parsed.signedPath, keys)).toBe('team-a');
    expect(parseSourceRef(parsed.source)).toEqual({
      kind: 'key',
      key: 'processed/dall-e/u1/job/w640-abc.jpg',
    });
    expect(parsed.options).toContain('rs:fill:100:100:t');
    const spec = parseTransformOptions(parsed.options, { thumb: ['q:70', 'sh:1'] });
    expect(spec).toMatchObject({
      resizingType: 'fill',
      width: 100,
      height: 100,
      enlarge: true,
      format: 'webp',
      gravity: { type: 'fp', x: 0.25, y: 0.75 },
      blur: 2,
      background: { r: 255, g: 128, b: 0 },
      dpr: 2,
      expires: 4102444800,
    });
    // The options apply in URL order, presets where they are named.
    expect(parsed.options.indexOf('pr:thumb')).toBeGreaterThan(-1);
  });

  it('refuses a tampered path, an unsigned one and a foreign key', () => {
    const url = generateImageUrl({
      endpoint: ENDPOINT,
      url: 'local:///uploads/u1/a.jpg',
      options: { width: 300 },
      salt: SALT,
      key: KEY,
    });
    const parsed = parseImagingPath(pathOf(url));
    expect(
      verifyImagingSignature(parsed.signature, parsed.signedPath.replace('w:300', 'w:301'), keys),
    ).toBeUndefined();
    expect(verifyImagingSignature('insecure', parsed.signedPath, keys)).toBeUndefined();
    const unsigned = generateImageUrl({
      endpoint: ENDPOINT,
      url: 'local:///x',
      options: { width: 1 },
    });
    expect(pathOf(unsigned).startsWith('/insecure/')).toBe(true);
    const foreign = parseImagingKeys(`x:${'0123456789abcdef'.repeat(4)}:${'cd'.repeat(16)}`);
    expect(verifyImagingSignature(parsed.signature, parsed.signedPath, foreign)).toBeUndefined();
  });

  it('rotates: a team with two pairs verifies either, and the other team’s pair names the other team', () => {
    const newer = 'fe'.repeat(8) + '00112233445566778899aabbccddeeff';
    const rotated = parseImagingKeys(`team-a:${newer}:${SALT},team-a:${KEY}:${SALT}`);
    const path = '/w:10/plain/local:///uploads/team-a/x.jpg@png';
    for (const key of [newer, KEY]) {
      const sig = signImagingPath(path, {
        key: Buffer.from(key, 'hex'),
        salt: Buffer.from(SALT, 'hex'),
      });
      expect(verifyImagingSignature(sig, path, rotated)).toBe('team-a');
    }
    const sig = signImagingPath(path, keys[1]!);
    expect(verifyImagingSignature(sig, path, keys)).toBe('team-b');
  });
});

describe('our own URLs', () => {
  it('round-trip plain and base64 sources with spaces, @, ? and non-ASCII', () => {
    const source = 'local:///uploads/u1/ü b@2x?.png';
    for (const encoding of ['plain', 'base64'] as const) {
      const path = buildImagingPath(['rs:fill:64:64', 'g:sm'], source, keys[0]!, {
        format: 'avif',
        encoding,
      });
      const parsed = parseImagingPath(path);
      expect(parsed.source).toBe(source);
      expect(parsed.format).toBe('avif');
      expect(parsed.options).toEqual(['rs:fill:64:64', 'g:sm']);
      expect(verifyImagingSignature(parsed.signature, parsed.signedPath, keys)).toBe('team-a');
    }
  });

  it('names a clear 400 for each malformed part, before anything is read', () => {
    const bad: Array<[string[], RegExp]> = [
      [['zz:1'], /Unknown processing option "zz"/],
      [['w:abc'], /width: expected an integer/],
      [['w:99999'], /width: expected an integer from 0 to 16383/],
      [['rs:squash:10:10'], /resizing type must be one of/],
      [['rs:fit:10:10:1:1'], /extend is not supported/],
      [['g:middle'], /gravity: expected one of/],
      [['g:fp:2:0'], /gravity fp x/],
      [['q:101'], /quality/],
      [['f:bmp'], /Unsupported format "bmp"/],
      [['bg:12:34'], /background/],
      [['el:maybe'], /enlarge: expected 1, t, true/],
      [['pr:nope'], /unknown preset "nope"/],
      [['dpr:0'], /dpr/],
    ];
    for (const [options, message] of bad) {
      expect(() => parseTransformOptions(options), options.join('/')).toThrow(message);
      try {
        parseTransformOptions(options);
      } catch (error) {
        expect((error as { code?: string }).code).toBe('E_VALIDATION');
      }
    }
    expect(() => parseImagingPath('/sig/w:10/enc/abc')).toThrow(/Encrypted/);
    expect(() => parseImagingPath('/sig/w:10/plain/local:///a.jpg@bmp')).toThrow(
      /Unsupported format/,
    );
    expect(() => parseImagingPath('/sig/w:10')).toThrow(/no source/);
    expect(() => parseSourceRef('ftp://x/y')).toThrow(/must be local/);
  });

  it('presets come from configuration, and a bad one is refused when the service starts', () => {
    const presets = parseImagingPresets('default=q:75,thumb=rs:fill:200:200/g:sm');
    const spec = parseTransformOptions(['pr:thumb', 'w:100'], presets);
    expect(spec).toMatchObject({ quality: 75, width: 100, height: 200, gravity: { type: 'sm' } });
    expect(() => parseImagingPresets('x=w:abc')).toThrow(/preset x: width/);
    expect(() => parseImagingPresets('=w:1')).toThrow(/name=option/);
  });

  it('keys the cache by what changes the pixels: exp is not part of it, the source version is', () => {
    const a = parseTransformOptions(['w:100', 'exp:4102444800']);
    const b = parseTransformOptions(['width:100']);
    expect(canonicalTransform(a, 'webp')).toBe(canonicalTransform(b, 'webp'));
    expect(canonicalTransform(a, 'webp')).not.toBe(canonicalTransform(a, 'avif'));
    const c = canonicalTransform(a, 'webp');
    expect(renderHash('k', '"1"', c)).not.toBe(renderHash('k', '"2"', c));
    expect(renderHash('k', '"1"', c)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses malformed IMAGING_KEYS without echoing them', () => {
    expect(() => parseImagingKeys('team:zz:yy')).toThrow(/hex/);
    expect(() => parseImagingKeys(`bad team:${KEY}:${SALT}`)).toThrow(/team:keyhex:salthex/);
    expect(() => parseImagingKeys(`a:${KEY}:${SALT},b:${KEY}:${SALT}`)).toThrow(/twice/);
    expect(() => parseImagingKeys(`a:${'0'.repeat(64)}:${SALT}`)).toThrow(/placeholder/);
  });
});
