/** Serialises async sections per key within this process. */
export class KeyLock {
  readonly #tails = new Map<string, Promise<void>>();
  /** Sections entered so far, any key. */
  #entered = 0;

  /**
   * A mark to pass to {@link undisturbedSince}: `undefined` while any section is running (then nothing done
   * now can be known to be undisturbed).
   */
  mark(): number | undefined {
    return this.#tails.size === 0 ? this.#entered : undefined;
  }

  /** True when, since `mark` was taken, only the one section now running (the caller's) has been entered. */
  undisturbedSince(mark: number | undefined): boolean {
    return mark !== undefined && this.#entered === mark + 1;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    this.#entered++;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
