import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { needs } from '@monorepo/test-utils';
import { describe, expect, it } from 'vitest';
import { privateHosts, privateHostsAvailable } from './private-hosts.js';

const run = promisify(execFile);
const LOOKUP = `require('node:dns').lookup(process.argv[1], { all: true }, (error, addresses) =>
  console.log(JSON.stringify(error ? error.code : addresses)))`;

describe(
  'privateHosts',
  needs('a private mount namespace (root, unshare)', privateHostsAvailable(), 'run as root'),
  () => {
    it('makes a name resolve for the program it runs, and nowhere else', async () => {
      const hosts = await privateHosts({ 'intranet.example': '10.0.0.7' });
      try {
        const [command, ...args] = [...hosts.prefix, process.execPath, '-e', LOOKUP];
        const { stdout } = await run(command!, [...args, 'intranet.example']);
        expect(JSON.parse(stdout)).toEqual([{ address: '10.0.0.7', family: 4 }]);
        // The machine's names still resolve there, and its own /etc/hosts is untouched.
        const local = await run(command!, [...args, 'localhost']);
        expect(JSON.parse(local.stdout)).toContainEqual({ address: '127.0.0.1', family: 4 });
        expect(await readFile('/etc/hosts', 'utf8')).not.toContain('intranet.example');
      } finally {
        await hosts.dispose();
      }
    });
  },
);
