import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  ConfigError,
  MAX_PART_BYTES,
  MIN_PART_BYTES,
  NotFoundError,
  PermissionDeniedError,
  StorageError,
} from '@monorepo/storage-core';
import type {
  CompletedPart,
  MultipartUploadOptions,
  ReceiveUploadPartOptions,
  StorageOperation,
  UploadedPart,
} from '@monorepo/storage-core';
import { commit } from './atomic-write.js';
import { errnoCode, mapFsError } from './fs-errors.js';
import { etagOf, needsSidecar, prune } from './local-files.js';
import type { LocalFiles } from './local-files.js';
import { signPartUrl, verifyPartUrl } from './part-urls.js';
import type { PartUrlSettings } from './part-urls.js';
import { multipartDirName, tempName } from './reserved-names.js';
import type { Location } from './safe-root.js';

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_FILE = /^part-([0-9]{5})$/;
const MANIFEST = 'upload.json';
const partFile = (n: number) => `part-${String(n).padStart(5, '0')}`;
const spentFile = (nonce: string) => `spent-${nonce}`;
const bare = (etag: string) => etag.replace(/^W\//, '').replace(/^"|"$/g, '');

interface Manifest {
  key: string;
  contentType: string;
}

/** An open upload: where its parts wait, and what it was started for. */
interface Upload {
  loc: Location;
  dir: string;
  manifest: Manifest;
}

/**
 * Multipart uploads on the local backend (capability `directMultipart`). An upload is a hidden directory beside
 * where its key's file will be (`<dir>/.~mp\<uploadId>/`: never listed, never served, on the key's own
 * filesystem): a manifest, one file per stored part, and a marker per spent part URL. Parts arrive through the
 * application (`receiveUploadPart`) on URLs signed for one part of one upload, with a size limit, working once;
 * each is streamed to a temp file in the upload's directory, fsynced and renamed over any earlier copy of that
 * part. Completion streams the named parts, in order, into a temp file beside the key, fsyncs it and renames it
 * into place (the same commit as every write), then removes the upload. Abort and the sweep remove it.
 */
export class LocalMultipart {
  constructor(
    private readonly files: LocalFiles,
    private readonly parts: PartUrlSettings | undefined,
  ) {}

  async create(key: string, options: MultipartUploadOptions): Promise<{ uploadId: string }> {
    try {
      const loc = await this.files.root.locate(key, 'createMultipartUpload', true);
      const uploadId = randomBytes(16).toString('hex');
      const dir = path.join(loc.dir, multipartDirName(uploadId));
      await mkdir(dir, { mode: 0o700 });
      const manifest: Manifest = { key, contentType: options.contentType };
      await writeSynced(path.join(dir, MANIFEST), JSON.stringify(manifest), this.files);
      if (this.files.fsync) await this.files.dirs.sync(loc.dir);
      return { uploadId };
    } catch (error) {
      throw mapFsError(error, 'createMultipartUpload', key);
    }
  }

  sign(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresIn: number,
    maxBytes = MAX_PART_BYTES,
  ): Promise<string> {
    if (!this.parts)
      throw new ConfigError(
        'Local part URLs need multipartParts ({ url, secret }): the application route that receives them',
        ['multipartParts'],
        { key, operation: 'signUploadPart', backend: 'local' },
      );
    return Promise.resolve(
      signPartUrl(this.parts, {
        key,
        uploadId,
        partNumber,
        maxBytes,
        // Whole seconds, rounded up: the URL lives at least expiresIn seconds.
        expires: Math.ceil(Date.now() / 1000) + expiresIn,
      }),
    );
  }

  async list(key: string, uploadId: string): Promise<UploadedPart[]> {
    try {
      const upload = await this.#open(key, uploadId, 'listUploadParts');
      return await this.#stored(upload.dir);
    } catch (error) {
      throw mapFsError(error, 'listUploadParts', key);
    }
  }

  async receive(
    url: string,
    body: NodeJS.ReadableStream,
    options: ReceiveUploadPartOptions,
  ): Promise<UploadedPart> {
    if (!this.parts)
      throw new ConfigError(
        'Local part URLs need multipartParts ({ url, secret })',
        ['multipartParts'],
        { operation: 'receiveUploadPart', backend: 'local' },
      );
    const grant = verifyPartUrl(this.parts, url);
    const { key } = grant;
    let spent: string | undefined;
    let tmp: string | undefined;
    try {
      const upload = await this.#open(key, grant.uploadId, 'receiveUploadPart');
      spent = path.join(upload.dir, spentFile(grant.nonce));
      try {
        await (await open(spent, 'wx', 0o600)).close();
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
        spent = undefined;
        throw new PermissionDeniedError('This part URL was used already (it works once)', {
          key,
          operation: 'receiveUploadPart',
          backend: 'local',
        });
      }
      if (options.contentLength !== undefined && options.contentLength > grant.maxBytes)
        throw tooLong(key, grant.maxBytes);
      tmp = path.join(upload.dir, tempName());
      const handle = await open(tmp, 'wx', this.files.fileMode);
      const stats = await writePart(handle, body, grant.maxBytes, options, key, this.files);
      await rename(tmp, path.join(upload.dir, partFile(grant.partNumber)));
      tmp = undefined;
      if (this.files.fsync) await this.files.dirs.sync(upload.dir);
      return { partNumber: grant.partNumber, etag: etagOf(stats), size: Number(stats.size) };
    } catch (error) {
      if (tmp) await unlink(tmp).catch(() => {});
      // A part that did not arrive whole gives its URL back (a retry may use it); a stored one keeps it spent.
      if (spent) await unlink(spent).catch(() => {});
      throw mapFsError(error, 'receiveUploadPart', key);
    }
  }

  async complete(key: string, uploadId: string, named: readonly CompletedPart[]): Promise<void> {
    let tmp: string | undefined;
    try {
      const upload = await this.#open(key, uploadId, 'completeMultipartUpload');
      await this.files.locks.run(upload.dir, async () => {
        const stored = new Map((await this.#stored(upload.dir)).map((p) => [p.partNumber, p]));
        named.forEach((part, index) => {
          const held = stored.get(part.partNumber);
          if (!held || bare(held.etag) !== bare(part.etag))
            throw refused(key, `part ${part.partNumber} is not stored as named`);
          if (index < named.length - 1 && held.size < MIN_PART_BYTES)
            throw refused(
              key,
              `part ${part.partNumber} holds ${held.size} bytes: every part but the last needs at least ${MIN_PART_BYTES}`,
            );
        });
        tmp = path.join(upload.loc.dir, tempName());
        const handle = await open(tmp, 'wx', this.files.fileMode);
        let stats: BigIntStats;
        try {
          for (const part of named) {
            const source = createReadStream(path.join(upload.dir, partFile(part.partNumber)), {
              highWaterMark: 1024 * 1024,
            });
            for await (const chunk of source as AsyncIterable<Buffer>) await handle.write(chunk);
          }
          if (this.files.fsync) await handle.sync();
          stats = await handle.stat({ bigint: true });
        } finally {
          await handle.close();
        }
        const meta = { contentType: upload.manifest.contentType, metadata: {} };
        await commit(
          this.files,
          upload.loc,
          tmp,
          needsSidecar(key, meta) ? stats : undefined,
          meta,
          false,
          { key, value: 'private' },
        );
        tmp = undefined;
        await rm(upload.dir, { recursive: true, force: true });
      });
    } catch (error) {
      if (tmp) await unlink(tmp).catch(() => {});
      throw mapFsError(error, 'completeMultipartUpload', key);
    }
  }

  async abort(key: string, uploadId: string): Promise<void> {
    try {
      const upload = await this.#open(key, uploadId, 'abortMultipartUpload');
      await rm(upload.dir, { recursive: true, force: true });
      await prune(this.files, upload.loc.dir);
    } catch (error) {
      const mapped = mapFsError(error, 'abortMultipartUpload', key);
      if (mapped instanceof StorageError && mapped.code === 'ENOENT') return; // already gone
      throw mapped;
    }
  }

  /** The upload `uploadId` of `key`, or `ENOENT` (unknown, another key's, completed or aborted). */
  async #open(key: string, uploadId: string, operation: StorageOperation): Promise<Upload> {
    const missing = () =>
      new NotFoundError(
        `No multipart upload ${JSON.stringify(uploadId)} of ${JSON.stringify(key)}`,
        {
          key,
          operation,
          backend: 'local',
        },
      );
    if (!UPLOAD_ID.test(uploadId)) throw missing();
    const loc = await this.files.root.locate(key, operation);
    const dir = path.join(loc.dir, multipartDirName(uploadId));
    // Never through a link: the upload's directory is one the adapter made.
    if (!(await lstat(dir).catch(() => undefined))?.isDirectory()) throw missing();
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    } catch {
      throw missing();
    }
    if (manifest.key !== key) throw missing();
    return { loc, dir, manifest };
  }

  async #stored(dir: string): Promise<UploadedPart[]> {
    const parts: UploadedPart[] = [];
    for (const name of await readdir(dir)) {
      const match = PART_FILE.exec(name);
      if (!match) continue;
      const stats = await lstat(path.join(dir, name), { bigint: true }).catch(() => undefined);
      if (!stats?.isFile()) continue;
      parts.push({ partNumber: Number(match[1]), etag: etagOf(stats), size: Number(stats.size) });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }
}

function refused(key: string, why: string): StorageError {
  return new StorageError('EINVAL', `completeMultipartUpload refused: ${why}`, {
    key,
    operation: 'completeMultipartUpload',
    backend: 'local',
  });
}

function tooLong(key: string, maxBytes: number): StorageError {
  return new StorageError('EINVAL', `This part URL takes at most ${maxBytes} bytes`, {
    key,
    operation: 'receiveUploadPart',
    backend: 'local',
  });
}

async function writeSynced(file: string, text: string, files: LocalFiles): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    if (files.fsync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Streams a part into `handle` (closed here): at most `maxBytes`, exactly `contentLength` when given. */
async function writePart(
  handle: FileHandle,
  body: NodeJS.ReadableStream,
  maxBytes: number,
  options: ReceiveUploadPartOptions,
  key: string,
  files: LocalFiles,
): Promise<BigIntStats> {
  try {
    let written = 0;
    for await (const chunk of body as AsyncIterable<Buffer | string>) {
      options.signal?.throwIfAborted();
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      written += bytes.length;
      if (written > maxBytes) throw tooLong(key, maxBytes);
      await handle.write(bytes);
    }
    options.signal?.throwIfAborted();
    if (options.contentLength !== undefined && options.contentLength !== written)
      throw new StorageError(
        'EINVAL',
        `The part had ${written} bytes, but its Content-Length said ${options.contentLength}`,
        { key, operation: 'receiveUploadPart', backend: 'local' },
      );
    if (files.fsync) await handle.sync();
    return await handle.stat({ bigint: true });
  } finally {
    await handle.close();
  }
}
