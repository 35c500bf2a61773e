import type { Request } from 'express';
import type { z } from 'zod';
import { ApiError } from './api-error.js';

/** Reads a JSON request body of at most `limit` bytes. */
export async function readJsonBody(req: Request, limit = 16 * 1024): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type))
    throw new ApiError('E_UNSUPPORTED_MEDIA_TYPE', 'Send Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  // Stopping at the limit must leave the request as it is, not destroy it: the error filter then reads off the
  // rest of the body, so the connection (kept alive by nginx) is at the next request's start again. Destroyed
  // with part of its body unread, it stayed paused, and the next request nginx sent on it was never answered.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError('E_TOO_LARGE', `JSON body over ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError('E_VALIDATION', 'Body is not valid JSON');
  }
}

/** Reads a JSON body and parses it with `schema`; every issue goes into one `E_VALIDATION` message. */
export async function readJsonBodyAs<T extends z.ZodType>(
  req: Request,
  schema: T,
  limit?: number,
): Promise<z.output<T>> {
  const parsed = schema.safeParse(await readJsonBody(req, limit));
  if (!parsed.success)
    throw new ApiError(
      'E_VALIDATION',
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  return parsed.data;
}
