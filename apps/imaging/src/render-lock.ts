import { randomBytes } from 'node:crypto';
import { ImagingError } from '@monorepo/image-processor/contract';
import type { ImagingErrorCode } from '@monorepo/image-processor/contract';
import type { RedisClient } from '@monorepo/redis-connection';

/** What the render lock decided for one render hash. */
type Claim =
  | { kind: 'mine'; token: string }
  | { kind: 'busy' }
  | { kind: 'failed'; code: ImagingErrorCode; message: string };

// One slot per render: every key carries the hash as its hash tag, so this works on Redis Cluster too.
const CLAIM = `
if redis.call('EXISTS', KEYS[2]) == 1 then return {'failed', redis.call('GET', KEYS[2])} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'mine'} end
return {'busy'}`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
return 1`;

type Redisish = RedisClient & {
  imagingClaim(lock: string, fail: string, token: string, ttl: number): Promise<string[]>;
  imagingRelease(
    lock: string,
    fail: string,
    token: string,
    failure: string,
    ttl: number,
  ): Promise<number>;
};

/** Settings of {@link RenderLock}. */
export interface RenderLockOptions {
  /** Key prefix (default `imaging`). */
  prefix?: string;
  /** How long a claim holds without being released (a crashed renderer's claim expires then). */
  lockTtlMs: number;
  /** How long a request waits for another process's render before giving up (`E_TIMEOUT`). */
  waitTimeoutMs: number;
  /** How long a failure for good is remembered (0: not at all). */
  failureTtlMs: number;
}

/**
 * Renders each hash once across every process: the first request claims `<prefix>:{<hash>}:lock` (`SET NX PX`)
 * and renders; the others wait for its "done" message (one Pub/Sub channel per process, re-checking every second
 * in case a message is lost or the renderer died) and then read the stored result. A failure for good is kept
 * under `<prefix>:{<hash>}:fail` so nobody decodes a bad source again for a while.
 */
export class RenderLock {
  readonly #redis: Redisish;
  readonly #subscriber: RedisClient;
  readonly #options: Required<RenderLockOptions>;
  readonly #channel: string;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #ready: Promise<unknown>;

  constructor(redis: RedisClient, subscriber: RedisClient, options: RenderLockOptions) {
    this.#options = { prefix: 'imaging', ...options };
    this.#channel = `${this.#options.prefix}:done`;
    this.#redis = redis as Redisish;
    if (!('imagingClaim' in redis)) {
      redis.defineCommand('imagingClaim', { numberOfKeys: 2, lua: CLAIM });
      redis.defineCommand('imagingRelease', { numberOfKeys: 2, lua: RELEASE });
    }
    this.#subscriber = subscriber;
    subscriber.on('message', (channel: string, hash: string) => {
      if (channel !== this.#channel) return;
      const waiting = this.#waiters.get(hash);
      if (waiting) for (const wake of waiting) wake();
    });
    this.#ready = subscriber.subscribe(this.#channel);
  }

  #keys(hash: string): [string, string] {
    const tag = `${this.#options.prefix}:{${hash}}`;
    return [`${tag}:lock`, `${tag}:fail`];
  }

  /**
   * Produces the value for `hash` once: `find` looks for a stored result, `render` makes and stores it. Returns
   * the value and whether this request waited for another's render.
   *
   * @throws the renderer's failure (also to the requests that waited for it), or {@link ImagingError} `E_TIMEOUT`.
   */
  async once<T>(
    hash: string,
    find: () => Promise<T | undefined>,
    render: () => Promise<{ value: T; stored?: Promise<void> }>,
  ): Promise<{ value: T; coalesced: boolean }> {
    await this.#ready;
    const [lock, fail] = this.#keys(hash);
    const deadline = Date.now() + this.#options.waitTimeoutMs;
    let coalesced = false;
    for (;;) {
      const token = randomBytes(12).toString('base64url');
      const claim = parseClaim(
        await this.#redis.imagingClaim(lock, fail, token, this.#options.lockTtlMs),
        token,
      );
      if (claim.kind === 'failed') throw new ImagingError(claim.code, claim.message);
      if (claim.kind === 'mine') {
        // The claim is released once the result is stored (the answer does not wait for that), or at once on failure.
        const release = (failure: string) =>
          this.#redis
            .imagingRelease(lock, fail, token, failure, this.#options.failureTtlMs)
            .catch(() => 0)
            .then(() => this.#redis.publish(this.#channel, hash))
            .catch(() => 0);
        let result: { value: T; stored?: Promise<void> };
        try {
          // Someone may have finished between our miss (the caller's, or the last wait's) and our claim.
          const found = await find();
          result = found !== undefined ? { value: found } : await render();
        } catch (error) {
          await release(this.#options.failureTtlMs > 0 ? rememberable(error) : '');
          throw error;
        }
        void (result.stored ?? Promise.resolve()).finally(() => release(''));
        return { value: result.value, coalesced };
      }
      coalesced = true;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new ImagingError(
          'E_TIMEOUT',
          'Waited too long for the same render in another request',
        );
      await this.#wait(hash, Math.min(left, 1000));
      const found = await find();
      if (found !== undefined) return { value: found, coalesced };
    }
  }

  #wait(hash: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(hash);
      if (!set) this.#waiters.set(hash, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(hash);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  async close(): Promise<void> {
    await this.#subscriber.unsubscribe(this.#channel).catch(() => {});
  }
}

function parseClaim(reply: string[], token: string): Claim {
  if (reply[0] === 'mine') return { kind: 'mine', token };
  if (reply[0] === 'failed') {
    const text = reply[1] ?? '';
    const sep = text.indexOf(' ');
    return {
      kind: 'failed',
      code: text.slice(0, sep) as ImagingErrorCode,
      message: text.slice(sep + 1),
    };
  }
  return { kind: 'busy' };
}

/** Failures that will repeat for this very render (the source's bytes or the result's size), as `CODE message`. */
const FOR_GOOD = new Set<string>([
  'E_UNSUPPORTED_FORMAT',
  'E_SOURCE_TOO_LARGE',
  'E_TOO_MANY_PIXELS',
  'E_CORRUPT_IMAGE',
  'E_VALIDATION',
]);

function rememberable(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !FOR_GOOD.has(code)) return '';
  return `${code} ${(error as Error).message}`.slice(0, 500);
}
