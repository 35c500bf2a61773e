import { sniffImageFormat } from '@monorepo/image-processor/contract';
import { isStorageError } from '@monorepo/storage';
import type { ObjectInfo, StorageAdapter } from '@monorepo/storage';
import { checkedKey, stagingKey } from '@monorepo/tenant-limits';
import type {
  CompletionRefusal,
  UploadIntent,
  UploadIntents,
  UsageLedger,
} from '@monorepo/tenant-limits';
import { ApiError, notFound } from '../http/api-error.js';
import { mediaEssence } from './media-type.js';

const REFUSALS: Record<CompletionRefusal, () => ApiError> = {
  'not-found': () => notFound('No such upload in progress (it expired, or is not yours)'),
  done: () => notFound('This upload was completed already'),
  sending: () =>
    new ApiError('E_VALIDATION', 'The bytes are still being sent; complete once the PUT has ended'),
  completing: () => new ApiError('E_VALIDATION', 'This upload is being completed already'),
  'not-sent': () => new ApiError('E_VALIDATION', 'Nothing was uploaded for this intent yet'),
};

const expiredMeanwhile = () => notFound('This upload expired before it could be completed');

/**
 * `/complete`: turns an intent's sent bytes into the user's file. The intent is taken into `completing` first (so
 * neither a late send nor the janitor can act on it), its bytes are checked — exactly the announced size, and for
 * images bytes of the announced type — then moved from staging to the final key (server-side copy on S3) and the
 * staging object removed; only then is the key counted (the reservation becomes the object). Where a presigned
 * form can still write the staging key, the bytes are first frozen under a key no form can write, so what is
 * checked is what becomes the file.
 */
export class IntentCompletion {
  constructor(
    private readonly storage: StorageAdapter,
    private readonly intents: UploadIntents,
    private readonly ledger: UsageLedger,
    private readonly deadlineMs: number,
  ) {}

  /**
   * `assemble` (multipart intents) runs once the intent is `completing`, before the checks: it puts the bytes
   * at the staging key. An {@link ApiError} from it is a refusal that stores nothing: the intent goes back to
   * `open`, so the client can fix its parts and complete again.
   */
  async complete(
    user: string,
    id: string,
    assemble?: (intent: UploadIntent) => Promise<void>,
  ): Promise<{ intent: UploadIntent; info: ObjectInfo }> {
    const begun = await this.intents.beginCompletion(user, id, Date.now() + this.deadlineMs);
    if (!begun.ok) throw REFUSALS[begun.reason]();
    const { intent, attempt } = begun;
    if (intent.multipartUploadId !== undefined) {
      if (!assemble) {
        await this.intents.undoCompletion(user, id, attempt);
        throw new ApiError('E_VALIDATION', 'Complete a multipart upload with its parts');
      }
      try {
        await assemble(intent);
      } catch (error) {
        if (error instanceof ApiError && !(await this.intents.undoCompletion(user, id, attempt)))
          throw expiredMeanwhile();
        throw error; // else left completing: the janitor settles it past its deadline
      }
    }
    const frozen = intent.formExpiresAt !== undefined;
    const checked = frozen ? checkedKey(id) : stagingKey(id);
    if (frozen)
      await this.storage.move(stagingKey(id), checked).catch(async (error: unknown) => {
        if (!isStorageError(error, 'ENOENT')) throw error; // left completing: the janitor settles it
        if (!(await this.intents.undoCompletion(user, id, attempt))) throw expiredMeanwhile();
        throw REFUSALS['not-sent']();
      });
    const sent = await this.storage.stat(checked).catch((error: unknown) => {
      if (isStorageError(error, 'ENOENT')) return undefined;
      throw error;
    });
    const problem = !sent
      ? 'Nothing is stored for this upload'
      : await this.#problem(intent, sent, checked);
    if (problem) {
      await this.storage.delete(checked);
      if (!(await this.intents.refuseCompletion(user, id, attempt))) throw expiredMeanwhile();
      throw new ApiError('E_VALIDATION', `${problem}; it was removed`);
    }
    if (frozen) {
      await this.storage.copy(checked, intent.key);
      await this.storage.delete(checked);
    } else {
      await this.storage.move(checked, intent.key);
    }
    await this.storage.setVisibility(intent.key, intent.visibility);
    const info = await this.storage.stat(intent.key);
    if (!(await this.intents.commitCompletion(user, id, attempt, info.size))) {
      // The janitor took it past its deadline: it never becomes a file (nor counted, should a listing have
      // seen it meanwhile).
      await this.storage.delete(intent.key);
      await this.ledger.remove(user, intent.key);
      throw expiredMeanwhile();
    }
    return { intent, info };
  }

  async #problem(intent: UploadIntent, info: ObjectInfo, key: string): Promise<string | undefined> {
    if (info.size !== intent.size)
      return `The upload has ${info.size} bytes, not the ${intent.size} announced`;
    const type = mediaEssence(intent.contentType);
    if (!type.startsWith('image/')) return undefined;
    const sniffed =
      info.size === 0
        ? undefined
        : await sniffImageFormat(await this.#head(key)).catch(() => undefined);
    return sniffed?.mime === type ? undefined : `The upload is not ${type}`;
  }

  async #head(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of (await this.storage.downloadStream(key, {
      start: 0,
      end: 64 * 1024 - 1,
    })) as AsyncIterable<Buffer>)
      chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}
