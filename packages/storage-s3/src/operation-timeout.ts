import type { S3ClientLike } from './s3-client-like.js';

/**
 * Wraps a client so that every `send` (one S3 request with all its retries) is aborted after `timeoutMs`.
 * A caller's own `abortSignal` still works. The timer stops once the response headers are in, so a long
 * download stream is never cut by it. The timeout surfaces as a `TimeoutError` (mapped to `EUNAVAILABLE`).
 */
export function withOperationTimeout(client: S3ClientLike, timeoutMs: number): S3ClientLike {
  return {
    async send(command, options = {}) {
      const controller = new AbortController();
      const outer = options.abortSignal;
      const forward = () => controller.abort(outer!.reason);
      if (outer?.aborted) forward();
      else outer?.addEventListener('abort', forward, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      try {
        return await client.send(command, { ...options, abortSignal: controller.signal });
      } catch (error) {
        if (!timedOut) throw error;
        throw Object.assign(
          new Error(`S3 request did not complete within ${timeoutMs} ms (operationTimeoutMs)`),
          { name: 'TimeoutError', cause: error },
        );
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', forward);
      }
    },
  };
}
