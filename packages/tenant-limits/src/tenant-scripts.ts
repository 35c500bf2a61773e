import type { RedisClient } from '@monorepo/redis-connection';
import {
  ABORT,
  COMPLETE_BEGIN,
  COMPLETE_COMMIT,
  COMPLETE_REFUSE,
  COMPLETE_UNDO,
  CREATE,
  EXPIRE,
  RELEASE,
  SEND_BEGIN,
  SEND_END,
} from './intent-lua.js';
import {
  LEDGER_LUA,
  MIGRATE_USAGE,
  RECONCILE_BEGIN,
  RECONCILE_FINISH,
  RESERVE,
  SETTLE,
  UNCOUNT,
  USAGE_OF,
} from './ledger-lua.js';
import { scriptKeys, tenantKeys } from './tenant-keys.js';

const SCRIPTS = {
  reserve: RESERVE,
  settle: SETTLE,
  uncount: UNCOUNT,
  usageOf: USAGE_OF,
  reconcileBegin: RECONCILE_BEGIN,
  reconcileFinish: RECONCILE_FINISH,
  migrateUsage: MIGRATE_USAGE,
  create: CREATE,
  sendBegin: SEND_BEGIN,
  sendEnd: SEND_END,
  completeBegin: COMPLETE_BEGIN,
  completeUndo: COMPLETE_UNDO,
  completeCommit: COMPLETE_COMMIT,
  completeRefuse: COMPLETE_REFUSE,
  abort: ABORT,
  expire: EXPIRE,
  release: RELEASE,
} as const;

/** The name of one tenant script. */
export type TenantScript = keyof typeof SCRIPTS;

type Command = (...args: Array<string | number>) => Promise<unknown>;

/**
 * Runs the tenant scripts (ledger-lua.ts, intent-lua.ts) on one Redis client: each is defined once per client and
 * sent by its SHA (`EVALSHA`), with the same eleven keys of one tenant, all in the tenant's hash slot.
 */
export class TenantScripts {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
    const commands = redis as unknown as Record<string, unknown>;
    for (const [name, body] of Object.entries(SCRIPTS))
      if (typeof commands[`tenant_${name}`] !== 'function')
        redis.defineCommand(`tenant_${name}`, { numberOfKeys: 11, lua: LEDGER_LUA + body });
  }

  /** Runs `name` on the keys of `user` (and of intent `intentId`, for intent scripts). */
  run(
    name: TenantScript,
    user: string,
    intentId: string | undefined,
    ...args: Array<string | number>
  ): Promise<unknown> {
    const command = (this.#redis as unknown as Record<string, Command>)[`tenant_${name}`]!;
    return command.call(
      this.#redis,
      ...scriptKeys(tenantKeys(this.#prefix, user), intentId),
      ...args,
    );
  }
}
