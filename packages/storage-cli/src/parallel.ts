/** Runs `fn` over `items` with at most `limit` at a time, in order of start. */
export async function forEachLimit<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await fn(next.value);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

/** Collects every item of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * A budget of bytes held at once: `take` waits until `bytes` fit (one taker alone may exceed it, so nothing
 * waits forever), `give` returns them.
 */
export class ByteBudget {
  readonly #limit: number;
  #used = 0;
  #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async take(bytes: number): Promise<void> {
    while (this.#used > 0 && this.#used + bytes > this.#limit)
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#used += bytes;
  }

  give(bytes: number): void {
    this.#used -= bytes;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}
