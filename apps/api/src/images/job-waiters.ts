import { QueueEvents } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';

/** A recheck now and then, in case the event stream was down when a job finished. */
const RECHECK_MS = 5000;

/**
 * Holds `GET /v1/images/{id}?wait=N` requests until their job completes or fails, woken by BullMQ's queue
 * events (one `QueueEvents` stream per API process, not a poll per request). At most `max` requests wait at
 * once, and `maxPerUser` of one user; past that a request is answered at once with the status as it stands.
 */
export class JobWaiters {
  readonly #events: QueueEvents;
  readonly #wakers = new Map<string, Set<() => void>>();
  readonly #perUser = new Map<string, number>();
  #total = 0;

  constructor(
    queueName: string,
    bull: { connection: ConnectionOptions; prefix: string },
    private readonly limits: { max: number; maxPerUser: number },
    logger: Logger,
  ) {
    this.#events = new QueueEvents(queueName, bull);
    this.#events.on('error', (error) => logger.warn({ err: error }, 'queue events error'));
    const wake = ({ jobId }: { jobId: string }) => {
      for (const fn of this.#wakers.get(jobId) ?? []) fn();
    };
    this.#events.on('completed', wake);
    this.#events.on('failed', wake);
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#total;
  }

  /**
   * Waits up to `ms` (or until `signal` aborts) for `finished()` to hold, checking it again whenever an event
   * names the job. Resolves at once, without waiting, when no slot is free.
   */
  async wait(
    jobId: string,
    userId: string,
    ms: number,
    finished: () => Promise<boolean>,
    signal: AbortSignal,
  ): Promise<void> {
    const mine = this.#perUser.get(userId) ?? 0;
    if (this.#total >= this.limits.max || mine >= this.limits.maxPerUser) return;
    this.#total += 1;
    this.#perUser.set(userId, mine + 1);
    let wake = () => {};
    const waker = () => wake();
    const wakers = this.#wakers.get(jobId) ?? new Set();
    wakers.add(waker);
    this.#wakers.set(jobId, wakers);
    const onAbort = () => wake();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const until = Date.now() + ms;
      while (!signal.aborted && Date.now() < until) {
        // Subscribed before checking: an event between the check and the sleep still wakes it.
        const woken = new Promise<void>((resolve) => (wake = resolve));
        if (await finished()) return;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          woken,
          new Promise(
            (resolve) => (timer = setTimeout(resolve, Math.min(until - Date.now(), RECHECK_MS))),
          ),
        ]);
        clearTimeout(timer);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      wakers.delete(waker);
      if (wakers.size === 0) this.#wakers.delete(jobId);
      this.#total -= 1;
      const left = (this.#perUser.get(userId) ?? 1) - 1;
      if (left > 0) this.#perUser.set(userId, left);
      else this.#perUser.delete(userId);
    }
  }

  /** Closes the event stream. */
  close(): Promise<void> {
    return this.#events.close();
  }
}
