import { isStorageError } from '@monorepo/storage-core';
import type { StorageAdapter, StorageErrorCode } from '@monorepo/storage-core';
import { expect } from 'vitest';

/** What a contract factory returns: an adapter over an empty keyspace, and how to dispose of it. */
export type ContractTarget =
  | StorageAdapter
  | {
      adapter: StorageAdapter;
      cleanup?: () => Promise<void> | void;
      /**
       * Runs `use` with an adapter over the same keyspace that is refused access by the backend (wrong
       * credentials, an unreadable directory), then restores access. Without it the permission tests skip.
       */
      withoutPermission?: <T>(use: (denied: StorageAdapter) => Promise<T>) => Promise<T>;
      /**
       * Leaves one leftover of an interrupted write in the keyspace, as a crashed writer would (a temporary
       * file, an unfinished multipart upload). Without it the sweep tests skip.
       */
      leaveIncomplete?: () => Promise<void>;
    };

/** Called before every test; must return an adapter whose keyspace is empty. */
export type ContractFactory = () => ContractTarget | Promise<ContractTarget>;

/**
 * Facts about the test target rather than the adapter (what an adapter can do is read from its own
 * `capabilities`).
 */
export interface ContractOptions {
  /** The target serves signed URLs over HTTP (a real server); without it the signed-URL tests skip. */
  fetchSignedUrls?: boolean;
  /** The server behind the adapter overwrites in place (the s3rver stand-in), though S3 itself never tears. */
  serverTearsOverwrites?: boolean;
  /** Size of the large streamed round-trip (default 20 MB). */
  largeObjectBytes?: number;
  /** Number of keys for the paging test (default 1100, i.e. more than one full page). */
  pagingKeys?: number;
}

/** What each suite of the contract reads: the adapter of the current test and the target's facts. */
export interface ContractContext {
  readonly storage: StorageAdapter;
  readonly withoutPermission: Extract<ContractTarget, { adapter: unknown }>['withoutPermission'];
  readonly leaveIncomplete: Extract<ContractTarget, { adapter: unknown }>['leaveIncomplete'];
  readonly options: ContractOptions;
}

export async function expectCode(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a StorageError with code ${code}`).toBeDefined();
  if (!isStorageError(caught, code)) {
    throw new Error(
      `expected StorageError ${code}, got ${String((caught as Error)?.name)}: ${String((caught as Error)?.message)}`,
      {
        cause: caught,
      },
    );
  }
}

export function expectCodeSync(fn: () => unknown, code: StorageErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isStorageError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function keysOf(adapter: StorageAdapter, prefix = ''): Promise<string[]> {
  return (await collect(adapter.listAll(prefix))).map((item) => item.key);
}

export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}
