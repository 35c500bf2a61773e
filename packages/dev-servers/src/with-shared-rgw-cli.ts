// Runs a command with one radosgw shared by every S3 suite it starts: `node with-shared-rgw-cli.js <command…>`.
// The server's address and keys go to the command in TEST_SHARED_RGW; startS3Server (and so s3TestTarget and the
// stack) then gives each suite fresh buckets of its own there instead of starting a radosgw per suite (~2–3 s
// and ~4 s of CPU each). Exits with the command's code and stops the server, also on Ctrl-C.
// Where Ceph is not installed the command runs without a shared server (each suite falls back as before).
import { spawn } from 'node:child_process';
import { rgwAvailable, startRgw } from './rgw-test-server.js';
import { SHARED_RGW_ENV, sharedRgwValue } from './shared-rgw.js';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: with-shared-rgw-cli.js <command> [args…]');
  process.exit(2);
}

// Several suites fill it at once (the largest put is 200 MB): room for all of them, only what is stored is used.
const server =
  rgwAvailable() && !process.env[SHARED_RGW_ENV]
    ? await startRgw({ buckets: [], storeBytes: 6 * 1024 ** 3 })
    : undefined;
const env = server ? { ...process.env, [SHARED_RGW_ENV]: sharedRgwValue(server) } : process.env;
if (server) console.log(`Shared radosgw for this run at ${server.endpoint} (${SHARED_RGW_ENV})`);

const child = spawn(command, args, { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) =>
  child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
);
await server?.stop();
process.exit(code);
