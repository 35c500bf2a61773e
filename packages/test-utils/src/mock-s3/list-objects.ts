import { compareBytes, s3Error } from './mock-s3-store.js';
import type { Input, StoredObject } from './mock-s3-store.js';

/** `ListObjectsV2` over one bucket of the mock: byte-wise order, `StartAfter`, continuation tokens, delimiters. */
export function listObjectsV2(
  bucket: Map<string, StoredObject>,
  input: Input,
): Record<string, unknown> {
  const prefix = String(input.Prefix ?? '');
  const delimiter = input.Delimiter ? String(input.Delimiter) : undefined;
  const maxKeys = Math.min(Number(input.MaxKeys ?? 1000), 1000);
  const pageKeys = input.__pageKeys === undefined ? maxKeys : Number(input.__pageKeys);
  let after = input.StartAfter ? String(input.StartAfter) : undefined;
  if (input.ContinuationToken) {
    const token = Buffer.from(String(input.ContinuationToken), 'base64url').toString();
    if (!token.startsWith('k:'))
      throw s3Error({
        name: 'InvalidArgument',
        status: 400,
        message: 'The continuation token provided is incorrect',
      });
    after = token.slice(2) || undefined;
  }
  const keys = [...bucket.keys()]
    .filter((k) => k.startsWith(prefix) && (!after || compareBytes(k, after) > 0))
    .sort(compareBytes);
  const Contents: Array<Record<string, unknown>> = [];
  const CommonPrefixes: Array<{ Prefix: string }> = [];
  let last: string | undefined;
  let truncated = false;
  for (const key of keys) {
    if (Contents.length + CommonPrefixes.length >= Math.min(maxKeys, pageKeys)) {
      truncated = true;
      break;
    }
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const common = key.slice(0, cut + delimiter!.length);
      if (CommonPrefixes.at(-1)?.Prefix !== common) CommonPrefixes.push({ Prefix: common });
      last = key;
      continue;
    }
    const object = bucket.get(key)!;
    Contents.push({
      Key: key,
      Size: object.body.length,
      ETag: object.etag,
      LastModified: object.lastModified,
      StorageClass: 'STANDARD',
    });
    last = key;
  }
  return {
    Name: input.Bucket,
    Prefix: prefix,
    MaxKeys: maxKeys,
    KeyCount: Contents.length + CommonPrefixes.length,
    IsTruncated: truncated,
    Contents: Contents.length ? Contents : undefined,
    CommonPrefixes: CommonPrefixes.length ? CommonPrefixes : undefined,
    NextContinuationToken: truncated
      ? Buffer.from(`k:${last ?? after ?? ''}`).toString('base64url')
      : undefined,
    StartAfter: input.StartAfter,
    ContinuationToken: input.ContinuationToken,
  };
}
