import { describe, expect, it } from 'vitest';
import { imageJobDataSchema } from './image-job-data.js';
import { formatFailure, parseFailure, toImageJobStatus } from './image-queue-contract.js';

describe('image job contract', () => {
  const base = {
    id: 'img_1',
    userId: 'user-1',
    tool: 'dall-e',
    submittedAt: new Date().toISOString(),
  };

  it('accepts exactly one source', () => {
    expect(
      imageJobDataSchema.safeParse({ ...base, sourceKey: 'uploads/user-1/a.jpg' }).success,
    ).toBe(true);
    expect(
      imageJobDataSchema.safeParse({ ...base, sourceUrl: 'https://x.test/a.jpg' }).success,
    ).toBe(true);
    expect(imageJobDataSchema.safeParse(base).success).toBe(false);
    expect(
      imageJobDataSchema.safeParse({ ...base, sourceKey: 'k', sourceUrl: 'https://x.test/a' })
        .success,
    ).toBe(false);
  });

  it('rejects unknown fields, tools and bad ids', () => {
    expect(imageJobDataSchema.safeParse({ ...base, sourceKey: 'k', extra: 1 }).success).toBe(false);
    expect(
      imageJobDataSchema.safeParse({ ...base, sourceKey: 'k', tool: 'midjourney' }).success,
    ).toBe(false);
    expect(imageJobDataSchema.safeParse({ ...base, sourceKey: 'k', id: 'a:b' }).success).toBe(
      false,
    );
    expect(imageJobDataSchema.safeParse({ ...base, sourceUrl: 'file:///etc/passwd' }).success).toBe(
      false,
    );
  });

  it('round-trips failure codes and maps states', () => {
    expect(parseFailure(formatFailure('E_CORRUPT_IMAGE', 'bad: data'))).toEqual({
      code: 'E_CORRUPT_IMAGE',
      message: 'bad: data',
    });
    expect(parseFailure('plain')).toEqual({ code: 'E_INTERNAL', message: 'plain' });
    expect(['waiting', 'delayed', 'prioritized', 'waiting-children'].map(toImageJobStatus)).toEqual(
      ['queued', 'queued', 'queued', 'queued'],
    );
    expect(['active', 'completed', 'failed'].map(toImageJobStatus)).toEqual([
      'active',
      'completed',
      'failed',
    ]);
  });
});
