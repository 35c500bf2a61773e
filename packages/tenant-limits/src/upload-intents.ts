import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { drainLegacyIntents } from './legacy-keys.js';
import { LimitExceededError } from './limit-exceeded-error.js';
import { tenantKeys } from './tenant-keys.js';
import { quotaError } from './usage-ledger.js';
import type { UsageLedger } from './usage-ledger.js';

/** A direct upload a user announced: where it goes once complete, what it must be, and until when. */
export interface UploadIntent {
  id: string;
  user: string;
  /** The final key (`uploads/<user>/<id>/<name>`): it exists only once the upload is completed. */
  key: string;
  /** The announced media type, normalised (lower-case type and parameter names). */
  contentType: string;
  size: number;
  visibility: 'public' | 'private';
  /** Unix time in ms after which the intent can no longer be sent or completed. */
  expiresAt: number;
  /**
   * Until when (ms) a presigned form can still write the staging key, however the intent ends: set when the bytes
   * go straight to the store (S3). Its reservation is held until then, and `/complete` freezes the bytes first.
   */
  formExpiresAt?: number;
  /**
   * The store's id of the multipart upload whose parts go straight to the staging key (S3), set for multipart
   * intents. Part URLs die with the upload (completed or aborted), so no hold outlives the intent.
   */
  multipartUploadId?: string;
}

/** Where an intent is in its life (see the README). */
export type IntentState = 'open' | 'sending' | 'sent' | 'completing' | 'done' | 'expired';

/** Options of {@link UploadIntents}. */
export interface UploadIntentsOptions {
  /** Most intents a user may have open (announced, not completed or expired) at once (default 100). */
  maxOpenPerUser?: number;
  /** How long a settled intent's record is kept after its expiry, to answer late requests (default 1 day). */
  keepMs?: number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** An intent from its Redis hash. */
function fromRecord(
  id: string,
  raw: Record<string, string>,
): (UploadIntent & { state: IntentState }) | undefined {
  if (!raw.state) return undefined;
  return {
    id,
    user: raw.user!,
    key: raw.key!,
    contentType: raw.contentType!,
    size: Number(raw.size),
    visibility: raw.visibility as UploadIntent['visibility'],
    expiresAt: Number(raw.expiresAt),
    ...(raw.formUntil ? { formExpiresAt: Number(raw.formUntil) } : {}),
    ...(raw.mp ? { multipartUploadId: raw.mp } : {}),
    state: raw.state as IntentState,
  };
}

/** Why {@link UploadIntents.beginCompletion} refused. */
export type CompletionRefusal = 'not-found' | 'done' | 'sending' | 'completing' | 'not-sent';
const COMPLETION_REFUSALS: Record<number, CompletionRefusal> = {
  [-404]: 'not-found',
  [-410]: 'done',
  [-425]: 'sending',
  [-409]: 'completing',
  [-400]: 'not-sent',
};

/**
 * Direct uploads in Redis, shared by every API and worker process: one state machine per intent, changed only by
 * atomic scripts on the user's keys (see `intent-lua.ts`). Creating an intent reserves its announced size and one
 * object together with the open-intent count; completion turns the reservation into the counted object; expiry
 * or abort releases it. Tokens (for uploads through the API: local storage) are stored hashed, compared and spent
 * in one step.
 */
export class UploadIntents {
  readonly #ledger: UsageLedger;
  readonly #maxOpen: number;
  readonly #keepMs: number;

  constructor(ledger: UsageLedger, options: UploadIntentsOptions = {}) {
    this.#ledger = ledger;
    this.#maxOpen = options.maxOpenPerUser ?? 100;
    this.#keepMs = options.keepMs ?? 24 * 3600 * 1000;
  }

  /** Most intents a user may have open. */
  get maxOpenPerUser(): number {
    return this.#maxOpen;
  }

