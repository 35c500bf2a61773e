import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isStorageError } from '@monorepo/storage-core';
import type { StorageAdapter } from '@monorepo/storage-core';

/** A running stand-in for an application's part route (see {@link startPartGateway}). */
export interface PartGateway {
  /** The route's URL: give it to the adapter as where its part URLs point. */
  readonly url: string;
  close(): Promise<void>;
}

const STATUS: Record<string, number> = { EACCES: 403, EINVAL: 400, ENOENT: 404, ECONFIG: 400 };

/**
 * Serves part URLs of backends whose parts arrive through the application (`receiveUploadPart`, local storage),
 * as an application would: every `PUT` goes to the adapter `current()` returns, answered `200` with the part's
 * `ETag`, or the refusal's status (`EACCES` 403, `EINVAL` 400, `ENOENT` 404). For contract targets on loopback.
 */
export async function startPartGateway(current: () => StorageAdapter): Promise<PartGateway> {
  const server = createServer((req, res) => {
    const length = req.headers['content-length'];
    const controller = new AbortController();
    req.once('close', () => {
      if (!req.readableEnded) controller.abort(new Error('the client went away'));
    });
    if (req.method !== 'PUT' || !current().receiveUploadPart) {
      res.writeHead(405).end();
      return;
    }
    current().receiveUploadPart!(req.url ?? '', req, {
      ...(length === undefined ? {} : { contentLength: Number(length) }),
      signal: controller.signal,
    }).then(
      (part) => res.writeHead(200, { etag: part.etag }).end(),
      (error: unknown) => {
        const status = (isStorageError(error) && STATUS[error.code]) || 500;
        res.writeHead(status, { connection: 'close' }).end(String((error as Error).message));
        req.resume();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/parts`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
