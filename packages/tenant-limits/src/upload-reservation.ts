import type { LedgerAccess } from './ledger-access.js';

/** One upload's hold on its user's quota and upload slots. Settle it exactly once: `commit` or `cancel`. */
export class UploadReservation {
  readonly #ledger: LedgerAccess;
  readonly #user: string;
  readonly #id: string;
  readonly #lapsesAt: number;
  #reserved: number;
  #settled = false;

  constructor(ledger: LedgerAccess, user: string, id: string, reserved: number, lapsesAt: number) {
    this.#ledger = ledger;
    this.#user = user;
    this.#id = id;
    this.#reserved = reserved;
    this.#lapsesAt = lapsesAt;
  }

  /** Bytes reserved so far. */
  get reserved(): number {
    return this.#reserved;
  }

  /**
   * Makes sure at least `total` bytes are reserved (an upload of unknown length growing), reserving in steps of
   * `step` bytes to keep Redis round trips few.
   *
   * @throws {LimitExceededError} `E_QUOTA_EXCEEDED` once the quota would be passed.
   */
  async ensure(total: number, step: number): Promise<void> {
    if (total <= this.#reserved) return;
    const more = Math.max(total - this.#reserved, step);
    try {
      await this.#grow(more);
    } catch (error) {
      // The last step may not fit while the bytes actually needed do.
      if (more === total - this.#reserved) throw error;
      await this.#grow(total - this.#reserved);
      this.#reserved = total;
      return;
    }
    this.#reserved += more;
  }

  /**
   * The upload is stored at `key` with `bytes` bytes: counts exactly that for the key (replacing what may have
   * been counted for it) and releases the reservation and the slot, in one step.
   */
  async commit(key: string, bytes: number): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    await this.#ledger.settle(this.#user, this.#id, key, bytes);
  }

  /** The upload failed or was refused: releases everything, counts nothing. */
  async cancel(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    await this.#ledger.settle(this.#user, this.#id, '', 0);
  }

  #grow(bytes: number): Promise<void> {
    return this.#ledger.reserve(this.#user, this.#id, bytes, 0, 0, this.#lapsesAt);
  }
}
