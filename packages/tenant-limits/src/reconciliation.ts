import { randomUUID } from 'node:crypto';
import { tenantKeys } from './tenant-keys.js';
import type { LedgerAccess } from './ledger-access.js';

/** What one user's reconciliation changed. */
export interface ReconcileResult {
  user: string;
  before: { bytes: number; objects: number };
  after: { bytes: number; objects: number };
}

const BATCH = 500;
/** A reconciliation not finished by then (a crashed janitor) stops journaling by itself. */
const TTL_MS = 60 * 60 * 1000;

/**
 * One rebuild of the ledger from a listing of storage (`UsageLedger.beginReconcile`). At the start, every known
 * user's changes begin to be journaled; the listing is staged in Redis (per user, in batches); at the end one
 * script per user sets each key's size from the listing unless the key was counted or removed meanwhile (then the
 * ledger's own value stands), drops keys the listing lacks, and recomputes the totals from the per-key sizes and
 * the live reservations. So uploads, completions and deletes may go on all along, and no user can avoid it by
 * keeping an upload in flight. Users first seen in the listing are registered and reconciled by the next run.
 */
export class Reconciliation {
  readonly #ledger: LedgerAccess;
  readonly #token: string;
  readonly #users: ReadonlySet<string>;
  readonly #unknown = new Set<string>();
  readonly #pending = new Map<string, Array<string | number>>();

  private constructor(ledger: LedgerAccess, token: string, users: ReadonlySet<string>) {
    this.#ledger = ledger;
    this.#token = token;
    this.#users = users;
  }

  /** @internal Journals every known user's changes from now on. */
  static async begin(ledger: LedgerAccess): Promise<Reconciliation> {
    const token = randomUUID();
    const users = new Set(await ledger.users());
    for (const user of users)
      await ledger.scripts.run('reconcileBegin', user, undefined, token, TTL_MS);
    return new Reconciliation(ledger, token, users);
  }

  /** Users this run reconciles. */
  get users(): ReadonlySet<string> {
    return this.#users;
  }

  /** One object of `user` found by the listing. */
  async add(user: string, key: string, size: number): Promise<void> {
    if (!this.#users.has(user)) {
      this.#unknown.add(user);
      return;
    }
    const batch = this.#pending.get(user) ?? [];
    batch.push(key, size);
    this.#pending.set(user, batch);
    if (batch.length >= BATCH * 2) await this.#flush(user);
  }

  /** Applies the listing to every user begun; returns what changed. */
  async finish(): Promise<ReconcileResult[]> {
    const results: ReconcileResult[] = [];
    for (const user of this.#users) {
      await this.#flush(user);
      const [done, bytesBefore, bytesAfter, objectsBefore, objectsAfter] =
        (await this.#ledger.scripts.run(
          'reconcileFinish',
          user,
          undefined,
          this.#token,
          this.#ledger.clock(),
        )) as number[];
      if (done === 1)
        results.push({
          user,
          before: { bytes: bytesBefore!, objects: objectsBefore! },
          after: { bytes: bytesAfter!, objects: objectsAfter! },
        });
    }
    // Registered now (an empty ledger), reconciled from the next run on.
    for (const user of this.#unknown)
      await this.#ledger.redis.hincrby(tenantKeys(this.#ledger.prefix, user).usage, 'bytes', 0);
    return results;
  }

  async #flush(user: string): Promise<void> {
    const batch = this.#pending.get(user);
    if (!batch?.length) return;
    this.#pending.delete(user);
    const listing = tenantKeys(this.#ledger.prefix, user).listing;
    await this.#ledger.redis
      .multi()
      .hset(listing, ...batch)
      .pexpire(listing, TTL_MS)
      .exec();
  }
}
