import type { RedisClient } from '@monorepo/redis-connection';
import type { TenantScripts } from './tenant-scripts.js';

/** @internal What reservations, reconciliation and migration use of the usage ledger they work for. */
export interface LedgerAccess {
  /** Redis key prefix of every tenant key. */
  readonly prefix: string;
  /** The time in ms. */
  readonly clock: () => number;
  /** The tenant scripts on the ledger's client. */
  readonly scripts: TenantScripts;
  readonly redis: RedisClient;
  /** Every user with a ledger. */
  users(): Promise<string[]>;
  /** Reserves `bytes` and `objects` under `id` (a new slot unless `maxSlots` is 0: growing). */
  reserve(
    user: string,
    id: string,
    bytes: number,
    objects: number,
    maxSlots: number,
    lapsesAt: number,
  ): Promise<void>;
  /** Releases reservation `id` and counts `key` with `size` bytes (`key` empty: counts nothing). */
  settle(user: string, id: string, key: string, size: number): Promise<void>;
}
