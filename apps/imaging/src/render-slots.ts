import { ImagingError } from '@monorepo/image-processor/contract';

/**
 * Renders at once in this process (`concurrency`), with at most `queueMax` more waiting for a slot, each at most
 * `queueTimeoutMs`: past either bound the request is refused at once with `E_OVERLOADED` and a `Retry-After`,
 * never queued without end.
 */
export class RenderSlots {
  #active = 0;
  readonly #queue: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueMax: number,
    private readonly queueTimeoutMs: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Runs `work` in a slot. @throws {ImagingError} `E_OVERLOADED` when the queue is full or the wait too long. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#active < this.concurrency) {
      this.#active += 1;
      return Promise.resolve();
    }
    if (this.#queue.length >= this.queueMax)
      return Promise.reject(
        new ImagingError('E_OVERLOADED', 'Every render slot is taken and the queue is full', {
          retryAfter: 1,
        }),
      );
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.#queue.indexOf(grant);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(
          new ImagingError('E_OVERLOADED', 'No render slot became free in time', { retryAfter: 2 }),
        );
      }, this.queueTimeoutMs);
      this.#queue.push(grant);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#active -= 1;
  }
}
