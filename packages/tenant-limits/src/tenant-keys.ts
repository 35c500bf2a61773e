/**
 * The Redis keys of one tenant. Every one carries the hash tag `{<user>}`, so all of a tenant's keys live in one
 * Redis Cluster slot and one Lua script may touch any of them; nothing global is ever touched by those scripts.
 */
export interface TenantKeys {
  /** Hash: `bytes`, `objects` (counted objects) and `rbytes`, `robjects` (held by reservations). */
  usage: string;
  /** Hash: object key → the size counted for it. A delete subtracts exactly this, once. */
  sizes: string;
  /** Hash: reservation id → `bytes:objects` it holds. */
  held: string;
  /** Sorted set: reservation id → when it lapses (ms): a crashed process's reservation is released then. */
  heldExpiry: string;
  /** Sorted set: upload slot id → when it lapses (ms). */
  slots: string;
  /** While a reconciliation runs: the keys counted or removed since it began (they keep the ledger's value). */
  touched: string;
  /** The running reconciliation's token (absent when none runs). */
  recon: string;
  /** Hash: key → size, what the running reconciliation's listing found. */
  listing: string;
  /** Sorted set: intent id → expiry, the intents not yet completed (the open-intent cap). */
  open: string;
  /** Sorted set: intent id → when the janitor must look at it next (expiry, completion deadline, form expiry). */
  expiry: string;
  /** Hash of one intent: its data and state. */
  intent(id: string): string;
}

/** The keys of `user` under `prefix` (e.g. `limits:image-processing:{team-a}:usage`). */
export function tenantKeys(prefix: string, user: string): TenantKeys {
  const base = `${prefix}:{${user}}`;
  return {
    usage: `${base}:usage`,
    sizes: `${base}:sizes`,
    held: `${base}:held`,
    heldExpiry: `${base}:held-expiry`,
    slots: `${base}:slots`,
    touched: `${base}:recon-touched`,
    recon: `${base}:recon`,
    listing: `${base}:recon-listing`,
    open: `${base}:intents-open`,
    expiry: `${base}:intents-due`,
    intent: (id) => `${base}:intent:${id}`,
  };
}

/** The fixed `KEYS` of every tenant script, in the order the Lua library names them. */
export function scriptKeys(keys: TenantKeys, intentId = '-'): string[] {
  return [
    keys.usage,
    keys.sizes,
    keys.held,
    keys.heldExpiry,
    keys.slots,
    keys.touched,
    keys.recon,
    keys.listing,
    keys.open,
    keys.expiry,
    keys.intent(intentId),
  ];
}

/** The user of a key made by {@link tenantKeys} (`…:{<user>}:usage`), from a `SCAN`. */
export function userOfUsageKey(prefix: string, key: string): string | undefined {
  const head = `${prefix}:{`;
  const tail = '}:usage';
  return key.startsWith(head) && key.endsWith(tail)
    ? key.slice(head.length, key.length - tail.length)
    : undefined;
}