  /**
   * Records a new intent, reserving its size and one object, and returns it with a fresh single-use token.
   *
   * @throws {LimitExceededError} `E_QUOTA_EXCEEDED` when it does not fit, `E_TOO_MANY_UPLOADS` at the
   * open-intent cap; nothing was recorded then.
   */
  async create(
    intent: Omit<UploadIntent, 'id'> & { id?: string },
  ): Promise<{ intent: UploadIntent; token: string }> {
    const full: UploadIntent = { ...intent, id: intent.id ?? randomUUID() };
    const token = randomBytes(24).toString('base64url');
    const keepUntil = Math.max(full.expiresAt, full.formExpiresAt ?? 0) + this.#keepMs;
    const { redis } = this.#ledger;
    // Global indexes, written outside the per-user script and idempotent: the owner of an id (for requests that
    // carry no API key and for the janitor's staging sweep), and the users the janitor must visit.
    // Two commands, not one pipeline: on a Cluster the two keys may live on different masters.
    await Promise.all([
      redis.set(this.#ownerKey(full.id), full.user, 'PXAT', keepUntil),
      redis.sadd(this.#usersKey(), full.user),
    ]);
    const quota = this.#ledger.quotaFor(full.user);
    const [status, usedBytes, usedObjects] = (await this.#run(
      'create',
      full.user,
      full.id,
      this.#ledger.clock(),
      full.id,
      full.size,
      quota.bytes,
      quota.objects,
      this.#maxOpen,
      full.expiresAt,
      keepUntil,
      hashToken(token),
      full.user,
      full.key,
      full.contentType,
      full.visibility,
      full.formExpiresAt ?? '',
      full.multipartUploadId ?? '',
    )) as [number, number, number];
    if (status === -1)
      throw new LimitExceededError(
        'E_TOO_MANY_UPLOADS',
        `At most ${this.#maxOpen} direct uploads may be open per key`,
      );
    if (status === 0) throw quotaError(quota, usedBytes, usedObjects);
    if (status !== 1) throw new Error(`upload intent ${full.id} exists already`);
    await redis.sadd(this.#usersKey(), full.user); // again: a janitor may have dropped the user meanwhile
    return { intent: full, token };
  }

  /** The intent and its state, while its record is kept (until a day past its expiry). */
  async get(
    user: string,
    id: string,
  ): Promise<(UploadIntent & { state: IntentState }) | undefined> {
    return fromRecord(id, await this.#ledger.redis.hgetall(this.#keys(user).intent(id)));
  }

  /** The user an intent id belongs to (for requests that carry a token, not an API key). */
  async ownerOf(id: string): Promise<string | undefined> {
    return (await this.#ledger.redis.get(this.#ownerKey(id))) ?? undefined;
  }

  /**
   * Starts sending an open intent's bytes through the API: compares the token and spends it in one step, and
   * takes an upload slot. A wrong token changes nothing.
   */
  async startSending(
    user: string,
    id: string,
    token: string,
  ): Promise<
    { ok: true; slot: string } | { ok: false; reason: 'not-open' | 'bad-token' | 'busy' }
  > {
    const slot = `s:${randomUUID()}`;
    const now = this.#ledger.clock();
    const status = Number(
      await this.#run(
        'sendBegin',
        user,
        id,
        now,
        hashToken(token),
        slot,
        now + this.#ledger.leaseMs,
        this.#ledger.maxConcurrentUploads,
      ),
    );
    if (status === 1) return { ok: true, slot };
    return {
      ok: false,
      reason: status === -401 ? 'bad-token' : status === -429 ? 'busy' : 'not-open',
    };
  }

  /**
   * Ends a send: frees its slot; `stored` moves the intent to `sent`, a failure gives the token back. Returns
   * false when the intent expired or was aborted meanwhile: what the send stored is the caller's to remove.
   */
  async endSending(user: string, id: string, slot: string, stored: boolean): Promise<boolean> {
    return Number(await this.#run('sendEnd', user, id, slot, stored ? '1' : '0')) === 1;
  }

  /**
   * Takes an intent into `completing` (from `sent`, or from `open` when the bytes went straight to the store),
   * until `deadline`: nothing else can then change it, and the janitor leaves it alone until the deadline.
   */
  async beginCompletion(
    user: string,
    id: string,
    deadline: number,
  ): Promise<
    { ok: true; attempt: string; intent: UploadIntent } | { ok: false; reason: CompletionRefusal }
  > {
    const attempt = randomUUID();
    const [status, ...fields] = (await this.#run(
      'completeBegin',
      user,
      id,
      this.#ledger.clock(),
      id,
      attempt,
      deadline,
    )) as [number, ...string[]];
    if (status !== 1) return { ok: false, reason: COMPLETION_REFUSALS[status] ?? 'not-found' };
    const record: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
    const { state: _state, ...intent } = fromRecord(id, record)!;
    return { ok: true, attempt, intent };
  }

  /** Back to where it was before {@link beginCompletion} (nothing had been sent yet); false if it left. */
  async undoCompletion(user: string, id: string, attempt: string): Promise<boolean> {
    return Number(await this.#run('completeUndo', user, id, id, attempt)) === 1;
  }

  /**
   * The intent is done: its final key is counted with `size` bytes. Its reservation is released, or kept while
   * its form still works (`formExpiresAt`). False when the intent left `completing` meanwhile (the janitor took
   * it past its deadline): the caller removes the final key.
   */
  async commitCompletion(
    user: string,
    id: string,
    attempt: string,
    size: number,
  ): Promise<boolean> {
    return Number(await this.#run('completeCommit', user, id, id, attempt, size)) === 1;
  }

  /** The checks refused the bytes (already removed by the caller): expired; released as with a commit. */
  async refuseCompletion(user: string, id: string, attempt: string): Promise<boolean> {
    return Number(await this.#run('completeRefuse', user, id, id, attempt)) === 1;
  }

  /**
   * The owner gives an intent up (not while it is being completed): expired at once. Returns the state it had
   * and whether a form can still write its staging key. Without one, remove the staging object, then
   * {@link release} it; with one, the janitor does both once the form expired.
   */
  async abort(
    user: string,
    id: string,
  ): Promise<{ state: IntentState; form: boolean } | undefined> {
    const [state, form] = (await this.#run('abort', user, id, id)) as [string, string];
    return state ? { state: state as IntentState, form: form !== '' } : undefined;
  }

  /** Intents of `user` the janitor should look at now (a page of at most `limit`). */
  async due(user: string, limit = 500): Promise<string[]> {
    return this.#ledger.redis.zrangebyscore(
      this.#keys(user).expiry,
      '-inf',
      this.#ledger.clock(),
      'LIMIT',
      0,
      limit,
    );
  }

  /**
   * The janitor takes a due intent: expired now unless it is done. Returns what it was (`state`), how an
   * expired one got there (`from`) and its final key, or undefined when it is not due. Remove its staging and
   * checked objects (and the final key when it was `completing`), then {@link release} it.
   */
  async expire(
    user: string,
    id: string,
  ): Promise<{ state: IntentState; from: string; key: string } | undefined> {
    const [taken, state, key, from] = (await this.#run(
      'expire',
      user,
      id,
      this.#ledger.clock(),
      id,
    )) as [number, string, string, string];
    return taken === 1 ? { state: state as IntentState, key, from } : undefined;
  }

  /** Releases a settled intent's hold (after its objects were removed). */
  async release(user: string, id: string): Promise<boolean> {
    return Number(await this.#run('release', user, id, id)) === 1;
  }

  /** The state of an intent known only by id (the staging sweep), or undefined when it has no record. */
  async stateOf(id: string): Promise<IntentState | undefined> {
    const user = await this.ownerOf(id);
    if (!user) return undefined;
    return ((await this.#ledger.redis.hget(this.#keys(user).intent(id), 'state')) ?? undefined) as
      IntentState | undefined;
  }

  /** Users that have (or had) intents for the janitor to visit. */
  users(): Promise<string[]> {
    return this.#ledger.redis.smembers(this.#usersKey());
  }

  /** Drops `user` from the janitor's index when nothing of theirs is due any more (checked again after). */
  async forgetIfIdle(user: string): Promise<void> {
    const { redis } = this.#ledger;
    const due = this.#keys(user).expiry;
    if ((await redis.zcard(due)) > 0) return;
    await redis.srem(this.#usersKey(), user);
    if ((await redis.zcard(due)) > 0) await redis.sadd(this.#usersKey(), user);
  }

  /** Object keys written for intents of the old layout, never completed (see `legacy-keys.ts`). */
  drainLegacy(): Promise<string[]> {
    return drainLegacyIntents(this.#ledger.redis, this.#ledger.prefix);
  }

  #run(
    name: Parameters<UsageLedger['scripts']['run']>[0],
    user: string,
    id: string,
    ...args: Array<string | number>
  ) {
    return this.#ledger.scripts.run(name, user, id, ...args);
  }

  #keys(user: string) {
    return tenantKeys(this.#ledger.prefix, user);
  }

  #ownerKey(id: string): string {
    return `${this.#ledger.prefix}:intent-owner:${id}`;
  }

  #usersKey(): string {
    return `${this.#ledger.prefix}:intent-users`;
  }
}
