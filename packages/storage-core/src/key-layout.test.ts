import { describe, expect, it } from 'vitest';
import {
  KEY_LAYOUT,
  isPublicKey,
  jobOriginalKey,
  jobOutputPrefix,
  keyOwner,
  keyTool,
  ownsKey,
  uploadPrefix,
} from './key-layout.js';

describe('key layout', () => {
  it('names where uploads and job outputs go', () => {
    expect(uploadPrefix('u1')).toBe('uploads/u1/');
    expect(jobOutputPrefix('dall-e', 'u1', 'j1')).toBe('processed/dall-e/u1/j1/');
    expect(jobOriginalKey('sora', 'u1', 'j1', 'png')).toBe('generated/sora/u1/j1/original.png');
  });

  it('tells who owns a key, and nobody for keys outside the layout', () => {
    expect(keyOwner('uploads/u1/x/a.jpg')).toBe('u1');
    expect(keyOwner('processed/dall-e/u2/j/normal.jpg')).toBe('u2');
    expect(keyOwner('generated/sora/u3/j/original.png')).toBe('u3');
    expect(keyOwner('uploads/u1')).toBeUndefined();
    expect(keyOwner('processed/dall-e')).toBeUndefined();
    expect(keyOwner('other/u1/x')).toBeUndefined();
    expect(ownsKey('u1', 'uploads/u10/x/a.jpg')).toBe(false);
    expect(ownsKey('u1', 'processed/u1/x')).toBe(false);
  });

  it('knows the public prefixes and the tool of an output', () => {
    expect(KEY_LAYOUT.publicPrefixes.every((prefix) => isPublicKey(`${prefix}t/u/j/a.jpg`))).toBe(
      true,
    );
    expect(isPublicKey('uploads/u1/a.jpg')).toBe(false);
    expect(isPublicKey('processedx/a.jpg')).toBe(false);
    expect(keyTool('processed/dall-e/u/j/a.jpg')).toBe('dall-e');
    expect(keyTool('generated/sora/u/j/original.png')).toBe('sora');
    expect(keyTool('uploads/u/a.jpg')).toBeUndefined();
    expect(keyTool('processed/lonely')).toBeUndefined();
  });
});
